using System.CommandLine;
using System.Globalization;
using BioSim.Cli.Terminal;
using BioSim.Plasticity.Cores;
using BioSim.Workflows.Cores;
using Microsoft.Extensions.DependencyInjection;
using ScottPlot;

namespace BioSim.Cli;

/// <summary>
/// <c>biosim cores train cores.json -o DIR</c> (a core network trained as probabilities: DIR/summary.json with
/// shadow_test_accuracy, curve.csv, network.h5) and <c>biosim cores deploy DIR --copies 1,4,16,64</c> (sampled binary
/// copies run as neurosynaptic cores: DIR/ensembles.csv and ensembles.png of accuracy and energy against ensemble size),
/// through <see cref="CoresWorkflow"/>.
/// </summary>
internal static class CoresCommand
{
    public static Command Create(IServiceProvider services)
    {
        var file = new Argument<FileInfo>("cores") { Description = "The cores training file (JSON): data, topology, training." };
        var output = new Option<string>("--output", "-o") { Description = "Directory for network.h5, summary.json and curve.csv.", DefaultValueFactory = _ => "cores" };
        var force = new Option<bool>("--force") { Description = "Replace a trained network in the output directory; without it one is refused." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress output." };
        var every = new Option<double>("--checkpoint-every")
        {
            Description = $"Least wall time in seconds between checkpoints inside an epoch (default {CoresWorkflow.DefaultCheckpointInterval.TotalSeconds:0}; 0: after every minibatch); one is also written after every epoch and when the training is stopped.",
            DefaultValueFactory = _ => CoresWorkflow.DefaultCheckpointInterval.TotalSeconds,
        };
        var train = new Command("train", "Train a network of neurosynaptic cores as probabilities (Esser et al. 2015); run it again on the same -o to continue an interrupted training.") { file, output, force, quiet, every };
        train.SetAction(result => Program.Guard(() => Train(services.GetRequiredService<CoresWorkflow>(), result.GetValue(file)!, result.GetValue(output)!,
            result.GetValue(force), result.GetValue(quiet), result.GetValue(every))));

        var directory = new Argument<string>("directory") { Description = "A directory written by biosim cores train." };
        var copies = new Option<string>("--copies") { Description = "Ensemble sizes, comma-separated (the largest is sampled; smaller ensembles are its first copies).", DefaultValueFactory = _ => "1,4,16,64" };
        var threads = new Option<int>("--threads") { Description = "Threads for the cores (results do not depend on it).", DefaultValueFactory = _ => 1 };
        var deploy = new Command("deploy", "Deploy a trained core network as ensembles of sampled binary copies on the test set.") { directory, copies, threads };
        deploy.SetAction(result => Program.Guard(() => Deploy(services.GetRequiredService<CoresWorkflow>(), result.GetValue(directory)!, result.GetValue(copies)!, result.GetValue(threads))));
        return new Command("cores", "Neurosynaptic cores: train as probabilities, deploy as sampled ensembles.") { train, deploy };
    }

    private static int Train(CoresWorkflow workflow, FileInfo file, string output, bool force, bool quiet, double checkpointEvery)
    {
        if (!file.Exists) return Program.Fail($"{file}: no such file", ExitCodes.IoError);
        CommandSession.Seconds("--checkpoint-every", checkpointEvery);
        using var session = CommandSession.Start(threads: null, quiet: true);
        CoresTrainingResult result;
        try
        {
            result = workflow.Train(file.FullName, output, force, e =>
            {
                if (!quiet)
                {
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"biosim: epoch {e.Epoch}: train loss {e.TrainLoss:F4}, test loss {e.TestLoss:F4}, test accuracy {e.TestAccuracy:F4}"));
                }
            }, checkpointEvery: TimeSpan.FromSeconds(checkpointEvery), checkpointNow: session.CheckpointNow,
            resumed: (epochs, batches) =>
            {
                if (!quiet) Console.Error.WriteLine($"biosim: resuming from {CoresWorkflow.CheckpointPath(output)}: {epochs} epochs and {batches} minibatches done");
            }, cancellation: session.Cancellation);
        }
        catch (OperationCanceledException)
        {
            return session.Interrupted($"{CoresWorkflow.CheckpointPath(output)} holds the training so far: run biosim cores train {file} -o {output} again to continue");
        }
        catch (BioSim.Plasticity.Training.TrainingDivergedException e)
        {
            return Program.Fail($"training stopped after {e.History.BatchLosses.Count} steps: {e.Message}", ExitCodes.RunFailed);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trained {result.Epochs.Count} epochs: probabilistic network test accuracy {result.ShadowTestAccuracy:F4}; wrote {output}/network.h5, summary.json, curve.csv"));
        return ExitCodes.Ok;
    }

    private static int Deploy(CoresWorkflow workflow, string directory, string copiesText, int threads)
    {
        var copies = new List<int>();
        foreach (string part in copiesText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n < 1)
            {
                throw new UsageException($"--copies: '{part}' is not a whole number ≥ 1; give sizes like 1,4,16,64");
            }
            copies.Add(n);
        }
        if (copies.Count == 0) throw new UsageException("--copies: give at least one ensemble size, like 1,4,16,64");
        if (threads < 1) throw new UsageException("--threads: must be ≥ 1");
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var load = TimeSpan.Zero;
        var results = workflow.Deploy(directory, copies, threads, () => load = clock.Elapsed);
        clock.Stop();
        cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu;
        foreach (var r in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Copies,4} copies: test accuracy {r.TestAccuracy:F4}, {r.EnergyMicrojoulesPerImage:F3} µJ per image ({r.SynapticEventsPerImage:F0} synaptic events)"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{copies.Max()} copies deployed in {clock.Elapsed.TotalSeconds:F2} s (loading the network and the test set {load.TotalSeconds:F2} s, sampling and running the copies {(clock.Elapsed - load).TotalSeconds:F2} s; CPU time {cpu.TotalSeconds:F2} s)"));
        Plot(Path.Combine(directory, "ensembles.png"), results);
        Console.WriteLine($"wrote {directory}/ensembles.csv, ensembles.png");
        return ExitCodes.Ok;
    }

    private static void Plot(string path, IReadOnlyList<EnsembleResult> results)
    {
        var plot = new Plot();
        double[] x = [.. results.Select(r => Math.Log2(r.Copies))];
        var accuracy = plot.Add.Scatter(x, [.. results.Select(r => r.TestAccuracy)]);
        accuracy.LegendText = "test accuracy";
        var energy = plot.Add.Scatter(x, [.. results.Select(r => r.EnergyMicrojoulesPerImage)]);
        energy.LegendText = "energy per image (µJ)";
        energy.Axes.YAxis = plot.Axes.Right;
        plot.Axes.Right.Label.Text = "energy per image (µJ)";
        plot.YLabel("test accuracy");
        plot.XLabel("log2(copies)");
        plot.Title("Sampled core ensembles: accuracy and energy against ensemble size");
        plot.ShowLegend();
        plot.SavePng(path, 1000, 600);
    }
}
