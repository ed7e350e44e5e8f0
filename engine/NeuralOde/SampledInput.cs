namespace BioSim.Engine.NeuralOde;

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
