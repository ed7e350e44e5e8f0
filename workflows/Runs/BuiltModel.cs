using BioSim.Circuits.Projections;
using BioSim.Engine.Simulation;

namespace BioSim.Workflows.Runs;

/// <summary>A built network ready to run.</summary>
public sealed record BuiltModel(Simulator Simulator, IReadOnlyList<IDynamics> Populations, IReadOnlyList<Projection> Projections)
{
    /// <summary>Synapses in all projections (of the whole network, also in a split run where each process keeps only some).</summary>
    public long SynapseCount => Projections.Sum(p => (long)p.WholeSynapseCount);

    /// <summary>The compilation of the step's methods started while the model was built (<see cref="IPreparesCode"/>); it may
    /// still be running, and its failure would only mean the methods compile at their first call.</summary>
    public Task CodePreparation { get; init; } = Task.CompletedTask;
}
