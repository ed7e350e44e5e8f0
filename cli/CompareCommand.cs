using BioSim.Workflows.Compare;
using System.CommandLine;
using System.Globalization;
using System.Text;
using BioSim.IO.Compare;
using BioSim.Engine.Numerics;
using Microsoft.Extensions.DependencyInjection;
using ScottPlot;
using ShellProgressBar;

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
        if (epochs is < 1) return Program.Fail($"--epochs must be at least 1, got {epochs}", ExitCodes.BadInput);
        if (!(checkpointEvery >= 0) || !double.IsFinite(checkpointEvery)) return Program.Fail($"--checkpoint-every must be a number of seconds ≥ 0, got {checkpointEvery}", ExitCodes.BadInput);
        var experiment = services.GetRequiredService<ComparisonReader>().ReadFile(file.FullName) with { File = file.ToString(), CheckpointSeconds = checkpointEvery };
        if (epochs is { } budget) experiment = experiment with { Epochs = budget };
        if (threads is null && int.TryParse(Environment.GetEnvironmentVariable("SLURM_CPUS_PER_TASK"), out int slurm) && slurm > 0) threads = slurm;
        if (threads is < 1) return Program.Fail($"--threads must be at least 1, got {threads}", ExitCodes.BadInput);
        var product = services.GetRequiredService<IMatrixProduct>();
        if (threads is { } t && product is OpenBlasMatrixProduct openBlas) openBlas.Threads = t;

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; cancel.Cancel(); });

        int runs = experiment.Rules.Count * experiment.Seeds.Count;
        Console.Error.WriteLine($"biosim: {experiment.Name}: {experiment.Rules.Count} rules × {experiment.Seeds.Count} seeds, {experiment.Epochs} epochs of " +
            $"{experiment.Task.Description}, {experiment.Task.Inputs}-{string.Join("-", experiment.Architecture.Layers)} {experiment.Architecture.Activation}, " +
            $"{experiment.Optimiser}, batch {experiment.Batch}; {product.Name} → {output}/");
        ComparisonResult result;
        bool terminal = !quiet && !Console.IsErrorRedirected && !Console.IsOutputRedirected && TerminalWidth() >= 60;
        var runner = services.GetRequiredService<RuleComparison>();
        try
        {
            if (terminal)
            {
                using var bar = new ProgressBar(1000, "training", new ProgressBarOptions { ProgressCharacter = '─', CollapseWhenFinished = true, DisplayTimeInRealTime = false });
                result = runner.Run(experiment, output, resume, new BarProgress(bar, experiment, runs), cancel.Token);
            }
            else
            {
                result = runner.Run(experiment, output, resume, new LogProgress(experiment, quiet), cancel.Token);
            }
        }
        catch (OperationCanceledException)
        {
            return Program.Fail($"interrupted; {Path.Combine(output, "checkpoints")} holds every run up to its last checkpoint (at most --checkpoint-every = {checkpointEvery:G4} s of training before the interrupt): continue with biosim compare {file} -o {output} --resume", ExitCodes.Cancelled);
        }
        string table = Summary(result);
        File.WriteAllText(Path.Combine(output, "summary.md"), table);
        Console.WriteLine(table);
        PlotCurves(result, Path.Combine(output, "learning-curves.png"));
        if (experiment.Alignment && result.Runs.Any(r => r.Layers > 0)) PlotAlignment(result, Path.Combine(output, "alignment.png"));
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

    private static void PlotCurves(ComparisonResult result, string path)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        var batches = multiplot.GetPlot(0);
        var epochs = multiplot.GetPlot(1);
        var palette = new ScottPlot.Palettes.Category10();
        bool classification = result.Experiment.Task.Type == "fashion-mnist";
        for (int i = 0; i < result.Experiment.Rules.Count; i++)
        {
            string label = result.Experiment.Rules[i].Label;
            var color = palette.GetColor(i);
            bool first = true;
            foreach (var run in result.Runs.Where(r => r.Label == label))
            {
                // Batch losses smoothed over ~1 % of the run so that the rules can be told apart.
                double[] smooth = [.. Smooth(run.BatchLosses, Math.Max(1, run.BatchLosses.Count / 100)).Select(Math.Log10)];
                double perEpoch = Math.Max(1, run.BatchesPerEpoch);
                var line = batches.Add.ScatterLine(Enumerable.Range(1, smooth.Length).Select(b => b / perEpoch).ToArray(), smooth, color);
                line.LineWidth = 1;
                var points = epochs.Add.ScatterLine(run.Epochs.Select(e => (double)e.Epoch).ToArray(),
                    run.Epochs.Select(e => classification ? e.TestAccuracy : Math.Log10(e.TestLoss)).ToArray(), color);
                points.MarkerSize = 5;
                if (first) { line.LegendText = label; points.LegendText = label; first = false; }
            }
        }
        batches.Title("Minibatch loss (moving average)");
        batches.XLabel("epoch");
        batches.YLabel("log₁₀ loss");
        batches.ShowLegend();
        epochs.Title(classification ? "Test accuracy" : "Test loss");
        epochs.XLabel("epoch");
        epochs.YLabel(classification ? "accuracy" : "log₁₀ loss");
        epochs.ShowLegend();
        multiplot.SavePng(path, 1400, 1000);
    }

    private static void PlotAlignment(ComparisonResult result, string path)
    {
        bool feedback = result.Runs.Any(r => r.FeedbackCosine.Count > 0);
        var multiplot = new Multiplot();
        multiplot.AddPlots(feedback ? 3 : 2);
        var signals = multiplot.GetPlot(0);
        var updates = multiplot.GetPlot(1);
        var palette = new ScottPlot.Palettes.Category10();
        LinePattern[] patterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];
        int hidden = result.Runs.Max(r => r.HiddenLayers), layers = result.Runs.Max(r => r.Layers);
        void Lines(Plot plot, string label, int rule, List<RunRecord> runs, Func<RunRecord, List<double[]>> rows, int columns)
        {
            if (runs.Count == 0) return;
            int count = runs.Min(r => rows(r).Count);
            for (int l = 0; l < columns; l++)
            {
                double[] xs = [.. Enumerable.Range(0, count).Select(r => (double)r)];
                double[] ys = [.. Enumerable.Range(0, count).Select(r => runs.Average(run => rows(run)[r][l]))];
                var line = plot.Add.ScatterLine(xs, ys, palette.GetColor(rule));
                line.LinePattern = patterns[l % patterns.Length];
                line.MarkerSize = 5;
                line.LegendText = $"{label}, layer {l + 1}";
            }
        }
        for (int i = 0; i < result.Experiment.Rules.Count; i++)
        {
            string label = result.Experiment.Rules[i].Label;
            Lines(signals, label, i, [.. result.Runs.Where(r => r.Label == label && r.Alignment.Count > 0)], r => r.Alignment, hidden);
            Lines(updates, label, i, [.. result.Runs.Where(r => r.Label == label && r.UpdateCosine.Count > 0)], r => r.UpdateCosine, layers);
            if (feedback) Lines(multiplot.GetPlot(2), label, i, [.. result.Runs.Where(r => r.Label == label && r.FeedbackCosine.Count > 0)], r => r.FeedbackCosine, hidden);
        }
        signals.Title("Angle between each hidden layer's error signal and backprop's (probe batch, mean over seeds)");
        signals.XLabel("epoch (0 = initial weights)");
        signals.YLabel("angle (degrees)");
        signals.Axes.SetLimitsY(-3, 100); // below 0 so that backprop's line at 0° stays visible
        signals.ShowLegend();
        updates.Title("Cosine between each layer's update and backprop's gradient (probe batch, mean over seeds)");
        updates.XLabel("epoch (0 = initial weights)");
        updates.YLabel("cos∠(ΔW rule, ΔW BP)");
        updates.Axes.SetLimitsY(-1.05, 1.05);
        updates.ShowLegend();
        if (feedback)
        {
            var weights = multiplot.GetPlot(2);
            weights.Title("Cosine between each feedback matrix B and W^T of the layer above (mean over seeds)");
            weights.XLabel("epoch (0 = initial weights)");
            weights.YLabel("cos∠(B, W^T)");
            weights.Axes.SetLimitsY(-1.05, 1.05);
            weights.ShowLegend();
        }
        multiplot.SavePng(path, 1200, feedback ? 1600 : 1200);
    }

    private static double[] Smooth(List<double> values, int window)
    {
        var result = new double[values.Count];
        double sum = 0;
        for (int i = 0; i < values.Count; i++)
        {
            sum += double.IsFinite(values[i]) ? values[i] : 0;
            if (i >= window) sum -= double.IsFinite(values[i - window]) ? values[i - window] : 0;
            result[i] = sum / Math.Min(i + 1, window);
        }
        return result;
    }

    private static int TerminalWidth()
    {
        try
        {
            return Console.WindowWidth;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static string EpochLine(RunRecord run)
    {
        var e = run.Epochs[^1];
        string acc = double.IsNaN(e.TestAccuracy) ? "" : $", test accuracy {e.TestAccuracy:F4}";
        string angles = run.Alignment.Count > 0 ? $", ∠ to BP {string.Join("/", run.Alignment[^1].Select(a => a.ToString("F1", CultureInfo.InvariantCulture)))}°" : "";
        string cosines = run.UpdateCosine.Count > 0 ? $", cos ΔW to BP {string.Join("/", run.UpdateCosine[^1].Select(a => a.ToString("F3", CultureInfo.InvariantCulture)))}" : "";
        return $"{run.Label} seed {run.Seed} epoch {e.Epoch}: train loss {e.TrainLoss:G4}, test loss {e.TestLoss:G4}{acc}{angles}{cosines}, {run.EpochSeconds[^1]:F1} s";
    }

    /// <summary>A progress bar over all batches of all runs on a terminal.</summary>
    private sealed class BarProgress(ProgressBar bar, ComparisonExperiment experiment, int runs) : IComparisonProgress
    {
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
        private int _run = -1;
        private long _lastTick = -1000;

        public void RunStarted(RunRecord run, int firstEpoch) => _run++;

        public void Batch(RunRecord run, int epoch, int batch, double loss)
        {
            // Redrawing costs more than a small batch: at most ten redraws a second.
            if (_clock.ElapsedMilliseconds - _lastTick < 100) return;
            _lastTick = _clock.ElapsedMilliseconds;
            double done = _run + ((epoch - 1) * run.BatchesPerEpoch + batch) / (double)(experiment.Epochs * run.BatchesPerEpoch);
            bar.Tick((int)(1000 * done / runs), $"{run.Label} seed {run.Seed}: epoch {epoch}/{experiment.Epochs}, batch {batch}/{run.BatchesPerEpoch}, loss {loss:G4}");
        }

        public void EpochCompleted(RunRecord run) => bar.WriteLine(EpochLine(run));

        public void RunFinished(RunRecord run)
        {
            if (run.Diverged) bar.WriteErrorLine($"{run.Label} seed {run.Seed}: {run.Status}");
        }
    }

    /// <summary>One line per epoch when stderr is not a terminal.</summary>
    private sealed class LogProgress(ComparisonExperiment experiment, bool quiet) : IComparisonProgress
    {
        public void RunStarted(RunRecord run, int firstEpoch)
        {
            if (!quiet) Console.Error.WriteLine($"biosim: {run.Label} seed {run.Seed}: {(firstEpoch > 1 ? $"resuming at epoch {firstEpoch}" : "starting")} ({experiment.Epochs} epochs of {run.BatchesPerEpoch} batches)");
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
    }
}
