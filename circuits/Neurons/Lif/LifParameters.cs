using BioSim.Circuits.Populations;

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
    public string? Validate()
    {
        if (!(tau_m > 0) || double.IsInfinity(tau_m)) return $"tau_m: must be a positive number of ms, got {tau_m}";
        if (!double.IsFinite(E_L)) return $"E_L: must be finite, got {E_L}";
        if (!double.IsFinite(V_th)) return $"V_th: must be finite, got {V_th}";
        if (!double.IsFinite(V_reset)) return $"V_reset: must be finite, got {V_reset}";
        if (!(V_reset < V_th)) return $"V_reset: must be below V_th ({V_th} mV), got {V_reset}";
        if (!(t_ref >= 0) || double.IsInfinity(t_ref)) return $"t_ref: must be a non-negative number of ms, got {t_ref}";
        if (!(R_m > 0) || double.IsInfinity(R_m)) return $"R_m: must be a positive number of MΩ, got {R_m}";
        if (!double.IsFinite(I_e)) return $"I_e: must be finite, got {I_e}";
        return null;
    }
}
