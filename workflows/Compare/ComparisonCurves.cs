using BioSim.IO.Hdf5;

namespace BioSim.Workflows.Compare;

/// <summary>
/// The curves of a finished run in out/curves.h5: /runs/&lt;label&gt;/seed_&lt;s&gt;/{batch_loss, epoch_train_loss,
/// epoch_test_loss, epoch_test_accuracy, epoch_seconds, alignment_deg [epochs+1 × hidden], update_cosine and
/// update_relative_error [epochs+1 × layers], and for rules with feedback matrices feedback_weight_cosine [epochs+1 × hidden]}
/// with @status.
/// </summary>
internal static class ComparisonCurves
{
    private const string Rows = "row 0: before training; row e: after epoch e";

    public static void Write(Hdf5File file, RunRecord run)
    {
        string g = $"runs/{run.Label}/seed_{run.Seed}";
        if (file.Exists(g)) throw new InvalidOperationException($"{file.FileName}: {g} is written twice.");
        using var group = file.CreateGroup(g);
        group.SetAttribute("rule", run.Rule);
        group.SetAttribute("seed", (long)run.Seed);
        group.SetAttribute("status", run.Status.ToString());
        group.SetAttribute("epochs_completed", (long)run.Epochs.Count);
        group.WriteDataset<double>("batch_loss", run.BatchLosses.ToArray());
        group.WriteDataset<double>("epoch_train_loss", run.Epochs.Select(e => e.TrainLoss).ToArray());
        group.WriteDataset<double>("epoch_test_loss", run.Epochs.Select(e => e.TestLoss).ToArray());
        group.WriteDataset<double>("epoch_test_accuracy", run.Epochs.Select(e => e.TestAccuracy).ToArray());
        group.WriteDataset<double>("epoch_seconds", run.EpochSeconds.ToArray());
        if (run.RetainedActivations.Count > 0)
        {
            group.WriteDataset<double>("retained_activations", run.RetainedActivations.ToArray());
            group.SetAttribute("retained_activations", "values retained for the backward pass per training iteration (token model ledger), one per batch_loss entry");
        }
        if (run.HiddenLayers > 0)
        {
            using var angles = group.CreateAppendable<double>("alignment_deg", run.HiddenLayers);
            var flat = run.Alignment.SelectMany(a => a).ToArray();
            if (run.Alignment.Count > 0) angles.AppendRows(flat, run.Alignment.Count);
            angles.SetAttribute("units", "degrees");
            angles.SetAttribute("rows", Rows);
            angles.SetAttribute("columns", "hidden layers 1 … L−1");
        }
        if (run.Layers > 0)
        {
            WriteRows(group, "update_cosine", run.UpdateCosine, run.Layers, "cos∠(ΔW_l rule, ΔW_l backprop): the rule's raw update (before the optimiser) against backprop's gradient, same probe batch and weights");
            WriteRows(group, "update_relative_error", run.UpdateRelativeError, run.Layers, "‖ΔW_l rule − ΔW_l backprop‖ / ‖ΔW_l backprop‖, same probe batch and weights");
        }
        if (run.FeedbackCosine.Count > 0)
        {
            using var data = group.CreateAppendable<double>("feedback_weight_cosine", run.FeedbackCosine[0].Length);
            data.AppendRows(run.FeedbackCosine.SelectMany(a => a).ToArray(), run.FeedbackCosine.Count);
            data.SetAttribute("description", "cos∠(B_{l+1}, W_{l+1}ᵀ): the forward weights above hidden layer l against the rule's fixed feedback matrix");
            data.SetAttribute("rows", Rows);
            data.SetAttribute("columns", "hidden layers 1 … L−1");
        }
    }

    private static void WriteRows(Hdf5Group group, string name, List<double[]> rows, int columns, string what)
    {
        using var data = group.CreateAppendable<double>(name, columns);
        if (rows.Count > 0) data.AppendRows(rows.SelectMany(a => a).ToArray(), rows.Count);
        data.SetAttribute("description", what);
        data.SetAttribute("rows", Rows);
        data.SetAttribute("columns", "layers 1 … L");
    }
}
