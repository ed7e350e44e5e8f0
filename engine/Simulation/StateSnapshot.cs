namespace BioSim.Engine.Simulation;

/// <summary>
/// Everything needed to continue a run bit-identically: named double and integer arrays (state
/// variables, pending input, random stream positions) plus the clock. io writes it to a checkpoint file.
/// </summary>
public sealed class StateSnapshot
{
    private readonly SortedDictionary<string, double[]> _reals = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, long[]> _integers = new(StringComparer.Ordinal);

    /// <summary>Steps completed when the snapshot was taken.</summary>
    public long Step { get; set; }

    public IReadOnlyDictionary<string, double[]> Reals => _reals;

    public IReadOnlyDictionary<string, long[]> Integers => _integers;

    public void Put(string key, ReadOnlySpan<double> values) => _reals[key] = values.ToArray();

    public void Put(string key, ReadOnlySpan<long> values) => _integers[key] = values.ToArray();

    public void Get(string key, Span<double> destination)
    {
        if (!_reals.TryGetValue(key, out var v)) throw new KeyNotFoundException($"The snapshot has no array '{key}'.");
        if (v.Length != destination.Length)
        {
            throw new InvalidOperationException($"Snapshot array '{key}' has {v.Length} values; the model expects {destination.Length}.");
        }
        v.CopyTo(destination);
    }

    public void Get(string key, Span<long> destination)
    {
        if (!_integers.TryGetValue(key, out var v)) throw new KeyNotFoundException($"The snapshot has no array '{key}'.");
        if (v.Length != destination.Length)
        {
            throw new InvalidOperationException($"Snapshot array '{key}' has {v.Length} values; the model expects {destination.Length}.");
        }
        v.CopyTo(destination);
    }
}
