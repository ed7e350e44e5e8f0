namespace BioSim.Engine.Simulation;

/// <summary>Thrown when a state variable becomes NaN or infinite, or leaves the range its model declares plausible.</summary>
public sealed class SimulationDivergedException : Exception
{
    /// <param name="population">Name of the population.</param>
    /// <param name="variable">The state variable that is not finite (e.g. "V").</param>
    /// <param name="index">Index of the element (neuron, cell) within the population.</param>
    /// <param name="time">Time at which the value was found not finite, ms (the end of the step or sub-step).</param>
    public SimulationDivergedException(string population, string variable, int index, double time)
        : base($"Numerical blow-up in population '{population}': {variable}[{index}] is not finite at t = {time:0.###} ms; " +
               "reduce dt, check the parameters, or check the input weights.")
    {
        Population = population;
        Variable = variable;
        Index = index;
        Time = time;
    }

    /// <summary>A state that is finite but left the range its model declares plausible (a blow-up that has not reached
    /// infinity yet): names the value, the range and what to do.</summary>
    /// <param name="population">Name of the population.</param>
    /// <param name="variable">The state variable (e.g. "V").</param>
    /// <param name="index">Index of the element within the population.</param>
    /// <param name="time">Time at the end of the step, ms.</param>
    /// <param name="value">The value found.</param>
    /// <param name="range">The plausible range in words, with units ("[−1000, 1000] mV").</param>
    /// <param name="advice">What to change.</param>
    public SimulationDivergedException(string population, string variable, int index, double time, double value, string range, string advice)
        : base(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"Numerical blow-up in population '{population}': {variable}[{index}] = {value:G4} left its plausible range {range} at t = {time:0.###} ms; {advice}"))
    {
        Population = population;
        Variable = variable;
        Index = index;
        Time = time;
    }

    /// <summary>A blow-up whose place is not known: <see cref="Population"/> and <see cref="Variable"/> are empty.</summary>
    public SimulationDivergedException() : base("Numerical blow-up.") { Population = Variable = ""; }

    /// <summary>A blow-up described by <paramref name="message"/> alone; <see cref="Population"/> and <see cref="Variable"/> are empty.</summary>
    public SimulationDivergedException(string message) : base(message) { Population = Variable = ""; }

    /// <summary>A blow-up described by <paramref name="message"/>, caused by <paramref name="inner"/>; <see cref="Population"/>
    /// and <see cref="Variable"/> are empty.</summary>
    public SimulationDivergedException(string message, Exception inner) : base(message, inner) { Population = Variable = ""; }

    /// <summary>Name of the population whose state diverged ("" when not known).</summary>
    public string Population { get; }

    /// <summary>The state variable that is not finite, e.g. "V" ("" when not known).</summary>
    public string Variable { get; }

    /// <summary>Index of the element (neuron, cell) within <see cref="Population"/>.</summary>
    public int Index { get; }

    /// <summary>Time at which the value was found not finite, ms.</summary>
    public double Time { get; }

    /// <summary>Throws when <paramref name="value"/> is not finite, or lies outside [<paramref name="low"/>, <paramref name="high"/>]
    /// (in <paramref name="unit"/>), the range the model declares plausible for <paramref name="variable"/>.</summary>
    /// <param name="population">Name of the population.</param>
    /// <param name="variable">The state variable.</param>
    /// <param name="index">Index of the element.</param>
    /// <param name="time">Time, ms.</param>
    /// <param name="value">The value to check.</param>
    /// <param name="low">Lowest plausible value (−∞ for none).</param>
    /// <param name="high">Highest plausible value (+∞ for none).</param>
    /// <param name="unit">The variable's unit, for the message.</param>
    /// <param name="advice">What to change when the range is left.</param>
    public static void ThrowIfImplausible(string population, string variable, int index, double time, double value, double low, double high,
        string unit, string advice)
    {
        if (!double.IsFinite(value)) throw new SimulationDivergedException(population, variable, index, time);
        if (value >= low && value <= high) return;
        string range = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"[{(double.IsNegativeInfinity(low) ? "−∞" : low.ToString("G6", System.Globalization.CultureInfo.InvariantCulture))}, {(double.IsPositiveInfinity(high) ? "∞" : high.ToString("G6", System.Globalization.CultureInfo.InvariantCulture))}] {unit}");
        throw new SimulationDivergedException(population, variable, index, time, value, range, advice);
    }
}
