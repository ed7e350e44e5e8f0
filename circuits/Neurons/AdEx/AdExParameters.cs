using BioSim.Circuits.Populations;
using static BioSim.Circuits.Neurons.ParameterChecks;

namespace BioSim.Circuits.Neurons.AdEx;

/// <summary>
/// Parameters of the adaptive exponential integrate-and-fire neuron (see <see cref="AdExPopulation"/>).
/// Defaults are those of Brette &amp; Gerstner (2005) as NEST's aeif models use them. Units: mV, ms, pF,
/// nS, pA (so pA/pF = mV/ms and nS·mV = pA).
/// </summary>
public sealed record AdExParameters : IModelParameters
{
    /// <summary>Largest allowed (V_peak − V_T)/Δ_T, so that exp((V − V_T)/Δ_T) is finite up to V_peak.</summary>
    public const double MaxExponent = 600;

    /// <summary>C_m, membrane capacitance (pF), &gt; 0. Default 281.</summary>
    public double C_m { get; init; } = 281.0;

    /// <summary>g_L, leak conductance (nS), &gt; 0. Default 30.</summary>
    public double g_L { get; init; } = 30.0;

    /// <summary>E_L, leak reversal potential (mV). Default −70.6.</summary>
    public double E_L { get; init; } = -70.6;

    /// <summary>V_T, threshold slope centre of the exponential term (mV). Default −50.4.</summary>
    public double V_T { get; init; } = -50.4;

    /// <summary>Δ_T, slope factor (mV), &gt; 0. Default 2.</summary>
    public double Delta_T { get; init; } = 2.0;

    /// <summary>τ_w, adaptation time constant (ms), &gt; 0. Default 144.</summary>
    public double tau_w { get; init; } = 144.0;

    /// <summary>a, subthreshold adaptation (nS), any finite value. Default 4.</summary>
    public double a { get; init; } = 4.0;

    /// <summary>b, spike-triggered adaptation increment (pA), any finite value. Default 80.5.</summary>
    public double b { get; init; } = 80.5;

    /// <summary>V_reset, reset potential (mV), &lt; V_peak. Default −70.6.</summary>
    public double V_reset { get; init; } = -70.6;

    /// <summary>V_peak, spike detection (cut-off) potential (mV), &gt; V_T. Default 0 (NEST with Δ_T &gt; 0).</summary>
    public double V_peak { get; init; }

    /// <summary>t_ref, refractory period (ms), ≥ 0; V is held at V_reset while w keeps evolving. Default 0.</summary>
    public double t_ref { get; init; }

    /// <summary>I_e, constant injected current (pA). Default 0.</summary>
    public double I_e { get; init; }

    /// <summary>Returns the first invalid field as "field: problem", or null when all are valid.</summary>
    public string? Validate() =>
        Positive(C_m, "C_m", "pF") ?? Positive(g_L, "g_L", "nS") ?? Finite(E_L, "E_L") ?? Finite(V_T, "V_T")
        ?? Positive(Delta_T, "Delta_T", "mV") ?? Positive(tau_w, "tau_w", "ms") ?? Finite(a, "a") ?? Finite(b, "b")
        ?? Finite(V_peak, "V_peak") ?? PeakProblem() ?? Finite(V_reset, "V_reset")
        ?? (V_reset < V_peak ? null : $"V_reset: must be below V_peak ({V_peak} mV), got {V_reset}")
        ?? NonNegative(t_ref, "t_ref", "ms") ?? Finite(I_e, "I_e");

    /// <summary>V_peak above V_T, and not so far that exp((V_peak − V_T)/Δ_T) overflows.</summary>
    private string? PeakProblem()
    {
        if (!(V_peak > V_T)) return $"V_peak: must be above V_T ({V_T} mV), got {V_peak}";
        if (!((V_peak - V_T) / Delta_T <= MaxExponent))
        {
            return $"V_peak: (V_peak − V_T)/Delta_T must be at most {MaxExponent} so that the exponential term stays finite, got {(V_peak - V_T) / Delta_T}";
        }
        return null;
    }
}
