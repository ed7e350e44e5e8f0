using System.Globalization;
using System.Text;

namespace BioSim.Workflows.Compare;

/// <summary>The summary table of a comparison (summary.md): the rules' final test accuracy (classification tasks) and losses,
/// seconds per epoch, and the alignment with backprop, as mean ± sample sd over the seeds that completed.</summary>
public static class ComparisonSummary
{
    /// <summary>The file in the output directory that holds the table.</summary>
    public const string FileName = "summary.md";

    /// <summary>The markdown table: one row per rule, means ± sample standard deviations over the seeds that completed.</summary>
    /// <param name="result">The finished comparison.</param>
    public static string Markdown(ComparisonResult result)
    {
        var e = result.Experiment;
        bool classification = e.Task.Classification;
        int hidden = result.Runs.Count == 0 ? 0 : result.Runs.Max(r => r.HiddenLayers);
        int layers = result.Runs.Count == 0 ? 0 : result.Runs.Max(r => r.Layers);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"## {e.Name}: {e.Task.Description}, {e.Architecture.Describe(e.Task.Inputs)}, {e.Architecture.Loss}");
        sb.AppendLine();
        string schedule = e.Schedule is { } sc ? $"; every rate × f^(epoch − 1), f = {string.Join(", ", sc.Segments.Select(x => $"{x.FactorPerEpoch.ToString("G4", CultureInfo.InvariantCulture)} from epoch {x.FromEpoch}"))}" : "";
        sb.AppendLine(CultureInfo.InvariantCulture, $"{e.Optimiser}{schedule}, batch {e.Batch}, {e.Epochs} epochs{(e.SinglePrecision ? ", float32" : "")}, seeds {string.Join(", ", e.Seeds)}; {result.MatrixProduct}. Mean ± sd over seeds.");
        sb.AppendLine();
        var header = new List<string> { "rule", "runs" };
        if (classification) header.Add("test accuracy");
        header.AddRange(["test loss", "train loss (last epoch)", "s / epoch"]);
        bool ledger = result.Runs.Any(r => r.RetainedActivations.Count > 0);
        if (ledger) header.AddRange(["retained values / iteration", "ms / iteration"]);
        for (int l = 1; l <= hidden; l++) header.Add($"∠ layer {l} vs BP (°)");
        for (int l = 1; l <= layers; l++) header.Add($"cos ΔW{l} vs BP");
        bool feedback = result.Runs.Any(r => r.FeedbackCosine.Count > 0);
        for (int l = 1; feedback && l <= hidden; l++) header.Add($"cos(B{l + 1}, W{l + 1}ᵀ)");
        sb.AppendLine("| " + string.Join(" | ", header) + " |");
        sb.AppendLine("|" + string.Concat(header.Select(_ => "---|")));
        foreach (var rule in e.Rules)
        {
            var all = result.Runs.Where(r => r.Label == rule.Label).ToList();
            var ok = all.Where(r => !r.Diverged && r.Epochs.Count > 0).ToList();
            int diverged = all.Count(r => r.Diverged);
            string runs = diverged == 0 ? $"{ok.Count}" : $"{ok.Count} (**{diverged} diverged**)";
            string name = rule.Label == rule.Name ? rule.Name : $"{rule.Label} ({rule.Name})";
            if (rule.Init is { } init) name += $", init {init}";
            if (rule.Optimiser is { } own) name += $", {own}";
            var row = new List<string> { name, runs };
            if (classification) row.Add(MeanSd(ok.Select(r => r.Epochs[^1].TestAccuracy), "F4"));
            row.Add(MeanSd(ok.Select(r => r.Epochs[^1].TestLoss), "G4"));
            row.Add(MeanSd(ok.Select(r => r.Epochs[^1].TrainLoss), "G4"));
            row.Add(MeanSd(all.SelectMany(r => r.EpochSeconds), "F2"));
            if (ledger)
            {
                row.Add(MeanSd(all.Where(r => r.RetainedActivations.Count > 0).Select(r => r.RetainedActivations.Average()), "F0"));
                row.Add(MeanSd(all.Where(r => r.BatchesPerEpoch > 0).SelectMany(r => r.EpochSeconds.Select(t => 1000 * t / r.BatchesPerEpoch)), "F1"));
            }
            for (int l = 0; l < hidden; l++) row.Add(MeanSd(ok.Where(r => r.Alignment.Count > 0 && l < r.HiddenLayers).Select(r => r.Alignment[^1][l]), "F1"));
            for (int l = 0; l < layers; l++) row.Add(MeanSd(ok.Where(r => r.UpdateCosine.Count > 0 && l < r.Layers).Select(r => r.UpdateCosine[^1][l]), "F4"));
            for (int l = 0; feedback && l < hidden; l++) row.Add(MeanSd(ok.Where(r => r.FeedbackCosine.Count > 0 && l < r.FeedbackCosine[^1].Length).Select(r => r.FeedbackCosine[^1][l]), "F4"));
            sb.AppendLine("| " + string.Join(" | ", row) + " |");
        }
        if (layers > 0)
        {
            sb.AppendLine();
            sb.AppendLine("∠: angle of each hidden layer's error signal to backprop's; cos ΔW: cosine of each layer's raw update (before the optimiser) with backprop's gradient; both on the probe batch after the last epoch (curves.h5 has every epoch, the initial weights and the relative errors)" +
                (feedback ? "; cos(B, Wᵀ): the forward weights above each hidden layer against the rule's fixed feedback matrix." : "."));
        }
        var failed = result.Runs.Where(r => r.Diverged).ToList();
        if (failed.Count > 0)
        {
            sb.AppendLine();
            foreach (var r in failed) sb.AppendLine(CultureInfo.InvariantCulture, $"- **{r.Label}, seed {r.Seed}**: {r.Status}");
        }
        return sb.ToString();
    }

    private static string MeanSd(IEnumerable<double> values, string format)
    {
        var v = values.ToArray();
        if (v.Length == 0) return "—";
        double mean = v.Average();
        if (v.Length == 1) return mean.ToString(format, CultureInfo.InvariantCulture);
        double sd = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
        return $"{mean.ToString(format, CultureInfo.InvariantCulture)} ± {sd.ToString(format, CultureInfo.InvariantCulture)}";
    }
}
