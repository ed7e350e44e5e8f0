using System.CommandLine;
using System.Globalization;
using BioSim.IO.Experiments;
using BioSim.Workflows.Runs;
using Microsoft.Extensions.DependencyInjection;
using ShellProgressBar;

namespace BioSim.Cli;

/// <summary><c>biosim run experiment.json -o out.h5</c>: runs an experiment, streams the traces to HDF5, prints a summary.</summary>
internal static class RunCommand
{
    public static Command Create(IServiceProvider services)
    {
        var experiment = new Argument<FileInfo>("experiment") { Description = "The experiment file (JSON); see examples/." };
        var output = new Option<string>("--output", "-o") { Description = "The HDF5 file to write.", DefaultValueFactory = _ => "out.h5" };
        var options = new CommonOptions();
        var plot = new Option<string?>("--plot") { Description = "Also draw the spike raster and state trace to this PNG (as biosim plot)." };
        var command = new Command("run", "Run an experiment and write spikes and state reports to HDF5.") { experiment, output, plot };
        options.AddTo(command);
        command.SetAction(result => Program.Guard(() =>
        {
            var file = result.GetValue(experiment)!;
            string path = result.GetValue(output)!;
            var spec = services.GetRequiredService<ExperimentReader>().ReadFile(file.FullName) with { File = file.ToString() };
            int code = Execute(services, result, options, spec.Name, spec.Populations.Sum(p => p.Size), spec.Duration, spec.Dt, path,
                (runner, progress, threads, every, token) => runner.Run(spec, path, progress, threads, token, every), spec.Threads);
            string? png = result.GetValue(plot);
            return code == ExitCodes.Ok && png is not null ? PlotCommand.Plot(new FileInfo(path), png) : code;
        }));
        return command;
    }

    /// <summary><c>biosim resume out.h5</c>: continues a stopped or killed run from the newest checkpoint in its output file.</summary>
    public static Command CreateResume(IServiceProvider services)
    {
        var output = new Argument<FileInfo>("output") { Description = "The HDF5 file of the run to continue (written by biosim run)." };
        var options = new CommonOptions();
        var command = new Command("resume", "Continue a stopped or killed run from the newest checkpoint in its output file; the result equals an uninterrupted run bit for bit.") { output };
        options.AddTo(command);
        command.SetAction(result => Program.Guard(() =>
        {
            string path = result.GetValue(output)!.ToString();
            return Execute(services, result, options, Path.GetFileName(path), null, null, null, path,
                (runner, progress, threads, every, token) => runner.Resume(path, progress, threads, token, every), null);
        }));
        return command;
    }

    /// <summary>The options run and resume share.</summary>
    private sealed class CommonOptions
    {
        public Option<int?> Threads { get; } = new("--threads", "-t") { Description = "Worker threads (overrides the experiment; results do not depend on it). Default: the experiment's, or SLURM_CPUS_PER_TASK." };

        public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "No progress output." };

        public Option<bool> Json { get; } = new("--json") { Description = "End the summary with one JSON line (for scripts and benchmarks)." };

        public Option<double?> CheckpointEvery { get; } = new("--checkpoint-every")
        {
            Description = $"Seconds of wall time between checkpoints in the output file (default {ExperimentRunner.DefaultCheckpointInterval.TotalSeconds:0}; 0: after every block). One is also written at the start and when the run is stopped by SIGTERM or Ctrl-C.",
        };

