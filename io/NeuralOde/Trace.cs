namespace BioSim.IO.NeuralOde;

/// <summary>
/// One trajectory to fit or to evaluate on: sample times, states (frames × d), optionally the input u(t) it was
/// driven by (its own sample times, frames × m), and for generated data the noise-free states.
/// </summary>
/// <param name="Name">Population, dataset path or "spiral[3]".</param>
/// <param name="Times">Sample times (increasing).</param>
/// <param name="States">Observed states, row-major frames × <paramref name="Dimension"/>.</param>
/// <param name="Dimension">State dimension d.</param>
/// <param name="InputTimes">Sample times of the input, or null for an undriven trajectory.</param>
/// <param name="Input">Input samples, row-major (InputTimes.Length × <paramref name="Inputs"/>), or null.</param>
/// <param name="Inputs">Number of input channels m (0 without input).</param>
/// <param name="Truth">Noise-free states at <paramref name="Times"/> (generated data), or null.</param>
public sealed record Trace(string Name, double[] Times, double[] States, int Dimension, double[]? InputTimes = null, double[]? Input = null,
    int Inputs = 0, double[]? Truth = null);
