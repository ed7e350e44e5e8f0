using BioSim.Plasticity.Training;

namespace BioSim.IO.Compare;

/// <summary>
/// A comparison of learning rules (<c>biosim compare</c>): one task, one architecture, one optimiser
/// and budget, several seeds and several rules. Every rule × seed run starts from the same weights and
/// sees the data in the same order (both from the seed alone), unless a rule names an "init" of its own
/// (<see cref="RuleSpec.Init"/>). Read by <see cref="ComparisonReader"/>.
/// </summary>
public sealed record ComparisonExperiment
{
    /// <summary>The file it was read from (for messages).</summary>
    public required string File { get; init; }

    /// <summary>The JSON text, stored with the results.</summary>
    public required string Json { get; init; }

    /// <summary>"name", or the file name without extension when absent.</summary>
    public required string Name { get; init; }

    /// <summary>"task": where the training and test data come from.</summary>
    public required TaskSpec Task { get; init; }

    /// <summary>"architecture": the network every rule trains.</summary>
    public required ArchitectureSpec Architecture { get; init; }

    /// <summary>"optimiser" with the top-level "lr".</summary>
    public required OptimiserSpec Optimiser { get; init; }

    /// <summary>Samples per minibatch.</summary>
    public required int Batch { get; init; }

    /// <summary>"epochs": passes over the training set per run.</summary>
    public required int Epochs { get; init; }

    /// <summary>The per-epoch factor on every learning rate ("lr_schedule"), or null for constant rates.</summary>
    public LearningRateSchedule? Schedule { get; init; }

    /// <summary>"seeds": one run per seed and rule; each seed fixes the initial weights and the data order.</summary>
    public required IReadOnlyList<ulong> Seeds { get; init; }

    /// <summary>"rules": the rules compared, in the file's order.</summary>
    public required IReadOnlyList<RuleSpec> Rules { get; init; }

    /// <summary>Whether to measure the angle of each hidden layer's signal to backprop's at every epoch end.</summary>
    public bool Alignment { get; init; } = true;

    /// <summary>Rows of the probe batch (the first rows of the test set) the angles are measured on.</summary>
    public int ProbeRows { get; init; } = 256;

    /// <summary>Least wall time (s) between a run's checkpoints, which are written at epoch ends (and always after the last
    /// epoch); 0 writes one after every epoch. Not from the file: <c>biosim compare --checkpoint-every</c> (default 30).</summary>
    public double CheckpointSeconds { get; init; }

    /// <summary>Also checkpoint at every epoch that is a multiple of this (null: by wall time only). Not from the file:
    /// <c>biosim compare --checkpoint-epochs</c>.</summary>
    public int? CheckpointEpochs { get; init; }

    /// <summary>Runs whose minibatch loss exceeds this (or is not finite) stop as diverged.</summary>
    public double DivergenceLoss { get; init; } = 1e10;

    /// <summary>Whether the networks train in float32 ("precision": "float32"; backprop, feedback alignment and direct feedback
    /// alignment only, checked when the file is read) rather than float64.</summary>
    public bool SinglePrecision { get; init; }
}
