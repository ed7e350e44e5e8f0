namespace BioSim.Plasticity.Synaptic;

/// <summary>
/// Parameters of the dendritic prediction rule of Urbanczik &amp; Senn (2014) (<see cref="UrbanczikSenn"/>). Each step of
/// length dt a synapse k onto neuron j changes by η·F_k, where F_k is the increment
/// (S_j − ρ(V*_j)·dt)·x_k (S_j: the neuron's spikes in the step, or ρ(U_j)·dt for the rate version; ρ = rate_scale·φ;
/// x_k: the synapse's postsynaptic-potential trace), low-pass filtered over τ_Δ when <see cref="tau_delta"/> &gt; 0.
/// </summary>
public sealed record UrbanczikSennParameters
{
    /// <summary>η ≥ 0: weight change per unit of the increment (weight unit per spike at unit trace). Required.</summary>
    public required double eta { get; init; }

    /// <summary>"rate" (the teaching term is the neuron's own rate ρ(U); the default) or "spikes" (its Poisson spikes, the
    /// paper's stochastic version; the target must emit spikes, rate_scale &gt; 0).</summary>
    public string output { get; init; } = "rate";

    /// <summary>τ_Δ ≥ 0, ms: the low-pass filter of the increments (the paper's PI_i); 0 applies each step's increment at once. Default 0.</summary>
    public double tau_delta { get; init; }

    /// <summary>Lower weight bound. Default −∞.</summary>
    public double w_min { get; init; } = double.NegativeInfinity;

    /// <summary>Upper weight bound. Default +∞.</summary>
    public double w_max { get; init; } = double.PositiveInfinity;

    /// <summary>The first invalid field as "field: problem", or null.</summary>
    public string? Validate() =>
        StdpParameters.NonNegative(eta, "eta")
        ?? (output is "rate" or "spikes" ? null : $"output: unknown '{output}'; allowed: rate, spikes")
        ?? StdpParameters.NonNegative(tau_delta, "tau_delta")
        ?? StdpParameters.Bounds(w_min, w_max);
}
