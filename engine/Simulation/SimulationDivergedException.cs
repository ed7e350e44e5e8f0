using BioSim.Engine.Events;

namespace BioSim.Engine.Simulation;

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
