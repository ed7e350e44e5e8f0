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

    /// <summary>A mask from explicit kept tokens; the rest of the <paramref name="tokens"/> are dropped.</summary>
    public static TokenMask FromKept(int tokens, IEnumerable<int> kept)
    {
        ArgumentNullException.ThrowIfNull(kept);
        var keep = new bool[tokens];
        foreach (int t in kept)
        {
            if ((uint)t >= (uint)tokens) throw new ArgumentException($"Kept tokens must be a non-empty subset of 0 … {tokens - 1}, got {t}.", nameof(kept));
            keep[t] = true;
        }
        return FromMembership(keep);
    }

    /// <summary>The mask keeping the tokens t with <paramref name="keep"/>[t] set (two small arrays; no other allocation).</summary>
    private static TokenMask FromMembership(bool[] keep)
    {
        int count = 0;
        foreach (bool k in keep) if (k) count++;
        if (count == 0) throw new ArgumentException("A keep mask must keep at least one token.", nameof(keep));
        int[] kept = new int[count], dropped = new int[keep.Length - count];
        int a = 0, b = 0;
        for (int t = 0; t < keep.Length; t++)
        {
            if (keep[t]) kept[a++] = t;
            else dropped[b++] = t;
        }
        return new(kept, dropped);
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
        var member = new bool[n];
        bool any = false;
        for (int i = 0; i < side; i++)
            for (int j = 0; j < side; j++)
                any |= member[i * side + j] = ((i + j) % stride == start) == low;
        if (!any) throw new ArgumentOutOfRangeException(nameof(keep), keep, $"keep {keep} leaves no position of the {side} × {side} grid kept; raise it.");
        return FromMembership(member);
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
        Span<int> order = tokens <= 1024 ? stackalloc int[tokens] : new int[tokens];
        for (int i = 0; i < tokens; i++) order[i] = i;
        var member = new bool[tokens];
        member.AsSpan().Fill(true);
        for (int i = 0; i < drop; i++)
        {
            int j = i + (int)rng.NextUInt32((uint)(tokens - i));
            (order[i], order[j]) = (order[j], order[i]);
            member[order[i]] = false;
        }
        return FromMembership(member);
    }
}
