namespace BioSim.Plasticity.Training;

/// <summary>The learning curves so far.</summary>
public sealed class TrainingHistory
{
    /// <summary>One result per finished epoch, in order.</summary>
    public List<EpochResult> Epochs { get; } = [];

    /// <summary>Loss of every minibatch in order.</summary>
    public List<double> BatchLosses { get; } = [];
}
