namespace BioSim.Circuits.Synapses;

/// <summary>
/// One synaptic input port of a population: a state variable per neuron that jumps by the synaptic
/// weight when a spike arrives and decays exponentially with <see cref="Tau"/> between spikes.
/// </summary>
/// <param name="Name">Port name projections refer to (e.g. "exc").</param>
/// <param name="Model">"exp-current": the variable is a drive added to the membrane equation (weights in mV for
/// LIF, pA for AdEx and HH); "exp-conductance": the variable is a conductance g with current g (E − V).</param>
/// <param name="Tau">Decay time constant τ (ms), &gt; 0.</param>
/// <param name="E">Reversal potential (mV), conductance receptors only.</param>
public sealed record ReceptorSpec(string Name, string Model, double Tau, double? E = null)
{
    /// <summary>"exp-current": the variable is a current (pA), or a potential (mV) in LIF and on a dendrite, added to the membrane equation.</summary>
    public const string ExpCurrent = "exp-current";

    /// <summary>"exp-conductance": the variable is a conductance g (nS) with current g (E − V).</summary>
    public const string ExpConductance = "exp-conductance";

    /// <summary>The receptor models a spec may name.</summary>
    public static IReadOnlyList<string> Models { get; } = [ExpCurrent, ExpConductance];

    /// <summary>True for an <see cref="ExpConductance"/> receptor (which then needs <see cref="E"/>).</summary>
    public bool IsConductance => Model == ExpConductance;

    /// <summary>Returns the first problem with this receptor, naming the field, or null.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(Name)) return "name: must be a non-empty string";
        if (!Models.Contains(Model)) return $"model: '{Model}' is not a receptor model; allowed: {string.Join(", ", Models)}";
        if (!(Tau > 0) || double.IsInfinity(Tau)) return $"tau: must be a positive number of ms, got {Tau}";
        if (IsConductance && E is null) return "E: a conductance receptor needs its reversal potential E (mV)";
        if (IsConductance && !double.IsFinite(E!.Value)) return $"E: must be finite, got {E}";
        return null;
    }
}
