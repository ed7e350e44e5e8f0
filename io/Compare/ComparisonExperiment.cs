using BioSim.Engine.Plugins;
using System.Reflection;
using BioSim.Circuits;
using BioSim.Engine.Random;
using BioSim.Plasticity;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;

namespace BioSim.IO.Compare;

/// <summary>
/// A comparison of learning rules (<c>biosim compare</c>): one task, one architecture, one optimiser
/// and budget, several seeds and several rules. Every rule × seed run starts from the same weights and
/// sees the data in the same order (both from the seed alone), unless a rule names an "init" of its own
/// (<see cref="RuleSpec.InitScheme"/>). Read by <see cref="ComparisonReader"/>.
/// </summary>
public sealed record ComparisonExperiment
{
    /// <summary>The file it was read from (for messages).</summary>
    public required string File { get; init; }

    /// <summary>The JSON text, stored with the results.</summary>
    public required string Json { get; init; }

    public required string Name { get; init; }

    public required TaskSpec Task { get; init; }

    public required ArchitectureSpec Architecture { get; init; }

    public required OptimiserSpec Optimiser { get; init; }

    /// <summary>Samples per minibatch.</summary>
    public required int Batch { get; init; }

    public required int Epochs { get; init; }

    /// <summary>The per-epoch factor on every learning rate ("lr_schedule"), or null for constant rates.</summary>
    public LearningRateSchedule? Schedule { get; init; }

    public required IReadOnlyList<ulong> Seeds { get; init; }

    public required IReadOnlyList<RuleSpec> Rules { get; init; }

    /// <summary>Whether to measure the angle of each hidden layer's signal to backprop's at every epoch end.</summary>
    public bool Alignment { get; init; } = true;

    /// <summary>Rows of the probe batch (the first rows of the test set) the angles are measured on.</summary>
    public int ProbeRows { get; init; } = 256;

    /// <summary>Least wall time (s) between a run's checkpoints, which are written at epoch ends (and always after the last
    /// epoch); 0 writes one after every epoch. Not from the file: <c>biosim compare --checkpoint-every</c> (default 30).</summary>
    public double CheckpointSeconds { get; init; }

    /// <summary>Runs whose minibatch loss exceeds this (or is not finite) stop as diverged.</summary>
    public double DivergenceLoss { get; init; } = 1e10;
}

/// <summary>The data: Fashion-MNIST (optionally its first samples only) or a teacher-student regression.</summary>
/// <param name="Type">"fashion-mnist" or "teacher-student".</param>
/// <param name="Teacher">teacher-student only: "linear" (y = T x) or "tanh" (y = V tanh(U x)).</param>
/// <param name="Inputs">input width (784 for Fashion-MNIST).</param>
/// <param name="Hidden">hidden width of the tanh teacher.</param>
/// <param name="Outputs">output width (10 classes for Fashion-MNIST).</param>
/// <param name="TrainSamples">training samples (Fashion-MNIST: the first ones; null for all 60 000).</param>
/// <param name="TestSamples">test samples (Fashion-MNIST: the first ones; null for all 10 000).</param>
/// <param name="Seed">teacher-student only: seed of the teacher and the samples (the same for every run).</param>
/// <param name="Directory">Fashion-MNIST only: where the IDX files are.</param>
/// <param name="UnitNormInputs">teacher-student only: inputs scaled to unit Euclidean norm (Song, Xu &amp; Lafferty 2021) instead of N(0, I).</param>
/// <param name="TargetRms">teacher-student only: null, or every target multiplied by one factor so that the training targets' root mean
/// square is this (the test targets by the same factor).</param>
public sealed record TaskSpec(string Type, string Teacher, int Inputs, int Hidden, int Outputs, int? TrainSamples, int? TestSamples, ulong Seed, string Directory,
    bool UnitNormInputs = false, double? TargetRms = null)
{
    /// <summary>"fashion-mnist" or "teacher-student/linear".</summary>
    public string Description => Type == "fashion-mnist" ? "fashion-mnist" : $"teacher-student/{Teacher}";
}

