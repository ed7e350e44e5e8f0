namespace BioSim.Engine.NeuralOde;

/// <summary>Sums of sinusoids u_k(t) = Σ_r A_kr sin(ω_kr t + φ_kr): smooth, persistently exciting inputs.</summary>
public sealed class SinusoidInput : IInputSignal
{
    private readonly double[] _amplitude, _frequency, _phase;
    private readonly int _terms;

    /// <summary>Creates m channels of <paramref name="terms"/> sinusoids each, parameters row-major (m × terms).</summary>
    public SinusoidInput(int count, int terms, double[] amplitude, double[] angularFrequency, double[] phase)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(terms);
        if (amplitude.Length != count * terms || angularFrequency.Length != count * terms || phase.Length != count * terms)
            throw new ArgumentException($"Amplitudes, frequencies and phases must each hold count × terms = {count * terms} values.");
        Count = count;
        _terms = terms;
        _amplitude = [.. amplitude];
        _frequency = [.. angularFrequency];
        _phase = [.. phase];
    }

    /// <inheritdoc/>
    public int Count { get; }

    /// <inheritdoc/>
    public void Value(double t, Span<double> u)
    {
        for (int k = 0; k < Count; k++)
        {
            double sum = 0;
            for (int r = 0; r < _terms; r++)
            {
                int i = k * _terms + r;
                sum += _amplitude[i] * Math.Sin(_frequency[i] * t + _phase[i]);
            }
            u[k] = sum;
        }
    }
}
