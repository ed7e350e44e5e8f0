namespace BioSim.Plasticity.Training;

/// <summary>A run stopped because the loss or a weight became non-finite or exceeded the divergence limit.</summary>
public sealed class TrainingDivergedException(string message, int epoch, int batch, string layer, TrainingHistory history) : Exception(message)
{
    /// <summary>1-based epoch in which the run diverged.</summary>
    public int Epoch { get; } = epoch;

    /// <summary>1-based minibatch within that epoch.</summary>
    public int Batch { get; } = batch;

    /// <summary>The layer or parameter block first found not finite ("layer 2", "W").</summary>
    public string Layer { get; } = layer;

    /// <summary>The curves up to the failing batch.</summary>
    public TrainingHistory History { get; } = history;
}
