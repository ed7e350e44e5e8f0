using BioSim.Engine.Simulation;
using BioSim.IO.Compare;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;

namespace BioSim.Workflows.Compare;

/// <summary>
/// A comparison run's state as a <see cref="StateSnapshot"/>: the network's weights (network/), the rule's state
/// (rule/), the optimiser's moments (optimiser/), the run's curves so far (history/) and, for a run stopped in the middle
/// of an epoch, the minibatches of that epoch done and their loss sum (integers position, reals position/loss_sum), written
/// and read in the file format of <see cref="ComparisonCheckpoint"/>.
/// </summary>
internal static class RunCheckpoint
{
    public static void Save(string path, ComparisonExperiment experiment, IStateful network, ICreditAssignmentRule rule,
        IOptimiser optimiser, RunRecord run, int epochsDone, int batchesDone = 0, double batchLossSum = 0)
    {
        var snapshot = new StateSnapshot { Step = epochsDone };
        snapshot.Put("position", [(long)batchesDone]);
        snapshot.Put("position/loss_sum", [batchLossSum]);
        network.SaveState(snapshot, "network/");
        rule.SaveState(snapshot, "rule/");
        optimiser.SaveState(snapshot, "optimiser/");
        snapshot.Put("history/batch_loss", run.BatchLosses.ToArray());
        snapshot.Put("history/train_loss", run.Epochs.Select(e => e.TrainLoss).ToArray());
        snapshot.Put("history/test_loss", run.Epochs.Select(e => e.TestLoss).ToArray());
        snapshot.Put("history/test_accuracy", run.Epochs.Select(e => e.TestAccuracy).ToArray());
        snapshot.Put("history/epoch_seconds", run.EpochSeconds.ToArray());
        snapshot.Put("history/alignment", run.Alignment.SelectMany(a => a).ToArray());
        snapshot.Put("history/update_cosine", run.UpdateCosine.SelectMany(a => a).ToArray());
        snapshot.Put("history/update_relative_error", run.UpdateRelativeError.SelectMany(a => a).ToArray());
        snapshot.Put("history/feedback_cosine", run.FeedbackCosine.SelectMany(a => a).ToArray());
        if (run.RetainedActivations.Count > 0) snapshot.Put("history/retained", run.RetainedActivations.ToArray());
        ComparisonCheckpoint.Save(path, experiment, new CheckpointHeader(run.Status.ToString(), run.Rule, run.Label, run.Seed), snapshot);
    }

    /// <summary>Restores network, rule, optimiser, curves and status; returns the epochs completed and, for a run stopped
    /// mid-epoch, the minibatches of the next epoch done and their loss sum (0, 0 otherwise and in older checkpoints).</summary>
    public static (int EpochsDone, int BatchesDone, double BatchLossSum) Load(string path, ComparisonExperiment experiment, IStateful network, ICreditAssignmentRule rule,
        IOptimiser optimiser, RunRecord run)
    {
        var (snapshot, status) = ComparisonCheckpoint.Load(path, experiment);
        network.LoadState(snapshot, "network/");
        rule.LoadState(snapshot, "rule/");
        optimiser.LoadState(snapshot, "optimiser/");
        run.BatchLosses.AddRange(snapshot.Reals["history/batch_loss"]);
        double[] tr = snapshot.Reals["history/train_loss"], te = snapshot.Reals["history/test_loss"], acc = snapshot.Reals["history/test_accuracy"];
        for (int e = 0; e < tr.Length; e++) run.Epochs.Add(new EpochResult(e + 1, tr[e], te[e], acc[e]));
        run.EpochSeconds.AddRange(snapshot.Reals["history/epoch_seconds"]);
        AddRows(run.Alignment, snapshot.Reals["history/alignment"], run.HiddenLayers);
        // Checkpoints written before update alignment existed have no such history: the rows stay empty.
        if (run.Layers > 0 && snapshot.Reals.TryGetValue("history/update_cosine", out var cosine) && snapshot.Reals.TryGetValue("history/update_relative_error", out var relative))
        {
            AddRows(run.UpdateCosine, cosine, run.Layers);
            AddRows(run.UpdateRelativeError, relative, run.Layers);
        }
        if (snapshot.Reals.TryGetValue("history/feedback_cosine", out var feedback)) AddRows(run.FeedbackCosine, feedback, network is Network layered ? layered.Layers.Count - 1 : 0);
        if (snapshot.Reals.TryGetValue("history/retained", out var retained)) run.RetainedActivations.AddRange(retained);
        run.Status = RunStatus.Parse(status);
        return snapshot.Integers.TryGetValue("position", out var position)
            ? ((int)snapshot.Step, (int)position[0], snapshot.Reals["position/loss_sum"][0])
            : ((int)snapshot.Step, 0, 0);
    }

    private static void AddRows(List<double[]> rows, double[] flat, int columns)
    {
        if (columns <= 0) return;
        for (int r = 0; r < flat.Length / columns; r++) rows.Add(flat.AsSpan(r * columns, columns).ToArray());
    }
}