        public void AddTo(Command command)
        {
            command.Options.Add(Threads);
            command.Options.Add(Quiet);
            command.Options.Add(Json);
            command.Options.Add(CheckpointEvery);
        }
    }

    private delegate RunSummary Runner(ExperimentRunner runner, IProgress<RunProgress> progress, int? threads, TimeSpan? checkpointEvery, CancellationToken token);

    private static int Execute(IServiceProvider services, ParseResult result, CommonOptions options, string name, int? neurons, double? duration, double? dt, string output,
        Runner run, int? experimentThreads)
    {
        int? threads = result.GetValue(options.Threads);
        bool quiet = result.GetValue(options.Quiet);
        double? every = result.GetValue(options.CheckpointEvery);
        if (threads is null && int.TryParse(Environment.GetEnvironmentVariable("SLURM_CPUS_PER_TASK"), out int slurm) && slurm > 0) threads = slurm;
        if (threads is < 1) return Program.Fail($"--threads must be at least 1, got {threads}", ExitCodes.BadInput);
        if (every is { } e && !(e >= 0 && double.IsFinite(e))) return Program.Fail($"--checkpoint-every must be a number of seconds ≥ 0, got {e}", ExitCodes.BadInput);
        TimeSpan? checkpointEvery = every is { } seconds ? TimeSpan.FromSeconds(seconds) : null;

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; cancel.Cancel(); });

        var runner = services.GetRequiredService<ExperimentRunner>();
        RunSummary summary;
        Console.Error.WriteLine(neurons is null
            ? $"biosim: resuming {output}"
            : $"biosim: {name}: {neurons} neurons, {duration!.Value.ToString(CultureInfo.InvariantCulture)} ms at dt = {dt!.Value.ToString(CultureInfo.InvariantCulture)} ms → {output}");
        if (!quiet && !Console.IsErrorRedirected && !Console.IsOutputRedirected && TerminalWidth() >= 60)
        {
            using var bar = new ProgressBar(1000, "simulating", new ProgressBarOptions { ProgressCharacter = '─', CollapseWhenFinished = true, DisplayTimeInRealTime = false });
            var progress = new SynchronousProgress(p =>
            {
                bar.Tick((int)(1000 * p.TimeMs / p.DurationMs), $"t = {p.TimeMs:0} / {p.DurationMs:0} ms, {p.Spikes} spikes");
            });
            summary = run(runner, progress, threads, checkpointEvery, cancel.Token);
        }
        else
        {
            double nextLog = 0;
            var progress = new SynchronousProgress(p =>
            {
                if (quiet || p.TimeMs < nextLog) return;
                nextLog = p.TimeMs + p.DurationMs / 10;
                Console.Error.WriteLine($"biosim: t = {p.TimeMs:0.#} / {p.DurationMs:0.#} ms, {p.Spikes} spikes, {p.Elapsed.TotalSeconds:0.00} s");
            });
            summary = run(runner, progress, threads, checkpointEvery, cancel.Token);
        }
        PrintSummary(summary);
        if (result.GetValue(options.Json))
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                neurons = summary.Neurons,
                synapses = summary.Synapses,
                spikes = summary.Spikes,
                rate_hz = summary.MeanRateHz,
                build_s = summary.BuildTime.TotalSeconds,
                sim_s = summary.SimulationTime.TotalSeconds,
                threads = threads ?? experimentThreads,
                output = summary.Output,
            }));
        }
        return ExitCodes.Ok;
    }

    /// <summary>The terminal's width, or 0 when it has none (ShellProgressBar needs a real width).</summary>
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

    private static void PrintSummary(RunSummary s)
    {
        Console.WriteLine($"Simulated {s.SimulatedMs:0.###} ms in {s.Steps} steps: {s.Neurons} neurons, {s.Synapses} synapses.");
        foreach (var p in s.Populations) Console.WriteLine($"  {p.Name,-12} {p.Size,8} neurons {p.Spikes,10} spikes {p.MeanRateHz,8:0.00} Hz");
        Console.WriteLine($"  {"all",-12} {s.Neurons,8} neurons {s.Spikes,10} spikes {s.MeanRateHz,8:0.00} Hz");
        Console.WriteLine($"Build {s.BuildTime.TotalSeconds:0.000} s, simulation {s.SimulationTime.TotalSeconds:0.000} s; wrote {s.Output}");
    }

    /// <summary>Calls back on the reporting thread (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
    private sealed class SynchronousProgress(Action<RunProgress> report) : IProgress<RunProgress>
    {
        public void Report(RunProgress value) => report(value);
    }
}
