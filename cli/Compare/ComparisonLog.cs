using System.Globalization;
using BioSim.IO.Compare;
using BioSim.Workflows.Compare;

namespace BioSim.Cli.Compare;

/// <summary>One line per epoch when stderr is not a terminal.</summary>
internal sealed class ComparisonLog(ComparisonExperiment experiment, bool quiet) : IComparisonProgress
{
    public void RunStarted(RunRecord run, int firstEpoch)
    {
        if (!quiet) Console.Error.WriteLine($"biosim: {run.Label} seed {run.Seed}: {(run.FirstBatch > 0 ? $"resuming at epoch {firstEpoch}, minibatch {run.FirstBatch + 1}" : firstEpoch > 1 ? $"resuming at epoch {firstEpoch}" : "starting")} ({experiment.Epochs} epochs of {run.BatchesPerEpoch} batches)");
    }

    public void Batch(RunRecord run, int epoch, int batch, double loss) { }

    public void EpochCompleted(RunRecord run)
    {
        if (!quiet) Console.Error.WriteLine($"biosim: {EpochLine(run)}");
    }

    public void RunFinished(RunRecord run)
    {
        if (run.Diverged) Console.Error.WriteLine($"biosim: {run.Label} seed {run.Seed}: {run.Status}");
    }

    /// <summary>One epoch of one run, for the log and above the bar.</summary>
    public static string EpochLine(RunRecord run)
    {
        var e = run.Epochs[^1];
        string acc = double.IsNaN(e.TestAccuracy) ? "" : $", test accuracy {e.TestAccuracy:F4}";
        string angles = run.Alignment.Count > 0 ? $", ∠ to BP {string.Join("/", run.Alignment[^1].Select(a => a.ToString("F1", CultureInfo.InvariantCulture)))}°" : "";
        string cosines = run.UpdateCosine.Count > 0 ? $", cos ΔW to BP {string.Join("/", run.UpdateCosine[^1].Select(a => a.ToString("F3", CultureInfo.InvariantCulture)))}" : "";
        return $"{run.Label} seed {run.Seed} epoch {e.Epoch}: train loss {e.TrainLoss:G4}, test loss {e.TestLoss:G4}{acc}{angles}{cosines}, {run.EpochSeconds[^1]:F1} s";
    }
}
