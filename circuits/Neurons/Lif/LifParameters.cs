using BioSim.Circuits.Populations;
using static BioSim.Circuits.Neurons.ParameterChecks;

namespace BioSim.Circuits.Neurons.Lif;

/// <summary>Parameters of the leaky integrate-and-fire neuron (see <see cref="LifPopulation"/>).</summary>
public sealed record LifParameters : IModelParameters
{
    /// <summary>τ_m, membrane time constant (ms), &gt; 0. Default 20.</summary>
    public double tau_m { get; init; } = 20.0;

    /// <summary>E_L, resting (leak reversal) potential (mV). Default −70.</summary>
    public double E_L { get; init; } = -70.0;

    /// <summary>V_th, spike threshold (mV), &gt; V_reset. Default −50.</summary>
    public double V_th { get; init; } = -50.0;

    /// <summary>V_reset, reset potential after a spike (mV). Default −60.</summary>
    public double V_reset { get; init; } = -60.0;

    /// <summary>t_ref, absolute refractory period (ms), ≥ 0; V is clamped at V_reset for this long. Default 2.</summary>
    public double t_ref { get; init; } = 2.0;

    /// <summary>R_m, membrane resistance (MΩ), &gt; 0; with I_e in nA, R_m·I_e is in mV. Default 1.</summary>
    public double R_m { get; init; } = 1.0;

    /// <summary>I_e, constant injected current (nA). Default 0.</summary>
    public double I_e { get; init; }

    /// <summary>Returns the first invalid field as "field: problem", or null when all are valid.</summary>
    public string? Validate() =>
        Positive(tau_m, "tau_m", "ms") ?? Finite(E_L, "E_L") ?? ThresholdAndReset(V_th, V_reset, t_ref)
        ?? Positive(R_m, "R_m", "MΩ") ?? Finite(I_e, "I_e");
}