/// <summary>Layer sizes above the input, hidden and output activations, bias, initial-weight law and loss.</summary>
/// <param name="Init">null for PyTorch's default (W, b ~ U[±1/√n_in]); otherwise the law of every W (b = 0).</param>
/// <param name="InitScheme">"pytorch", "distribution" (<paramref name="Init"/>), "orthogonal" (random orthogonal W, b = 0; square
/// layers only, as GAIT-prop's published runs start) or "xavier-uniform" (W ~ U[±√(6/(n_in + n_out))], b = 0; the correlative
/// infomax code's start).</param>
/// <param name="TaskOutputs">With mse, the output units that have targets (the first ones) when the output layer is wider than the
/// task; the others are auxiliary units whose target is their own activity (GAIT-prop's square output layer). Null: all.</param>
/// <param name="OutputScale">the fixed factor s on the output layer's W h (1; 1/√p for the mean-field two-layer nets of Song, Xu &amp; Lafferty 2021).</param>
/// <param name="OutputL2">λ of the penalty (λ/2)‖W_L‖² on the output layer's weights (0), whose gradient λW_L every rule adds to its update.</param>
public sealed record ArchitectureSpec(IReadOnlyList<int> Layers, string Activation, string OutputActivation, bool Bias, Distribution? Init, string Loss,
    string InitScheme = "pytorch", int? TaskOutputs = null, double OutputScale = 1.0, double OutputL2 = 0.0)
{
    /// <summary>The layers above the input with their activations from <paramref name="catalogue"/>.</summary>
    public IReadOnlyList<LayerSpec> LayerSpecs(Catalogue catalogue) =>
        [.. Layers.Select((size, i) => i == Layers.Count - 1
            ? new LayerSpec(size, catalogue.CreateActivation(OutputActivation), Bias, OutputScale, OutputL2)
            : new LayerSpec(size, catalogue.CreateActivation(Activation), Bias))];

    /// <summary>The loss from <paramref name="catalogue"/>, with targets for the first <see cref="TaskOutputs"/> units only when set.</summary>
    public ILoss CreateLoss(Catalogue catalogue)
    {
        var loss = catalogue.CreateLoss(Loss);
        return TaskOutputs is { } k ? loss.WithTaskOutputs(k) ?? throw new InvalidOperationException($"The loss '{Loss}' has no auxiliary output units.") : loss;
    }
}

/// <summary>An optimiser from the catalogue ("type"), its learning rate ("lr") and settings (its public settable properties).</summary>
/// <param name="Description">The optimiser in words, for the summary ("SGD with momentum 0.9, lr 0.01").</param>
public sealed record OptimiserSpec(string Type, double LearningRate, IReadOnlyList<(PropertyInfo Property, object? Value)> Options, string Description = "")
{
    /// <summary>A fresh optimiser with the settings applied.</summary>
    public IOptimiser Create(Catalogue catalogue)
    {
        var optimiser = catalogue.CreateOptimiser(Type);
        optimiser.LearningRate = LearningRate;
        foreach (var (property, value) in Options) property.SetValue(optimiser, value);
        return optimiser;
    }

    public override string ToString() => Description;
}

/// <summary>A rule from the catalogue, under a label (unique in the comparison), with options set on its public properties.</summary>
/// <param name="InitScheme">null: the architecture's initial weights; otherwise this rule's own ("init" in the rule's entry, with
/// the values of <see cref="ArchitectureSpec.InitScheme"/>; e.g. GAIT-prop from orthogonal and from Xavier-uniform weights in one
/// comparison). Its runs then start from other weights than the rest, which the summary names.</param>
/// <param name="Init">the distribution when <paramref name="InitScheme"/> is "distribution".</param>
/// <param name="OutputL2">null: the architecture's output_l2; otherwise this rule's (e.g. feedback alignment at λ = 0, 0.01 and 0.1
/// side by side, Song, Xu &amp; Lafferty 2021).</param>
public sealed record RuleSpec(string Name, string Label, IReadOnlyList<(PropertyInfo Property, object? Value)> Options, string? InitScheme = null, Distribution? Init = null,
    double? OutputL2 = null)
{
    /// <summary>A fresh instance of the rule with the options applied.</summary>
    public ICreditAssignmentRule Create(Catalogue catalogue)
    {
        var rule = catalogue.CreateRule(Name);
        foreach (var (property, value) in Options) property.SetValue(rule, value);
        return rule;
    }
}
