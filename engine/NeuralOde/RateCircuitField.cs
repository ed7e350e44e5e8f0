namespace BioSim.Engine.NeuralOde;

/// <summary>External input u(t) of a <see cref="RateCircuitField"/>.</summary>
public interface IInputSignal
{
    /// <summary>Number of input channels m.</summary>
    int Count { get; }

    /// <summary>Writes u(t) (length <see cref="Count"/>) without allocating.</summary>
    void Value(double t, Span<double> u);
}

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

/// <summary>
/// An input sampled at times t_0 &lt; t_1 &lt; … (values row-major, frames × channels), linearly interpolated between
/// samples and held constant outside them. Interpolation error ≤ Δ²/8 · max|u''| for sample spacing Δ.
/// </summary>
public sealed class SampledInput : IInputSignal
{
    private readonly double[] _times, _values;

    /// <summary>Creates the signal from <paramref name="times"/> (strictly increasing, finite) and
    /// <paramref name="values"/> (times.Length × <paramref name="count"/>).</summary>
    public SampledInput(double[] times, double[] values, int count)
    {
        ArgumentNullException.ThrowIfNull(times);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (times.Length == 0) throw new ArgumentException("An input needs at least one sample.", nameof(times));
        if (values.Length != times.Length * count)
            throw new ArgumentException($"values has {values.Length} entries, expected samples × channels = {times.Length} × {count}.", nameof(values));
        for (int i = 0; i < times.Length; i++)
        {
            if (!double.IsFinite(times[i]) || (i > 0 && !(times[i] > times[i - 1])))
                throw new ArgumentException($"Input sample times must be finite and strictly increasing: times[{i}] = {times[i]} after {(i > 0 ? times[i - 1] : double.NaN)}.", nameof(times));
        }
        foreach (double v in values)
        {
            if (!double.IsFinite(v)) throw new ArgumentException($"Input values must be finite, not {v}.", nameof(values));
        }
        _times = times;
        _values = values;
        Count = count;
    }

    /// <inheritdoc/>
    public int Count { get; }

    /// <inheritdoc/>
    public void Value(double t, Span<double> u)
    {
        int m = Count, last = _times.Length - 1;
        if (t <= _times[0] || last == 0)
        {
            _values.AsSpan(0, m).CopyTo(u);
            return;
        }
        if (t >= _times[last])
        {
            _values.AsSpan(last * m, m).CopyTo(u);
            return;
        }
        int k = Array.BinarySearch(_times, t);
        if (k >= 0)
        {
            _values.AsSpan(k * m, m).CopyTo(u);
            return;
        }
        int right = ~k, left = right - 1;
        double w = (t - _times[left]) / (_times[right] - _times[left]);
        for (int c = 0; c < m; c++) u[c] = (1 - w) * _values[left * m + c] + w * _values[right * m + c];
    }
}

/// <summary>
/// A firing-rate circuit τ_i dx_i/dt = −x_i + Σ_j W_ij φ(x_j) + Σ_k U_ik u_k(t) + b_i with φ = tanh, learnable
/// W (n × n), U (n × m), b (n) and τ (n, units of t).
/// </summary>
/// <remarks>
/// <para>Parameters, flat: W row-major, U row-major, b, τ. With r = v ∘ (1/τ) the VJP is
/// ∂x_j = −r_j + φ'(x_j) Σ_i r_i W_ij, ∂W_ij = r_i φ(x_j), ∂U_ik = r_i u_k, ∂b_i = r_i, ∂τ_i = −r_i f_i.</para>
/// <para>Tape: x, φ(x), u(t) and f (3n + m doubles).</para>
/// </remarks>
public sealed class RateCircuitField : IParametricVectorField
{
    private readonly double[] _theta;
    private readonly double[] _scratch;
    private readonly IInputSignal? _input;

