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

    /// <summary>The floating-point arrays (state variables, pending input) by key, in ordinal key order.</summary>
    public IReadOnlyDictionary<string, double[]> Reals => _reals;

    /// <summary>The integer arrays (step counts, random stream positions) by key, in ordinal key order.</summary>
    public IReadOnlyDictionary<string, long[]> Integers => _integers;

    /// <summary>Stores a copy of <paramref name="values"/> under <paramref name="key"/>, replacing any real array of that key.</summary>
    public void Put(string key, ReadOnlySpan<double> values) => _reals[key] = values.ToArray();

    /// <summary>Stores a copy of <paramref name="values"/> under <paramref name="key"/>, replacing any integer array of that key.</summary>
    public void Put(string key, ReadOnlySpan<long> values) => _integers[key] = values.ToArray();

    /// <summary>Copies the real array stored under <paramref name="key"/> into <paramref name="destination"/>. Throws
    /// <see cref="KeyNotFoundException"/> naming the key when there is none, and <see cref="InvalidOperationException"/>
    /// when its length is not the destination's.</summary>
    public void Get(string key, Span<double> destination)
    {
        if (!_reals.TryGetValue(key, out var v)) throw new KeyNotFoundException($"The snapshot has no array '{key}'.");
        if (v.Length != destination.Length)
        {
            throw new InvalidOperationException($"Snapshot array '{key}' has {v.Length} values; the model expects {destination.Length}.");
        }
        v.CopyTo(destination);
    }

    /// <summary>Copies the integer array stored under <paramref name="key"/> into <paramref name="destination"/>. Throws
    /// <see cref="KeyNotFoundException"/> naming the key when there is none, and <see cref="InvalidOperationException"/>
    /// when its length is not the destination's.</summary>
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
