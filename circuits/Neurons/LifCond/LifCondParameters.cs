using BioSim.Circuits.Populations;
using static BioSim.Circuits.Neurons.ParameterChecks;

namespace BioSim.Circuits.Neurons.LifCond;

/// <summary>
/// Parameters of the conductance-based leaky integrate-and-fire neuron (see <see cref="LifCondPopulation"/>).
/// Defaults are the neuron of the COBA benchmark (Brette et al. 2007, J Comput Neurosci 23:349; Vogels
/// &amp; Abbott 2005): τ_m = C_m/g_L = 20 ms. Units mV, ms, pF, nS, pA.
/// </summary>
public sealed record LifCondParameters : IModelParameters
{
    /// <summary>C_m, membrane capacitance (pF), &gt; 0. Default 200.</summary>
    public double C_m { get; init; } = 200.0;

    /// <summary>g_L, leak conductance (nS), &gt; 0. Default 10 (τ_m = 20 ms).</summary>
    public double g_L { get; init; } = 10.0;

    /// <summary>E_L, leak reversal (resting) potential (mV). Default −60.</summary>
    public double E_L { get; init; } = -60.0;

    /// <summary>V_th, spike threshold (mV), &gt; V_reset. Default −50.</summary>
    public double V_th { get; init; } = -50.0;

    /// <summary>V_reset, reset potential (mV). Default −60.</summary>
    public double V_reset { get; init; } = -60.0;

    /// <summary>t_ref, absolute refractory period (ms), ≥ 0; V is held at V_reset for this long. Default 5.</summary>
    public double t_ref { get; init; } = 5.0;

    /// <summary>I_e, constant injected current (pA). Default 0.</summary>
    public double I_e { get; init; }

    /// <summary>τ_m = C_m/g_L (ms).</summary>
    public double TauM => C_m / g_L;

    /// <summary>Returns the first invalid field as "field: problem", or null when all are valid.</summary>
    public string? Validate() =>
        Positive(C_m, "C_m", "pF") ?? Positive(g_L, "g_L", "nS") ?? Finite(E_L, "E_L") ?? ThresholdAndReset(V_th, V_reset, t_ref)
        ?? Finite(I_e, "I_e");
}