    /// <summary>Creates a circuit of <paramref name="neurons"/> units with W = U = b = 0 and τ = 1.</summary>
    public RateCircuitField(int neurons, IInputSignal? input = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(neurons);
        Dimension = neurons;
        _input = input;
        Inputs = input?.Count ?? 0;
        _theta = new double[neurons * neurons + neurons * Inputs + 2 * neurons];
        Tau.Fill(1.0);
        TapeLength = 3 * neurons + Inputs;
        _scratch = new double[TapeLength];
    }

    /// <inheritdoc/>
    public int Dimension { get; }

    /// <summary>Number of input channels m.</summary>
    public int Inputs { get; }

    /// <inheritdoc/>
    public Span<double> Parameters => _theta;

    /// <inheritdoc/>
    public int ParameterCount => _theta.Length;

    /// <inheritdoc/>
    public int TapeLength { get; }

    /// <summary>Recurrent weights W, row-major (dimensionless).</summary>
    public Span<double> W => _theta.AsSpan(0, Dimension * Dimension);

    /// <summary>Input weights U, row-major.</summary>
    public Span<double> U => _theta.AsSpan(Dimension * Dimension, Dimension * Inputs);

    /// <summary>Biases b.</summary>
    public Span<double> Bias => _theta.AsSpan(Dimension * Dimension + Dimension * Inputs, Dimension);

    /// <summary>Time constants τ (units of t, must stay positive).</summary>
    public Span<double> Tau => _theta.AsSpan(Dimension * Dimension + Dimension * Inputs + Dimension, Dimension);

    /// <inheritdoc/>
    public void Evaluate(double t, ReadOnlySpan<double> x, Span<double> dxdt, Span<double> tape)
    {
        FieldChecks.Lengths(this, x, dxdt, tape);
        int n = Dimension, m = Inputs;
        Span<double> record = tape.IsEmpty ? _scratch : tape;
        Span<double> xs = record[..n], phi = record.Slice(n, n), u = record.Slice(2 * n, m), f = record.Slice(2 * n + m, n);
        x.CopyTo(xs);
        for (int j = 0; j < n; j++) phi[j] = Math.Tanh(x[j]);
        _input?.Value(t, u);
        ReadOnlySpan<double> w = W, uw = U, b = Bias, tau = Tau;
        for (int i = 0; i < n; i++)
        {
            double sum = -x[i] + b[i];
            for (int j = 0; j < n; j++) sum += w[i * n + j] * phi[j];
            for (int k = 0; k < m; k++) sum += uw[i * m + k] * u[k];
            f[i] = sum / tau[i];
        }
        f.CopyTo(dxdt);
    }

    /// <inheritdoc/>
    public void VectorJacobianProduct(ReadOnlySpan<double> tape, ReadOnlySpan<double> v, Span<double> stateGradient, Span<double> parameterGradient)
    {
        FieldChecks.VjpLengths(this, tape, v, stateGradient, parameterGradient);
        int n = Dimension, m = Inputs;
        ReadOnlySpan<double> phi = tape.Slice(n, n), u = tape.Slice(2 * n, m), f = tape.Slice(2 * n + m, n);
        ReadOnlySpan<double> w = W, tau = Tau;
        int uOffset = n * n, bOffset = uOffset + n * m, tauOffset = bOffset + n;
        for (int j = 0; j < n; j++) stateGradient[j] = 0;
        for (int i = 0; i < n; i++)
        {
            double r = v[i] / tau[i];
            stateGradient[i] -= r;
            for (int j = 0; j < n; j++)
            {
                parameterGradient[i * n + j] += r * phi[j];
                stateGradient[j] += r * w[i * n + j] * (1 - phi[j] * phi[j]);
            }
            for (int k = 0; k < m; k++) parameterGradient[uOffset + i * m + k] += r * u[k];
            parameterGradient[bOffset + i] += r;
            parameterGradient[tauOffset + i] -= r * f[i];
        }
    }
}
