namespace BioSim.Workflows.Fit;

/// <summary>One trajectory and the fitted model's prediction of it, for a plot.</summary>
/// <param name="Name">The trajectory's name.</param>
/// <param name="Times">Its sample times.</param>
/// <param name="Observed">The states it is compared with (frames × d; noise-free for generated held-out data).</param>
/// <param name="Predicted">The model's states at the sample times after the first ((frames − 1) × d).</param>
/// <param name="Dimension">d.</param>
public sealed record FitPrediction(string Name, double[] Times, double[] Observed, double[] Predicted, int Dimension);
