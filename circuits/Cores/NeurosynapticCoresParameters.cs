using System.Diagnostics.CodeAnalysis;
using BioSim.Circuits.Populations;

namespace BioSim.Circuits.Cores;

/// <summary>
/// Parameters of a network of neurosynaptic cores (<see cref="NeurosynapticCoresPopulation"/>, model
/// <c>"neurosynaptic-cores"</c>): the cores, the tick, and the energy constants of the event counts. The population's
/// size is 256 × the number of cores: neuron j of core c is element 256·c + j, and so is axon j of core c as the target
/// of a projection (an input spike with a non-zero weight on element 256·c + j activates that axon at the next tick).
/// </summary>
[SuppressMessage("Performance", "CA1819:Properties should not return arrays",
    Justification = "A parameters record read from JSON; the population copies the arrays.")]
public sealed record NeurosynapticCoresParameters : IModelParameters
{
    /// <summary>The cores (at least one).</summary>
    public CoreSpec[] cores { get; init; } = [];

    /// <summary>The tick (ms), a whole multiple of the simulation's dt. Default 1 (TrueNorth's 1 kHz).</summary>
    public double tick { get; init; } = 1.0;

    /// <summary>Energy per synaptic event (pJ), an active axon meeting a crossbar connection. Default 26 (Merolla et al. 2014).</summary>
    public double energy_per_synaptic_event { get; init; } = 26.0;

    /// <summary>Energy per spike (pJ): routing and delivering it. Default 0 (not separated in the 26 pJ figure).</summary>
    public double energy_per_spike { get; init; }

    /// <summary>Energy per active core-tick (pJ): a core that received or sent any spike in a tick. Default 0.</summary>
    public double energy_per_active_core_tick { get; init; }

    /// <inheritdoc/>
    public string? Validate()
    {
        if (cores is null || cores.Length == 0) return "cores: give at least one core";
        for (int c = 0; c < cores.Length; c++)
        {
            if (cores[c] is null) return $"cores[{c}]: null; give the core's fields (an empty object for a core with defaults)";
            string? problem = cores[c].Validate(c, cores.Length);
            if (problem is not null) return problem;
        }
        if (!(tick > 0) || !double.IsFinite(tick)) return $"tick: must be a positive number of ms, got {tick}";
        foreach (var (value, field) in new[] { (energy_per_synaptic_event, "energy_per_synaptic_event"), (energy_per_spike, "energy_per_spike"), (energy_per_active_core_tick, "energy_per_active_core_tick") })
        {
            if (!(value >= 0) || !double.IsFinite(value)) return $"{field}: must be ≥ 0 pJ, got {value}";
        }
        return null;
    }
}
