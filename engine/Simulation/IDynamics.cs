using System.Diagnostics.CodeAnalysis;
using BioSim.Engine.Events;

namespace BioSim.Engine.Simulation;

/// <summary>
/// A group of elements (a neuron population) that the simulation advances step by step. Its state
/// lives in flat arrays, one per variable (structure of arrays).
/// </summary>
public interface IDynamics : IStateful
{
    /// <summary>The name experiment files and reports use.</summary>
    string Name { get; }

    /// <summary>Number of elements.</summary>
    int Size { get; }

    /// <summary>
    /// Elements per parallel work item. Fixed by the population (never by the thread count), so results do not
    /// depend on threads; populations with costly elements (multi-compartment cells) choose fewer. Default 1024.
    /// </summary>
    int ParallelChunk => Simulator.ChunkSize;

    /// <summary>Whether the elements emit spikes (false for rate models); a rule that needs postsynaptic spikes, such as
    /// STDP, cannot act on a projection onto a population that does not.</summary>
    bool EmitsSpikes => true;

    /// <summary>Names of the state variables a probe can record (e.g. "V").</summary>
    IReadOnlyList<string> VariableNames { get; }

    /// <summary>Unit of each recordable variable (e.g. "mV"), by name.</summary>
    string UnitOf(string variable);

    /// <summary>The live array of a state variable (one value per element); probes read it after each step.</summary>
    double[] Variable(string name);

    /// <summary>Names of the input ports (receptors) that projections deliver to.</summary>
    IReadOnlyList<string> InputNames { get; }

    /// <summary>The delay ring that feeds input port <paramref name="name"/>.</summary>
    DelayRing Input(string name);

    /// <summary>Computes derived values (propagators) for the step size and sizes the input rings for the longest delay.</summary>
    void Prepare(double dt, int maxDelaySteps);

    /// <summary>
    /// Advances elements [<paramref name="start"/>, <paramref name="end"/>) from <paramref name="t"/> to t + dt, taking
    /// the input that arrives at t, and adds every spike with its exact time to <paramref name="spikes"/> in index order
    /// (in exact timing a population may add its neurons that had timed input after the others: the simulation sorts each
    /// step's spikes by time and index).
    /// Called for disjoint ranges in parallel; must touch only those elements. Throws
    /// <see cref="SimulationDivergedException"/> when the state stops being finite.
    /// </summary>
    [SuppressMessage("Naming", "CA1716:Identifiers should not match keywords",
        Justification = "start and end bound the half-open element range [start, end), as in every population that implements this; End is a keyword only in Visual Basic, which no plug-in is written in.")]
    void Advance(double t, double dt, int start, int end, SpikeList spikes);

    /// <summary>Called once per step after every range has advanced: consume the inputs of this step.</summary>
    void EndStep();
}
