namespace BioSim.Circuits.Mechanisms;

/// <summary>
/// NEURON's <c>ExpSyn</c>: a conductance g that jumps by the event weight (µS) on each event and decays,
/// τ dg/dt = −g, with current i = g (V − e). g decays exactly after the voltage solve (cnexp).
/// </summary>
public sealed class ExpSynapse : Mechanism
{
    private double[] _g = [];
    private double _decay = double.NaN;

    /// <summary>tau, decay time constant (ms), &gt; 0. Default 0.1.</summary>
    public double tau { get; init; } = 0.1;

    /// <summary>e, reversal potential (mV). Default 0.</summary>
    public double e { get; init; }

    /// <summary>True: a point process on one node, in absolute units.</summary>
    public override bool IsPointProcess => true;

    /// <summary>True: spike events add to its conductance (<see cref="Receive"/>).</summary>
    public override bool ReceivesEvents => true;

    /// <summary>tau positive and finite, e finite.</summary>
    public override string? Validate()
    {
        if (!(tau > 0) || double.IsInfinity(tau)) return $"tau: must be a positive number of ms, got {tau}";
        if (!double.IsFinite(e)) return $"e: must be finite, got {e}";
        return null;
    }

    /// <summary>One state, "g" (µS) per cell.</summary>
    protected override void Allocate() => _g = AddState("g");

    /// <summary>The decay e^{−dt/τ} over one step.</summary>
    public override void Prepare(double dt) => _decay = Math.Exp(-dt / tau);

    /// <summary>g = 0.</summary>
    public override void Initialize(int cell, ReadOnlySpan<double> v) => _g[cell] = 0;

    /// <summary>Adds g (µS) to the node's conductance and g (V − e) (nA) to its outward current.</summary>
    public override void Current(int cell, double t, ReadOnlySpan<double> v, Span<double> g, Span<double> current)
    {
        int i = Nodes[0];
        g[i] += _g[cell];
        current[i] += _g[cell] * (v[i] - e);
    }

    /// <summary>g ← g e^{−dt/τ}, the exact decay.</summary>
    public override void Advance(int cell, ReadOnlySpan<double> v, double dt) => _g[cell] *= _decay;

    /// <summary>g ← g + <paramref name="weight"/> (µS).</summary>
    public override void Receive(int cell, double weight) => _g[cell] += weight;
}
