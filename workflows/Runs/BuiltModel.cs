using BioSim.Circuits.Projections;
using BioSim.Engine.Simulation;

namespace BioSim.Workflows.Runs;

/// <summary>A built network ready to run.</summary>
public sealed record BuiltModel(Simulator Simulator, IReadOnlyList<IDynamics> Populations, IReadOnlyList<Projection> Projections)
{
    /// <summary>Synapses in all projections (of the whole network, also in a split run where each process keeps only some).</summary>
    public long SynapseCount => Projections.Sum(p => (long)p.WholeSynapseCount);
}
