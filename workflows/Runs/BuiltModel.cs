using BioSim.Circuits.Projections;
using BioSim.Engine.Simulation;

namespace BioSim.Workflows.Runs;

/// <summary>A built network ready to run.</summary>
public sealed record BuiltModel(Simulator Simulator, IReadOnlyList<IDynamics> Populations, IReadOnlyList<Projection> Projections)
{
    /// <summary>Synapses in all projections.</summary>
    public long SynapseCount => Projections.Sum(p => (long)p.SynapseCount);
}
