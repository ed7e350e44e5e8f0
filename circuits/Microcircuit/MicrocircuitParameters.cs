using BioSim.Circuits.Populations;
using static BioSim.Circuits.Neurons.ParameterChecks;

namespace BioSim.Circuits.Microcircuit;

/// <summary>
/// Parameters of the dendritic cortical microcircuit (<see cref="CorticalMicrocircuit"/>), defaults from Sacramento, Costa,
/// Bengio &amp; Senn (NeurIPS 2018), Methods. Potentials are dimensionless in the paper; here they carry mV with C = 1,
/// so a conductance g is a rate in 1/ms and g_lk = 0.1 gives the 10 ms leak time constant. What the circuit is shown
/// (input patterns, a teacher) is its task, not a parameter: <see cref="MicrocircuitTask"/>.
/// </summary>
public sealed record MicrocircuitParameters : IModelParameters
{
    /// <summary>layers, the number of cells per layer from the input to the output (e.g. [30, 20, 10]): at least an input
    /// and an output layer, each ≥ 1. Layer 0 is the input (rates clamped to the sample), layers 1 … L−1 are hidden
    /// (pyramidal cells with an apical compartment, plus one interneuron per pyramidal cell of the layer above), layer L
    /// is the output (pyramidal cells without apical compartment, nudged towards the target). Default [30, 20, 10].</summary>
    public int[] layers { get; init; } = [30, 20, 10];

    /// <summary>g_lk, somatic leak conductance (1/ms), &gt; 0. Default 0.1.</summary>
    public double g_lk { get; init; } = 0.1;

    /// <summary>g_B, basal-to-soma coupling of the pyramidal cells (1/ms), ≥ 0. Default 1.</summary>
    public double g_B { get; init; } = 1.0;

    /// <summary>g_A, apical-to-soma coupling of the hidden pyramidal cells (1/ms), ≥ 0. Default 0.8.</summary>
    public double g_A { get; init; } = 0.8;

    /// <summary>g_D, dendrite-to-soma coupling of the interneurons (1/ms), ≥ 0. Default 1.</summary>
    public double g_D { get; init; } = 1.0;

    /// <summary>g_som, somatic nudging conductance (1/ms), ≥ 0: interneurons towards their paired pyramidal cell of the
    /// layer above, output cells towards the target. Default 0.8.</summary>
    public double g_som { get; init; } = 0.8;

    /// <summary>phi, the rate function r = φ(u): "soft-relu" (ln(1 + eᵘ), the paper's choice) or "logistic" (1/(1 + e⁻ᵘ)).
    /// Default "soft-relu".</summary>
    public string phi { get; init; } = "soft-relu";

    /// <summary>noise, σ of the white noise on every soma (mV/√ms), ≥ 0: du = … dt + σ dW. Default 0.</summary>
    public double noise { get; init; }

    /// <summary>sample_duration, how long each sample is presented when the circuit reads its samples itself (ms), &gt; 0.
    /// Default 100.</summary>
    public double sample_duration { get; init; } = 100.0;

    /// <summary>initial_scale, s of the initial weights: every matrix entry uniform in [−s, s]/√(fan-in), ≥ 0. Default 1.</summary>
    public double initial_scale { get; init; } = 1.0;

    /// <summary>self_predicting, whether the lateral weights start in the analytic self-predicting state
    /// (<see cref="SelfPredictingState"/>) instead of at random. Default false.</summary>
    public bool self_predicting { get; init; }

    /// <summary>The first invalid field as "field: problem", or null.</summary>
    public string? Validate() =>
        (layers is { Length: >= 2 } ? null : $"layers: needs at least an input and an output layer, got {layers?.Length ?? 0}")
        ?? (layers!.All(n => n >= 1) ? null : $"layers: every layer needs at least one cell, got [{string.Join(", ", layers!)}]")
        ?? Positive(g_lk, "g_lk", "1/ms") ?? NonNegative(g_B, "g_B", "1/ms") ?? NonNegative(g_A, "g_A", "1/ms")
        ?? NonNegative(g_D, "g_D", "1/ms") ?? NonNegative(g_som, "g_som", "1/ms")
        ?? (RateTransfer.Find(phi) is not null ? null : $"phi: '{phi}' is not a rate function; allowed: {string.Join(", ", RateTransfer.Names)}")
        ?? NonNegative(noise, "noise", "mV/√ms") ?? Positive(sample_duration, "sample_duration", "ms")
        ?? NonNegative(initial_scale, "initial_scale", "(dimensionless)");
}
