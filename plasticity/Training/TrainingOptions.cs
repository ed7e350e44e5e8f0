namespace BioSim.Plasticity.Training;

/// <summary>How a <see cref="Trainer"/> runs.</summary>
public sealed record TrainingOptions
{
    /// <summary>Passes over the training set (default 1).</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Samples per minibatch (default 32); the last batch of an epoch may be smaller.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Seed of the data order: epoch e is a Fisher-Yates permutation from stream (seed, "trainer", "order") element e.</summary>
    public ulong Seed { get; init; }

    /// <summary>Whether to shuffle (default true); false keeps the stored order.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>A minibatch loss above this (or not finite) stops the run as diverged (default 1e10).</summary>
    public double DivergenceLoss { get; init; } = 1e10;

    /// <summary>Rows per forward pass when evaluating (default 1000).</summary>
    public int EvaluationBatch { get; init; } = 1000;

    /// <summary>The first epoch to run (default 1): a run continued from a checkpoint taken after epoch e starts at e + 1 with the same data order it would have had.</summary>
    public int FirstEpoch { get; init; } = 1;

    /// <summary>Minibatches of <see cref="FirstEpoch"/> already done (default 0): a run continued from a checkpoint taken in
    /// the middle of an epoch goes on with the next minibatch of the same data order, the schedule at the same step.</summary>
    public int FirstBatch { get; init; }

    /// <summary>With <see cref="FirstBatch"/>: the sum of the losses of those minibatches, so that the epoch's mean training
    /// loss is the same as in a run never stopped.</summary>
    public double FirstBatchLossSum { get; init; }

    /// <summary>Called after every minibatch with (epoch, batch, loss), e.g. for progress or to stop on cancellation by throwing.</summary>
    public Action<int, int, double>? BatchCompleted { get; init; }

    /// <summary>Called after every epoch with its numbers (the hook for checkpoints and curves).</summary>
    public Action<EpochResult>? EpochCompleted { get; init; }

    /// <summary>A factor on every learning rate per epoch or per step (none: the rates stay as they are).</summary>
    public ITrainingSchedule? Schedule { get; init; }

    /// <summary>Stop after this many steps over the whole run (counted from epoch 1), possibly inside an epoch; null: run every epoch.</summary>
    public long? MaxSteps { get; init; }

    /// <summary>Whether to evaluate on the held-out data after every epoch (default true).</summary>
    public bool Evaluate { get; init; } = true;

    /// <summary>Checked before every step.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be at least 1.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 1.");
        if (EvaluationBatch < 1) throw new ArgumentOutOfRangeException(nameof(EvaluationBatch), EvaluationBatch, "EvaluationBatch must be at least 1.");
        if (FirstEpoch < 1 || FirstEpoch > Epochs) throw new ArgumentOutOfRangeException(nameof(FirstEpoch), FirstEpoch, $"FirstEpoch must lie in [1, Epochs = {Epochs}].");
        if (FirstBatch < 0) throw new ArgumentOutOfRangeException(nameof(FirstBatch), FirstBatch, "FirstBatch must be at least 0.");
        if (MaxSteps is < 1) throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, "MaxSteps must be at least 1.");
    }
}
