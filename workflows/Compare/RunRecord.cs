using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;

namespace BioSim.Workflows.Compare;

/// <summary>The curves of one rule × seed run.</summary>
public sealed class RunRecord(string label, string rule, ulong seed, int hiddenLayers, int layers = 0)
{
    /// <summary>The rule's label in the comparison (/runs/&lt;label&gt; in curves.h5, the checkpoint's file name).</summary>
    public string Label { get; } = label;

    /// <summary>The rule's catalogue name.</summary>
    public string Rule { get; } = rule;

    /// <summary>The run's seed (initial weights and data order; seed_&lt;s&gt; in curves.h5).</summary>
    public ulong Seed { get; } = seed;

    /// <summary>Hidden layers with an alignment angle (all of them when alignment is measured, else 0).</summary>
    public int HiddenLayers { get; } = hiddenLayers;

    /// <summary>Layers with an update cosine (all of them when alignment is measured, else 0).</summary>
    public int Layers { get; } = layers;

    /// <summary>The loss of every minibatch in training order (batch_loss).</summary>
    public List<double> BatchLosses { get; } = [];

    /// <summary>Training loss, test loss and test accuracy at each epoch end (epoch_train_loss, epoch_test_loss, epoch_test_accuracy).</summary>
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

    /// <summary>Token model: the activation values each training iteration retained for its backward pass (the ledger of
    /// <see cref="Plasticity.Networks.Token.TokenTape.Retained"/>); empty for layered networks.</summary>
    public List<double> RetainedActivations { get; } = [];

    /// <summary>Running, completed, or diverged with the message (its text is what curves.h5 and checkpoints hold).</summary>
    public RunStatus Status { get; set; } = RunStatus.Running;

    /// <summary>Whether <see cref="Status"/> is diverged.</summary>
    public bool Diverged => Status.Diverged;

    /// <summary>Batches per epoch (for progress).</summary>
    public int BatchesPerEpoch { get; set; }

    /// <summary>Minibatches of the first epoch of this session that a checkpoint already holds (0 unless the run was stopped
    /// in the middle of an epoch and resumed).</summary>
    public int FirstBatch { get; set; }
}
