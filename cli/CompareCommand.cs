using System.CommandLine;
using System.Globalization;
using System.Text;
using BioSim.Cli.Compare;
using BioSim.Cli.Terminal;
using BioSim.Engine.Numerics;
using BioSim.IO.Compare;
using BioSim.Workflows.Compare;
using Microsoft.Extensions.DependencyInjection;

namespace BioSim.Cli;

/// <summary>
/// <c>biosim compare rules.json -o out/</c>: trains the same network with several learning rules over several
/// seeds (same initial weights, data order and budget per seed) and writes summary.md, curves.h5,
/// learning-curves.png and alignment.png. Exits 1 when a run diverged (after writing everything).
/// </summary>
internal static class CompareCommand
{
    public static Command Create(IServiceProvider services)
    {
        var file = new Argument<FileInfo>("comparison") { Description = "The comparison file (JSON); see examples/compare-*.json." };
        var output = new Option<string>("--output", "-o") { Description = "The folder to write summary.md, curves.h5, the plots and checkpoints/ to.", DefaultValueFactory = _ => "compare-out" };
        var threads = new Option<int?>("--threads", "-t") { Description = "Threads of the matrix products (results do not depend on it). Default: SLURM_CPUS_PER_TASK, or OpenBLAS's own." };
        var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoints in the output folder (after a kill, or with more epochs)." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress output." };
        var epochs = new Option<int?>("--epochs", "-e") { Description = "Train this many epochs instead of the file's \"epochs\" (e.g. 1 for a quick look); the learning-rate schedule and resuming work as with the file's budget." };
        var every = new Option<double>("--checkpoint-every") { Description = "Least wall time in seconds between a run's checkpoints (written at epoch ends and always after the last epoch; 0: after every epoch).", DefaultValueFactory = _ => 30.0 };
        var command = new Command("compare", "Compare learning rules on the same network, data, seeds and budget.") { file, output, threads, resume, quiet, epochs, every };
        command.SetAction(result => Program.Guard(() =>
            Run(services, result.GetValue(file)!, result.GetValue(output)!, result.GetValue(threads), result.GetValue(resume), result.GetValue(quiet), result.GetValue(epochs), result.GetValue(every))));
        return command;
    }

    private static int Run(IServiceProvider services, FileInfo file, string output, int? threads, bool resume, bool quiet, int? epochs, double checkpointEvery)
    {
        CommandSession.AtLeastOne("--epochs", epochs);
        CommandSession.Seconds("--checkpoint-every", checkpointEvery);
        var experiment = services.GetRequiredService<ComparisonReader>().ReadFile(file.FullName) with { File = file.ToString(), CheckpointSeconds = checkpointEvery };
        if (epochs is { } budget) experiment = experiment with { Epochs = budget };
        using var session = CommandSession.Start(threads, quiet);
        var product = services.GetRequiredService<IMatrixProduct>();
        if (session.Threads is { } t && product is OpenBlasMatrixProduct openBlas) openBlas.Threads = t;

        int runs = experiment.Rules.Count * experiment.Seeds.Count;
        Console.Error.WriteLine($"biosim: {experiment.Name}: {experiment.Rules.Count} rules × {experiment.Seeds.Count} seeds, {experiment.Epochs} epochs of " +
            $"{experiment.Task.Description}, {experiment.Task.Inputs}-{string.Join("-", experiment.Architecture.Layers)} {experiment.Architecture.Activation}, " +
            $"{experiment.Optimiser}, batch {experiment.Batch}; {product.Name} → {output}/");
        ComparisonResult result;
        var runner = services.GetRequiredService<RuleComparison>();
        try
        {
            if (session.DrawsBar)
            {
                using var bar = CommandSession.NewBar("training");
                result = runner.Run(experiment, output, resume, new ComparisonBar(bar, experiment, runs), session.Cancellation);
            }
            else
            {
                result = runner.Run(experiment, output, resume, new ComparisonLog(experiment, quiet), session.Cancellation);
            }
        }
        catch (OperationCanceledException)
        {
            return Program.Fail($"interrupted; {Path.Combine(output, "checkpoints")} holds every run up to its last checkpoint (at most --checkpoint-every = {checkpointEvery:G4} s of training before the interrupt): continue with biosim compare {file} -o {output} --resume", ExitCodes.Cancelled);
        }
        string table = Summary(result);
        File.WriteAllText(Path.Combine(output, "summary.md"), table);
        Console.WriteLine(table);
        ComparisonPlots.LearningCurves(result, Path.Combine(output, "learning-curves.png"));
        if (experiment.Alignment && result.Runs.Any(r => r.Layers > 0)) ComparisonPlots.Alignment(result, Path.Combine(output, "alignment.png"));
        Console.WriteLine($"wrote {Path.Combine(output, "summary.md")}, {result.CurvesFile}, learning-curves.png{(experiment.Alignment ? ", alignment.png" : "")}");
        if (result.AnyDiverged)
        {
            foreach (var r in result.Runs.Where(r => r.Diverged)) Console.Error.WriteLine($"biosim: error: {r.Label}, seed {r.Seed}: {r.Status.Detail}");
            return ExitCodes.RunFailed;
        }
        return ExitCodes.Ok;
    }

    /// <summary>The markdown table: one row per rule, means ± sample standard deviations over the seeds that completed.</summary>
    internal static string Summary(ComparisonResult result)
    {
        var e = result.Experiment;
        bool classification = e.Task.Type == "fashion-mnist";
        int hidden = result.Runs.Count == 0 ? 0 : result.Runs.Max(r => r.HiddenLayers);
        int layers = result.Runs.Count == 0 ? 0 : result.Runs.Max(r => r.Layers);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"## {e.Name}: {e.Task.Description}, {e.Task.Inputs}-{string.Join("-", e.Architecture.Layers)} {e.Architecture.Activation}, {e.Architecture.Loss}");
        sb.AppendLine();
        string schedule = e.Schedule is { } sc ? $"; every rate × f^(epoch − 1), f = {string.Join(", ", sc.Segments.Select(x => $"{x.FactorPerEpoch.ToString("G4", CultureInfo.InvariantCulture)} from epoch {x.FromEpoch}"))}" : "";
        sb.AppendLine(CultureInfo.InvariantCulture, $"{e.Optimiser}{schedule}, batch {e.Batch}, {e.Epochs} epochs, seeds {string.Join(", ", e.Seeds)}; {result.MatrixProduct}. Mean ± sd over seeds.");
        sb.AppendLine();
        var header = new List<string> { "rule", "runs" };
        if (classification) header.Add("test accuracy");
        header.AddRange(["test loss", "train loss (last epoch)", "s / epoch"]);
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
            if (rule.InitScheme is { } scheme) name += $", init {(scheme == "distribution" ? rule.Init : scheme)}";
            var row = new List<string> { name, runs };
            if (classification) row.Add(MeanSd(ok.Select(r => r.Epochs[^1].TestAccuracy), "F4"));
            row.Add(MeanSd(ok.Select(r => r.Epochs[^1].TestLoss), "G4"));
            row.Add(MeanSd(ok.Select(r => r.Epochs[^1].TrainLoss), "G4"));
            row.Add(MeanSd(all.SelectMany(r => r.EpochSeconds), "F2"));
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
