namespace BioSim.Circuits.Mechanisms;

/// <summary>
/// NEURON's <c>Exp2Syn</c>: g = B − A with τ₁ dA/dt = −A, τ₂ dB/dt = −B; an event adds weight·factor to
/// both, with factor normalising the peak of g to the weight (µS); i = g (V − e).
/// </summary>
public sealed class Exp2Synapse : Mechanism
{
    private double[] _a = [], _b = [];
    private double _decay1 = double.NaN, _decay2 = double.NaN, _factor;
    private double _tau1;   // tau1 as exp2syn.mod's INITIAL block adjusts it

    /// <summary>tau1, rise time constant (ms), &gt; 0. Default 0.1. As in exp2syn.mod, a tau1 above 0.9999 tau2 is used as 0.9999 tau2
    /// (and one below 1e-9 tau2 as 1e-9 tau2), so that the peak normalisation stays finite.</summary>
    public double tau1 { get; init; } = 0.1;

    /// <summary>tau2, decay time constant (ms), &gt; 0. Default 10. Meant to be above tau1 (see <see cref="tau1"/>).</summary>
    public double tau2 { get; init; } = 10;

    /// <summary>e, reversal potential (mV). Default 0.</summary>
    public double e { get; init; }

    /// <summary>True: a point process on one node, in absolute units.</summary>
    public override bool IsPointProcess => true;

    /// <summary>True: spike events add to A and B (<see cref="Receive"/>).</summary>
    public override bool ReceivesEvents => true;

    /// <summary>tau1 and tau2 positive and finite, e finite.</summary>
    public override string? Validate()
    {
        if (!(tau1 > 0) || double.IsInfinity(tau1)) return $"tau1: must be a positive number of ms, got {tau1}";
        if (!(tau2 > 0) || double.IsInfinity(tau2)) return $"tau2: must be a positive number of ms, got {tau2}";
        if (!double.IsFinite(e)) return $"e: must be finite, got {e}";
        return null;
    }

    /// <summary>States "A" and "B" (µS) per cell, and exp2syn.mod's adjusted tau1 and peak factor.</summary>
    protected override void Allocate()
    {
        _a = AddState("A");
        _b = AddState("B");
        // As exp2syn.mod's INITIAL block: keep tau1 below tau2 by a small margin, normalise the peak to 1.
        double t1 = tau1, t2 = tau2;
        if (t1 / t2 > 0.9999) t1 = 0.9999 * t2;
        if (t1 / t2 < 1e-9) t1 = t2 * 1e-9;
        double tp = t1 * t2 / (t2 - t1) * Math.Log(t2 / t1);
        _factor = 1 / (-Math.Exp(-tp / t1) + Math.Exp(-tp / t2));
        _tau1 = t1;
    }

    /// <summary>The decays e^{−dt/τ₁} and e^{−dt/τ₂} over one step.</summary>
    public override void Prepare(double dt)
    {
        _decay1 = Math.Exp(-dt / _tau1);
        _decay2 = Math.Exp(-dt / tau2);
    }

    /// <summary>A = B = 0.</summary>
    public override void Initialize(int cell, ReadOnlySpan<double> v)
    {
        _a[cell] = 0;
        _b[cell] = 0;
    }

    /// <summary>Adds g = B − A (µS) to the node's conductance and g (V − e) (nA) to its outward current.</summary>
    public override void Current(int cell, double t, ReadOnlySpan<double> v, Span<double> g, Span<double> current)
    {
        int i = Nodes[0];
        double gs = _b[cell] - _a[cell];
        g[i] += gs;
        current[i] += gs * (v[i] - e);
    }

    /// <summary>A ← A e^{−dt/τ₁}, B ← B e^{−dt/τ₂}, the exact decays.</summary>
    public override void Advance(int cell, ReadOnlySpan<double> v, double dt)
    {
        _a[cell] *= _decay1;
        _b[cell] *= _decay2;
    }

    /// <summary>A and B each grow by <paramref name="weight"/>·factor, so that the g of one event alone peaks at <paramref name="weight"/> (µS).</summary>
    public override void Receive(int cell, double weight)
    {
        _a[cell] += weight * _factor;
        _b[cell] += weight * _factor;
    }
}
