namespace BioSim.Plasticity.Training;

/// <summary>One epoch's numbers. Accuracy is NaN for regression; test values are NaN without a test set.</summary>
public sealed record EpochResult(int Epoch, double TrainLoss, double TestLoss, double TestAccuracy);
