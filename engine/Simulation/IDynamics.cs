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
    int ParallelChunk => Simulation.ChunkSize;

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
    /// the input that arrives at t, and adds every spike with its exact time to <paramref name="spikes"/> in index order.
    /// Called for disjoint ranges in parallel; must touch only those elements. Throws
    /// <see cref="SimulationDivergedException"/> when the state stops being finite.
    /// </summary>
    void Advance(double t, double dt, int start, int end, SpikeList spikes);

    /// <summary>Called once per step after every range has advanced: consume the inputs of this step.</summary>
    void EndStep();
}

/// <summary>Sends the spikes of one population to the input rings of another (a projection).</summary>
public interface ITransmitter
{
    /// <summary>Name of the source population.</summary>
    string Source { get; }

    /// <summary>Largest delay in steps (for sizing the target rings).</summary>
    int MaxDelaySteps(double dt);

    /// <summary>Prepares delay steps for the step size.</summary>
    void Prepare(double dt);

    /// <summary>Delivers the spikes emitted by the source in the current step.</summary>
    void Transmit(SpikeList spikes);
}

/// <summary>Something the simulation calls after every step: probes and recorders.</summary>
public interface IStepObserver
{
    /// <summary>Called after the step ending at <paramref name="t"/>; <paramref name="spikes"/> holds each population's spikes of that step, time-sorted.</summary>
    void AfterStep(double t, IReadOnlyList<SpikeList> spikes);
}

/// <summary>Thrown when a state variable becomes NaN or infinite.</summary>
public sealed class SimulationDivergedException : Exception
{
    public SimulationDivergedException(string population, string variable, int index, double time)
        : base($"Numerical blow-up in population '{population}': {variable}[{index}] is not finite at t = {time:0.###} ms; " +
               "reduce dt, check the parameters, or check the input weights.")
    {
        Population = population;
        Variable = variable;
        Index = index;
        Time = time;
    }

    public SimulationDivergedException() : base("Numerical blow-up.") { Population = Variable = ""; }

    public SimulationDivergedException(string message) : base(message) { Population = Variable = ""; }

    public SimulationDivergedException(string message, Exception inner) : base(message, inner) { Population = Variable = ""; }

    public string Population { get; }

    public string Variable { get; }

    public int Index { get; }

    public double Time { get; }
}
