namespace BioSim.Workflows.Runs;

/// <summary>One population's share of a <see cref="RunSummary"/>.</summary>
/// <param name="Name">The population's name in the experiment.</param>
/// <param name="Size">Its neurons.</param>
/// <param name="Spikes">Its spikes over the whole run.</param>
/// <param name="MeanRateHz">Its mean firing rate (Hz).</param>
/// <param name="AdaptiveSteps">With <c>"integration": {"method": "adaptive"}</c>, the accepted adaptive steps of all its cells
/// from t = 0 (checkpointed, so a resumed run counts the steps before the checkpoint too); null with the fixed-step scheme.</param>
/// <param name="Counters">Event counters of populations that keep them (<see cref="Engine.Simulation.IEventCounters"/>: the synaptic
/// events and energy estimate of neurosynaptic cores), from t = 0; null for the others.</param>
public sealed record PopulationSummary(string Name, int Size, long Spikes, double MeanRateHz, long? AdaptiveSteps = null,
    IReadOnlyList<(string Name, double Value)>? Counters = null);
