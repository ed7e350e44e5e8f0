using BioSim.Engine.Random;
using BioSim.Engine.Simulation;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Networks.Token;

namespace BioSim.Plasticity.Rules;

/// <summary>
/// Stochastic backpropagation (Fang, Li, Zhou, Cao, Xiong, Modolo, Xia &amp; Tighe, "An In-depth Study of Stochastic
/// Backpropagation", NeurIPS 2022; official code amazon-science/stochastic-backpropagation): on an image-shaped network
/// (the <see cref="TokenModel"/>) only a kept fraction <see cref="Keep"/> of the spatial positions contributes to the
/// parameter gradients of the masked blocks' per-token MLPs, so only their activations at those positions are retained.
/// One keep mask per iteration (<see cref="Mask"/>: "grid", the official default, a strided grid with a random start;
/// or "random", ⌊(1 − keep)·N⌋ positions dropped uniformly), shared by every masked block; no 1/keep rescaling; the residual
/// path unmasked. The masks of iteration i come from the stream (seed, "stochastic-backprop", "mask") element i, so a
/// resumed run draws the masks an uninterrupted one would (the iteration count is the rule's checkpointed state).
/// Layered (dense) networks have no spatial positions: <see cref="Prepare(Network, ulong)"/> refuses them.
/// </summary>
public sealed class StochasticBackprop : ITokenModelRule
{
    private RandomStream _stream;
    private bool[] _masked = [];
    private int _side;

    /// <summary>Fraction of the spatial positions kept, in (0, 1] (default 0.5; 1 is backprop).</summary>
    public double Keep
    {
        get;
        set
        {
            TokenMask.CheckKeep(value);
            field = value;
        }
    } = 0.5;

    /// <summary>"grid" (default) or "random".</summary>
    public string Mask
    {
        get;
        set => field = value is "grid" or "random" ? value
            : throw new ArgumentOutOfRangeException(nameof(Mask), value, $"The mask must be \"grid\" or \"random\", got \"{value}\".");
    } = "grid";

    /// <summary>The masked blocks, 1-based; null (default) masks every block but the last (the setting: blocks 1-3 of 4,
    /// as the official configurations leave the last stage unmasked).</summary>
    public int[]? Blocks { get; set; }

    /// <summary>Training iterations (masks drawn) so far.</summary>
    public long Iterations { get; private set; }

    /// <summary>Which blocks (0-based) the masks apply to, after <see cref="Prepare(TokenModel, ulong)"/>.</summary>
    public ReadOnlySpan<bool> Masked => _masked;

    /// <summary>Refuses a layered network: stochastic backpropagation masks spatial positions.</summary>
    public void Prepare(Network network, ulong seed) => throw new InvalidOperationException(NeedsTokens);

    /// <inheritdoc/>
    public void ComputeUpdates(Network network, NetworkTape tape, ParameterGradients gradients) => throw new InvalidOperationException(NeedsTokens);

    /// <summary>The message for a layered network.</summary>
    public const string NeedsTokens = "stochastic-backprop masks spatial positions, so it needs an image-shaped network: the token model "
        + "(\"architecture\": {\"type\": \"token\", \"patch\": 4, \"width\": 48, \"blocks\": 4}); a layered network of dense layers has no positions to mask";

    /// <summary>Checks <see cref="Blocks"/> against <paramref name="spec"/>; null when they fit, otherwise what is wrong.</summary>
    public string? Check(TokenModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (Blocks is null) return spec.Blocks < 2 ? $"the token model has {spec.Blocks} block; by default stochastic-backprop masks every block but the last, so give \"blocks\": [1] explicitly" : null;
        if (Blocks.Length == 0) return "\"blocks\" lists no block; name at least one (1-based), e.g. [1, 2, 3]";
        foreach (int b in Blocks)
            if (b < 1 || b > spec.Blocks) return $"block {b} does not exist; the token model has blocks 1 to {spec.Blocks}";
        if (Blocks.Distinct().Count() != Blocks.Length) return "\"blocks\" lists a block twice";
        return null;
    }

    /// <summary>Sets up the masks for <paramref name="model"/>; the iteration count restarts at 0.</summary>
    public void Prepare(TokenModel model, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (Check(model.Spec) is { } problem) throw new ArgumentException($"stochastic-backprop: {problem}.");
        _masked = new bool[model.Spec.Blocks];
        if (Blocks is null) for (int j = 0; j < _masked.Length - 1; j++) _masked[j] = true;
        else foreach (int b in Blocks) _masked[b - 1] = true;
        _side = model.Spec.GridSide;
        _stream = new RandomStream(seed, "stochastic-backprop", "mask");
        Iterations = 0;
    }

    /// <summary>The keep mask of the next training iteration.</summary>
    public TokenMask NextMask()
    {
        if (_masked.Length == 0) throw new InvalidOperationException("Call Prepare(model, seed) before drawing masks.");
        var rng = _stream.ForElement((uint)Iterations);
        Iterations++;
        return Mask == "grid"
            ? TokenMask.Grid(_side, Keep, (int)rng.NextUInt32((uint)TokenMask.GridStride(Keep)))
            : TokenMask.Random(_side * _side, Keep, ref rng);
    }

    /// <inheritdoc/>
    public void SaveState(StateSnapshot snapshot, string prefix) => snapshot.Put($"{prefix}iterations", [Iterations]);

    /// <inheritdoc/>
    public void LoadState(StateSnapshot snapshot, string prefix)
    {
        Span<long> n = stackalloc long[1];
        snapshot.Get($"{prefix}iterations", n);
        Iterations = n[0];
    }
}
