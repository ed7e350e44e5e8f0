using static BioSim.Circuits.Neurons.ParameterChecks;

namespace BioSim.Circuits.Neurons.Dendritic;

/// <summary>
/// What the dendritic microcircuit's two neurons share: the soma (capacitance, leak, reversals, initial potential) and
/// the rate output φ(U). Defaults from Sacramento et al. (2018), Methods: g_L = 0.1 with C = 1 (τ_L = C/g_L = 10 ms),
/// E_L = 0, and Urbanczik &amp; Senn (2014) for the nudging reversals E_E = 14/3, E_I = −1/3 (the papers' potentials are
/// dimensionless; here they carry mV, conductances nS, C pF, so C/g is in ms).
/// </summary>
public abstract record SomaticParameters
{
    /// <summary>C, somatic capacitance (pF), &gt; 0. Default 1.</summary>
    public double C { get; init; } = 1.0;

    /// <summary>g_L, somatic leak (nS), &gt; 0. Default 0.1.</summary>
    public double g_L { get; init; } = 0.1;

    /// <summary>E_L, leak reversal (mV). Default 0.</summary>
    public double E_L { get; init; }

    /// <summary>E_E, excitatory nudging reversal (mV). Default 14/3.</summary>
    public double E_E { get; init; } = 14.0 / 3.0;

    /// <summary>E_I, inhibitory nudging reversal (mV). Default −1/3.</summary>
    public double E_I { get; init; } = -1.0 / 3.0;

    /// <summary>U_init, initial somatic potential (mV). Default 0.</summary>
    public double U_init { get; init; }

    /// <summary>phi, transfer function: "softplus" (default) or "sigmoid".</summary>
    public string phi { get; init; } = "softplus";

    /// <summary>k, β, θ of the sigmoid (dimensionless, 1/mV, mV); k &gt; 0, β and θ any finite value. Defaults 0.5, 5, 1 (Urbanczik &amp; Senn 2014).</summary>
    public double k { get; init; } = 0.5;

    /// <inheritdoc cref="k"/>
    public double beta { get; init; } = 5.0;

    /// <inheritdoc cref="k"/>
    public double theta { get; init; } = 1.0;

    /// <summary>rate_scale, rate at φ = 1 (Hz), ≥ 0. Default 100.</summary>
    public double rate_scale { get; init; } = 100.0;

    /// <summary>The first invalid somatic field as "field: problem", or null.</summary>
    protected string? ValidateSoma() =>
        Positive(C, "C", "pF") ?? Positive(g_L, "g_L", "nS") ?? Finite(E_L, "E_L") ?? Finite(E_E, "E_E") ?? Finite(E_I, "E_I")
        ?? Finite(U_init, "U_init")
        ?? (RateFunction.Kinds.Contains(phi) ? null : $"phi: '{phi}' is not a transfer function; allowed: {string.Join(", ", RateFunction.Kinds)}")
        ?? (k > 0 && !double.IsInfinity(k) ? null : $"k: must be positive, got {k}")
        ?? Finite(beta, "beta") ?? Finite(theta, "theta") ?? NonNegative(rate_scale, "rate_scale", "Hz");

    /// <summary>Checks a dendrite-to-soma coupling conductance.</summary>
    protected static string? Coupling(string field, double g) => NonNegative(g, field, "nS");
}
