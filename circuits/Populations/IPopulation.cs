using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Populations;

/// <summary>A population built by an <see cref="IPopulationModel"/>: dynamics the simulation advances, and what a probe can record.</summary>
public interface IPopulation : IDynamics
{
    /// <summary>
    /// What a probe of <paramref name="variable"/> reads: the live array, the entries of it to copy each sample, and
    /// their SONATA mapping. <paramref name="elements"/> chooses the neurons or cells (null: all); <paramref name="sections"/>
    /// restricts a compartment report to the segments of those sections (null: every segment). A variable the population
    /// does not have throws an <see cref="ArgumentException"/> whose message says what it has.
    /// </summary>
    ProbeLayout Probe(string variable, IReadOnlyList<int>? elements, IReadOnlyList<string>? sections);
}
