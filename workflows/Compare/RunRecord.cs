using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;

namespace BioSim.Workflows.Compare;

/// <summary>The curves of one rule × seed run.</summary>
public sealed class RunRecord(string label, string rule, ulong seed, int hiddenLayers, int layers = 0)
{
    public string Label { get; } = label;

    public string Rule { get; } = rule;

    public ulong Seed { get; } = seed;

    public int HiddenLayers { get; } = hiddenLayers;

    /// <summary>Layers with an update cosine (all of them when alignment is measured, else 0).</summary>
    public int Layers { get; } = layers;

    public List<double> BatchLosses { get; } = [];

    public List<EpochResult> Epochs { get; } = [];

    /// <summary>Wall time of each epoch's training and evaluation (alignment and checkpoints excluded), s.</summary>
    public List<double> EpochSeconds { get; } = [];

    /// <summary>Angles (degrees) per hidden layer: row 0 before training, row e after epoch e. Empty without alignment tracking.</summary>
    public List<double[]> Alignment { get; } = [];

    /// <summary>cos∠(ΔW_l^rule, ΔW_l^BP) per layer at the same probe points as <see cref="Alignment"/> (row 0 before training).</summary>
    public List<double[]> UpdateCosine { get; } = [];

    /// <summary>‖ΔW_l^rule − ΔW_l^BP‖/‖ΔW_l^BP‖ per layer, rows as <see cref="UpdateCosine"/>.</summary>
    public List<double[]> UpdateRelativeError { get; } = [];

    /// <summary>cos∠(B_{l+1}, W_{l+1}ᵀ) per hidden layer l, rows as <see cref="Alignment"/>; empty unless the rule has feedback matrices (<see cref="IFeedbackMatrixRule"/>).</summary>
    public List<double[]> FeedbackCosine { get; } = [];

    /// <summary>Running, completed, or diverged with the message (its text is what curves.h5 and checkpoints hold).</summary>
    public RunStatus Status { get; set; } = RunStatus.Running;

    public bool Diverged => Status.Diverged;

    /// <summary>Batches per epoch (for progress).</summary>
    public int BatchesPerEpoch { get; set; }
}
