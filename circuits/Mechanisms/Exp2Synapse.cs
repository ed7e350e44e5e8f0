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

    /// <summary>tau1, rise time constant (ms), &gt; 0 and &lt; tau2. Default 0.1.</summary>
    public double tau1 { get; init; } = 0.1;

    /// <summary>tau2, decay time constant (ms), &gt; tau1. Default 10.</summary>
    public double tau2 { get; init; } = 10;

    /// <summary>e, reversal potential (mV). Default 0.</summary>
    public double e { get; init; }

    public override bool IsPointProcess => true;

    public override bool ReceivesEvents => true;

    public override string? Validate()
    {
        if (!(tau1 > 0) || double.IsInfinity(tau1)) return $"tau1: must be a positive number of ms, got {tau1}";
        if (!(tau2 > 0) || double.IsInfinity(tau2)) return $"tau2: must be a positive number of ms, got {tau2}";
        if (!double.IsFinite(e)) return $"e: must be finite, got {e}";
        return null;
    }

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

    public override void Prepare(double dt)
    {
        _decay1 = Math.Exp(-dt / _tau1);
        _decay2 = Math.Exp(-dt / tau2);
    }

    public override void Initialize(int cell, ReadOnlySpan<double> v)
    {
        _a[cell] = 0;
        _b[cell] = 0;
    }

    public override void Current(int cell, double t, ReadOnlySpan<double> v, Span<double> g, Span<double> current)
    {
        int i = Nodes[0];
        double gs = _b[cell] - _a[cell];
        g[i] += gs;
        current[i] += gs * (v[i] - e);
    }

    public override void Advance(int cell, ReadOnlySpan<double> v, double dt)
    {
        _a[cell] *= _decay1;
        _b[cell] *= _decay2;
    }

    public override void Receive(int cell, double weight)
    {
        _a[cell] += weight * _factor;
        _b[cell] += weight * _factor;
    }
}
