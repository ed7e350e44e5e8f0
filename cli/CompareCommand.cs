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
        var force = new Option<bool>("--force") { Description = "Replace a comparison already in the output folder (curves, summary and checkpoints); without it (or --resume) such a folder is refused." };
        var everyEpochs = new Option<int?>("--checkpoint-epochs") { Description = "Also checkpoint each run at every epoch that is a multiple of this, whatever the wall time." };
        var command = new Command("compare", "Compare learning rules on the same network, data, seeds and budget.") { file, output, threads, resume, quiet, epochs, every, everyEpochs, force };
        command.SetAction(result => Program.Guard(() =>
            Run(services, result.GetValue(file)!, result.GetValue(output)!, result.GetValue(threads), result.GetValue(resume), result.GetValue(quiet), result.GetValue(epochs), result.GetValue(every),
                result.GetValue(force), result.GetValue(everyEpochs))));
        return command;
    }

    private static int Run(IServiceProvider services, FileInfo file, string output, int? threads, bool resume, bool quiet, int? epochs, double checkpointEvery, bool overwrite,
        int? checkpointEpochs)
    {
        CommandSession.AtLeastOne("--epochs", epochs);
        CommandSession.AtLeastOne("--checkpoint-epochs", checkpointEpochs);
        CommandSession.Seconds("--checkpoint-every", checkpointEvery);
        var experiment = services.GetRequiredService<ComparisonReader>().ReadFile(file.FullName) with
        {
            File = file.ToString(), CheckpointSeconds = checkpointEvery, CheckpointEpochs = checkpointEpochs,
        };
        if (epochs is { } budget) experiment = experiment with { Epochs = budget };
        using var session = CommandSession.Start(threads, quiet);
        var product = services.GetRequiredService<IMatrixProduct>();
        if (session.Threads is { } t) MatrixProducts.SetThreads(product, t);

        int runs = experiment.Rules.Count * experiment.Seeds.Count;
        Console.Error.WriteLine($"biosim: {experiment.Name}: {experiment.Rules.Count} rules × {experiment.Seeds.Count} seeds, {experiment.Epochs} epochs of " +
            $"{experiment.Task.Description}, {experiment.Architecture.Describe(experiment.Task.Inputs)}, " +
            $"{experiment.Optimiser}, batch {experiment.Batch}; {product.Name} → {output}/");
        ComparisonResult result;
        var runner = services.GetRequiredService<RuleComparison>();
        try
        {
            if (session.DrawsBar)
            {
                using var bar = CommandSession.NewBar("training");
                result = runner.Run(experiment, output, resume, overwrite, new ComparisonBar(bar, experiment, runs), session.Cancellation);
            }
            else
            {
                result = runner.Run(experiment, output, resume, overwrite, new ComparisonLog(experiment, quiet), session.Cancellation);
            }
        }
        catch (OperationCanceledException)
        {
            return session.Interrupted($"{Path.Combine(output, "checkpoints")} holds every run up to its last checkpoint (at most --checkpoint-every = {checkpointEvery:G4} s of training before the interrupt): continue with biosim compare {file} -o {output} --resume");
        }
        string table = File.ReadAllText(result.SummaryFile);
        Console.WriteLine(table);
        ComparisonPlots.LearningCurves(result, Path.Combine(output, "learning-curves.png"));
        if (experiment.Alignment && result.Runs.Any(r => r.Layers > 0)) ComparisonPlots.Alignment(result, Path.Combine(output, "alignment.png"));
        Console.WriteLine($"wrote {result.SummaryFile}, {result.CurvesFile}, learning-curves.png{(experiment.Alignment ? ", alignment.png" : "")}");
        if (result.AnyDiverged)
        {
            foreach (var r in result.Runs.Where(r => r.Diverged)) Console.Error.WriteLine($"biosim: error: {r.Label}, seed {r.Seed}: {r.Status.Detail}");
            return ExitCodes.RunFailed;
        }
        return ExitCodes.Ok;
    }
}
