using BioSim.Engine.Random;

namespace BioSim.Plasticity.Networks.Token;

/// <summary>
/// Which spatial positions (tokens) of a training iteration contribute to the parameter gradients of the masked blocks
/// in stochastic backpropagation (Fang et al. 2022): one keep mask per iteration, shared by every masked block. Kept and
/// dropped tokens are listed in increasing order. A mask that keeps every token is plain backprop.
/// </summary>
public sealed class TokenMask
{
    private TokenMask(int[] kept, int[] dropped)
    {
        Kept = kept;
        Dropped = dropped;
    }

    /// <summary>The kept tokens (row-major grid positions i·side + j), increasing.</summary>
    public int[] Kept { get; }

    /// <summary>The dropped tokens, increasing.</summary>
    public int[] Dropped { get; }

    /// <summary>Every one of <paramref name="tokens"/> tokens kept.</summary>
    public static TokenMask All(int tokens) => new([.. Enumerable.Range(0, tokens)], []);

    /// <summary>A mask from explicit kept tokens (tests); the rest of the <paramref name="tokens"/> are dropped.</summary>
    public static TokenMask FromKept(int tokens, IEnumerable<int> kept)
    {
        var set = new SortedSet<int>(kept);
        if (set.Count == 0 || set.Min < 0 || set.Max >= tokens) throw new ArgumentException($"Kept tokens must be a non-empty subset of 0 … {tokens - 1}.", nameof(kept));
        return new([.. set], [.. Enumerable.Range(0, tokens).Where(t => !set.Contains(t))]);
    }

    /// <summary>Throws unless <paramref name="keep"/> is a keep ratio a mask can realise: 0 &lt; keep ≤ 1.</summary>
    public static void CheckKeep(double keep)
    {
        if (!(keep > 0 && keep <= 1))
            throw new ArgumentOutOfRangeException(nameof(keep), keep, $"The keep ratio must lie in (0, 1] (0.5 keeps half of the positions; 1 is plain backprop), got {keep}.");
    }

    /// <summary>
    /// The grid mask of the official code: on a side × side grid, with stride s = round(1/keep) for keep ≤ 0.5 the positions
    /// with (i + j) mod s = start are kept; for keep &gt; 0.5, s = round(1/(1 − keep)) and those positions are dropped.
    /// keep 1 keeps everything. <paramref name="start"/> is taken mod s.
    /// </summary>
    public static TokenMask Grid(int side, double keep, int start)
    {
        CheckKeep(keep);
        int n = side * side;
        if (keep == 1) return All(n);
        bool low = keep <= 0.5;
        int stride = (int)Math.Round(1.0 / (low ? keep : 1 - keep), MidpointRounding.ToEven);
        if (stride < 2) stride = 2;
        start = ((start % stride) + stride) % stride;
        var kept = new List<int>();
        for (int i = 0; i < side; i++)
            for (int j = 0; j < side; j++)
                if (((i + j) % stride == start) == low) kept.Add(i * side + j);
        if (kept.Count == 0) throw new ArgumentOutOfRangeException(nameof(keep), keep, $"keep {keep} leaves no position of the {side} × {side} grid kept; raise it.");
        return FromKept(n, kept);
    }

    /// <summary>Grid stride of <paramref name="keep"/> (the number of start points a grid mask draws from).</summary>
    public static int GridStride(double keep) => keep == 1 ? 1 : Math.Max(2, (int)Math.Round(1.0 / (keep <= 0.5 ? keep : 1 - keep), MidpointRounding.ToEven));

    /// <summary>A uniformly random mask: ⌊(1 − keep)·N⌋ of the N positions dropped (a partial Fisher-Yates shuffle drawn from
    /// <paramref name="rng"/>), the rest kept.</summary>
    public static TokenMask Random(int tokens, double keep, ref RandomStream rng)
    {
        CheckKeep(keep);
        int drop = (int)Math.Floor((1 - keep) * tokens + 1e-12);
        if (drop >= tokens) drop = tokens - 1;
        var order = new int[tokens];
        for (int i = 0; i < tokens; i++) order[i] = i;
        for (int i = 0; i < drop; i++)
        {
            int j = i + (int)rng.NextUInt32((uint)(tokens - i));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return FromKept(tokens, order.AsSpan(drop).ToArray());
    }
}
