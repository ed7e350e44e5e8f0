namespace BioSim.Plasticity.Synaptic;

/// <summary>
/// Parameters of pair-based STDP (<see cref="Stdp"/>). A pair with Δt = t_post − t_pre changes the weight by
/// +A_plus·exp(−Δt/τ₊) when Δt ≥ 0 and by −A_minus·exp(Δt/τ₋) when Δt &lt; 0 (additive, in the projection's weight unit);
/// multiplicatively, the amplitudes are fractions of the distance to the bound: +A_plus·(w_max − w)·…, −A_minus·(w − w_min)·….
/// The defaults are Song, Miller &amp; Abbott (2000) as in Brian2's STDP example: τ₊ = τ₋ = 20 ms, A₋/A₊ = 1.05.
/// </summary>
public sealed record StdpParameters
{
    /// <summary>τ₊, the potentiation window (ms), &gt; 0. Default 20.</summary>
    public double tau_plus { get; init; } = 20.0;

    /// <summary>τ₋, the depression window (ms), &gt; 0. Default 20.</summary>
    public double tau_minus { get; init; } = 20.0;

    /// <summary>A₊ ≥ 0: potentiation per pair at Δt = 0 (weight unit when additive, a fraction when multiplicative). Default 0.01.</summary>
    public double A_plus { get; init; } = 0.01;

    /// <summary>A₋ ≥ 0: depression per pair at Δt = 0⁻ (as A₊). Default 0.0105.</summary>
    public double A_minus { get; init; } = 0.0105;

    /// <summary>Lower weight bound. Default 0.</summary>
    public double w_min { get; init; }

    /// <summary>Upper weight bound (required), ≥ w_min.</summary>
    public required double w_max { get; init; }

    /// <summary>"additive" (hard bounds: clipped to [w_min, w_max]; the default) or "multiplicative" (soft bounds).</summary>
    public string weight_dependence { get; init; } = "additive";

    /// <summary>"all-to-all" (every pre/post pair counts; the default) or "nearest" (each spike pairs only with the
    /// latest spike of the other side before it: the symmetric nearest-spike scheme of Morrison et al. 2008).</summary>
    public string pairing { get; init; } = "all-to-all";

    /// <summary>The first invalid field as "field: problem", or null.</summary>
    public string? Validate() =>
        Positive(tau_plus, "tau_plus") ?? Positive(tau_minus, "tau_minus")
        ?? NonNegative(A_plus, "A_plus") ?? NonNegative(A_minus, "A_minus")
        ?? Bounds(w_min, w_max)
        ?? (weight_dependence is "additive" or "multiplicative" ? null : $"weight_dependence: unknown '{weight_dependence}'; allowed: additive, multiplicative")
        ?? (weight_dependence == "multiplicative" && (double.IsInfinity(w_min) || double.IsInfinity(w_max)) ? "w_min, w_max: multiplicative STDP needs finite bounds" : null)
        ?? PairingProblem(pairing);

    internal static string? Positive(double value, string field) =>
        value > 0 && double.IsFinite(value) ? null : $"{field}: must be a positive number of ms, got {value}";

    internal static string? NonNegative(double value, string field) =>
        value >= 0 && double.IsFinite(value) ? null : $"{field}: must be ≥ 0 and finite, got {value}";

    internal static string? Bounds(double min, double max) =>
        double.IsNaN(min) || double.IsNaN(max) ? "w_min, w_max: must be numbers"
        : min > max ? $"w_min: {min} is above w_max = {max}; the bounds must satisfy w_min ≤ w_max" : null;

    internal static string? PairingProblem(string pairing) =>
        pairing is "all-to-all" or "nearest" ? null : $"pairing: unknown '{pairing}'; allowed: all-to-all, nearest";
}
