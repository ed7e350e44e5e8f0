namespace BioSim.Engine.Simulation;

/// <summary>A population that counts events beyond its spikes (the synaptic events and energy estimate of neurosynaptic
/// cores); a run reports the counters with the population's summary.</summary>
public interface IEventCounters
{
    /// <summary>The counters so far, by name (snake_case, with the unit in the name when there is one: "energy_pj").</summary>
    IReadOnlyList<(string Name, double Value)> Counters { get; }
}
