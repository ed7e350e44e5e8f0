namespace BioSim.Plasticity.Synaptic;

/// <summary>
/// Parameters of the triplet STDP rule of Pfister &amp; Gerstner (2006) (<see cref="TripletStdp"/>). The defaults are the
/// paper's visual-cortex fit with all-to-all interactions, full model (its Table 4): τ₊ = 16.8 ms, τ₋ = 33.7 ms,
/// τ_x = 101 ms, τ_y = 125 ms, A₂⁺ = 5·10⁻¹⁰, A₃⁺ = 6.2·10⁻³, A₂⁻ = 7·10⁻³, A₃⁻ = 2.3·10⁻⁴ (amplitudes in the
/// projection's weight unit; the paper's weights are relative).
/// </summary>
public sealed record TripletStdpParameters
{
    /// <summary>τ₊ (ms), the fast presynaptic trace r₁. Default 16.8.</summary>
    public double tau_plus { get; init; } = 16.8;

    /// <summary>τ₋ (ms), the fast postsynaptic trace o₁. Default 33.7.</summary>
    public double tau_minus { get; init; } = 33.7;

    /// <summary>τ_x (ms), the slow presynaptic trace r₂. Default 101.</summary>
    public double tau_x { get; init; } = 101.0;

    /// <summary>τ_y (ms), the slow postsynaptic trace o₂. Default 125.</summary>
    public double tau_y { get; init; } = 125.0;

    /// <summary>A₂⁺ ≥ 0, pair potentiation. Default 5e-10.</summary>
    public double A2_plus { get; init; } = 5e-10;

    /// <summary>A₃⁺ ≥ 0, triplet potentiation (post-pre-post). Default 6.2e-3.</summary>
    public double A3_plus { get; init; } = 6.2e-3;

    /// <summary>A₂⁻ ≥ 0, pair depression. Default 7e-3.</summary>
    public double A2_minus { get; init; } = 7e-3;

    /// <summary>A₃⁻ ≥ 0, triplet depression (pre-post-pre). Default 2.3e-4.</summary>
    public double A3_minus { get; init; } = 2.3e-4;

    /// <summary>Lower weight bound. Default 0.</summary>
    public double w_min { get; init; }

    /// <summary>Upper weight bound (required), ≥ w_min.</summary>
    public required double w_max { get; init; }

    /// <summary>"all-to-all" (traces add up every spike; the default) or "nearest" (each trace is reset to 1 at a spike).</summary>
    public string pairing { get; init; } = "all-to-all";

    /// <summary>The first invalid field as "field: problem", or null.</summary>
    public string? Validate() =>
        StdpParameters.Positive(tau_plus, "tau_plus") ?? StdpParameters.Positive(tau_minus, "tau_minus")
        ?? StdpParameters.Positive(tau_x, "tau_x") ?? StdpParameters.Positive(tau_y, "tau_y")
        ?? StdpParameters.NonNegative(A2_plus, "A2_plus") ?? StdpParameters.NonNegative(A3_plus, "A3_plus")
        ?? StdpParameters.NonNegative(A2_minus, "A2_minus") ?? StdpParameters.NonNegative(A3_minus, "A3_minus")
        ?? StdpParameters.Bounds(w_min, w_max) ?? StdpParameters.PairingProblem(pairing);
}
