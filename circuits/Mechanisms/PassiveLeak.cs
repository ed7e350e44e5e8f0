namespace BioSim.Circuits.Mechanisms;

/// <summary>
/// NEURON's <c>pas</c>: a linear leak, i = g (V − e) per unit area. No state.
/// </summary>
public sealed class PassiveLeak : Mechanism
{
    private double[] _g = [];

    /// <summary>g, leak conductance density (S/cm²), ≥ 0. Default 0.001 (NEURON's g_pas).</summary>
    public double g { get; init; } = 0.001;

    /// <summary>e, leak reversal potential (mV). Default −70 (NEURON's e_pas).</summary>
    public double e { get; init; } = -70;

    /// <summary>False: a density mechanism, per unit of membrane area.</summary>
    public override bool IsPointProcess => false;

    /// <summary>g non-negative and finite, e finite.</summary>
    public override string? Validate()
    {
        if (!(g >= 0) || double.IsInfinity(g)) return $"g: must be a non-negative number of S/cm², got {g}";
        if (!double.IsFinite(e)) return $"e: must be finite, got {e}";
        return null;
    }

    /// <summary>The absolute conductance of each node, g × area (µS); no state.</summary>
    protected override void Allocate()
    {
        _g = new double[Count];
        for (int k = 0; k < Count; k++) _g[k] = g * Area[k] * 1e-2;   // S/cm² × µm² × 1e-8 cm²/µm² × 1e6 µS/S
    }

    /// <summary>Nothing: the leak has no state.</summary>
    public override void Initialize(int cell, ReadOnlySpan<double> v)
    {
    }

    /// <summary>Adds g·area (µS) to each node's conductance and g·area (V − e) (nA) to its outward current.</summary>
    public override void Current(int cell, double t, ReadOnlySpan<double> v, Span<double> g, Span<double> current)
    {
        var nodes = Nodes;
        for (int k = 0; k < nodes.Length; k++)
        {
            int i = nodes[k];
            g[i] += _g[k];
            current[i] += _g[k] * (v[i] - e);
        }
    }

    /// <summary>Nothing: the leak has no state.</summary>
    public override void Advance(int cell, ReadOnlySpan<double> v, double dt)
    {
    }
}
