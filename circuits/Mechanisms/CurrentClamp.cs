namespace BioSim.Circuits.Mechanisms;

/// <summary>
/// NEURON's <c>IClamp</c>: a current of <see cref="amp"/> nA injected (depolarising when positive) while
/// del ≤ t &lt; del + dur, with t the middle of the step as NEURON's fixed-step method evaluates it.
/// </summary>
public sealed class CurrentClamp : Mechanism
{
    /// <summary>del, onset (ms), ≥ 0. Default 0.</summary>
    public double del { get; init; }

    /// <summary>dur, duration (ms), ≥ 0. Default 0.</summary>
    public double dur { get; init; }

    /// <summary>amp, amplitude (nA). Default 0.</summary>
    public double amp { get; init; }

    /// <summary>True: a point process on one node, in absolute units.</summary>
    public override bool IsPointProcess => true;

    /// <summary>del and dur non-negative and finite, amp finite.</summary>
    public override string? Validate()
    {
        if (!(del >= 0) || double.IsInfinity(del)) return $"del: must be a non-negative number of ms, got {del}";
        if (!(dur >= 0) || double.IsInfinity(dur)) return $"dur: must be a non-negative number of ms, got {dur}";
        if (!double.IsFinite(amp)) return $"amp: must be finite, got {amp}";
        return null;
    }

    /// <summary>Nothing: the clamp has no state.</summary>
    protected override void Allocate()
    {
    }

    /// <summary>Nothing: the clamp has no state.</summary>
    public override void Initialize(int cell, ReadOnlySpan<double> v)
    {
    }

    /// <summary>While del ≤ <paramref name="t"/> &lt; del + dur, subtracts amp (nA) from the outward current of its node: an injected
    /// current is inward. It adds no conductance.</summary>
    public override void Current(int cell, double t, ReadOnlySpan<double> v, Span<double> g, Span<double> current)
    {
        if (t >= del && t < del + dur) current[Nodes[0]] -= amp;
    }

    /// <summary>Nothing: the clamp has no state.</summary>
    public override void Advance(int cell, ReadOnlySpan<double> v, double dt)
    {
    }
}
