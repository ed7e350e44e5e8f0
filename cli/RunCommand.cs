using System.CommandLine;
using System.Globalization;
using BioSim.IO.Experiments;
using BioSim.IO.Runs;
using Microsoft.Extensions.DependencyInjection;
using ShellProgressBar;

namespace BioSim.Cli;

/// <summary><c>biosim run experiment.json -o out.h5</c>: runs an experiment, streams the traces to HDF5, prints a summary.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var experiment = new Argument<FileInfo>("experiment") { Description = "The experiment file (JSON); see examples/." };
        var output = new Option<string>("--output", "-o") { Description = "The HDF5 file to write.", DefaultValueFactory = _ => "out.h5" };
        var threads = new Option<int?>("--threads", "-t") { Description = "Worker threads (overrides the experiment; results do not depend on it). Default: the experiment's, or SLURM_CPUS_PER_TASK." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress output." };
        var plot = new Option<string?>("--plot") { Description = "Also draw the spike raster and state trace to this PNG (as biosim plot)." };
        var json = new Option<bool>("--json") { Description = "End the summary with one JSON line (for scripts and benchmarks)." };
        var command = new Command("run", "Run an experiment and write spikes and state reports to HDF5.") { experiment, output, threads, quiet, plot, json };
        command.SetAction(result => Program.Guard(() =>
        {
            int code = Run(result.GetValue(experiment)!, result.GetValue(output)!, result.GetValue(threads), result.GetValue(quiet), result.GetValue(json));
            string? png = result.GetValue(plot);
            return code == ExitCodes.Ok && png is not null ? PlotCommand.Plot(new FileInfo(result.GetValue(output)!), png) : code;
        }));
        return command;
    }

    private static int Run(FileInfo file, string output, int? threads, bool quiet, bool json)
    {
        var services = Program.Services;
        var experiment = services.GetRequiredService<ExperimentReader>().ReadFile(file.FullName) with { File = file.ToString() };
        if (threads is null && int.TryParse(Environment.GetEnvironmentVariable("SLURM_CPUS_PER_TASK"), out int slurm) && slurm > 0) threads = slurm;
        if (threads is < 1) return Program.Fail($"--threads must be at least 1, got {threads}", ExitCodes.BadInput);

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; cancel.Cancel(); });

        var runner = services.GetRequiredService<ExperimentRunner>();
        RunSummary summary;
        Console.Error.WriteLine($"biosim: {experiment.Name}: {experiment.Populations.Sum(p => p.Size)} neurons, " +
            $"{experiment.Duration.ToString(CultureInfo.InvariantCulture)} ms at dt = {experiment.Dt.ToString(CultureInfo.InvariantCulture)} ms → {output}");
        if (!quiet && !Console.IsErrorRedirected && !Console.IsOutputRedirected && TerminalWidth() >= 60)
        {
            using var bar = new ProgressBar(1000, "simulating", new ProgressBarOptions { ProgressCharacter = '─', CollapseWhenFinished = true, DisplayTimeInRealTime = false });
            var progress = new SynchronousProgress(p =>
            {
                bar.Tick((int)(1000 * p.TimeMs / p.DurationMs), $"t = {p.TimeMs:0} / {p.DurationMs:0} ms, {p.Spikes} spikes");
            });
            summary = runner.Run(experiment, output, progress, threads, cancel.Token);
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
            summary = runner.Run(experiment, output, progress, threads, cancel.Token);
        }
        PrintSummary(summary);
        if (json)
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                neurons = summary.Neurons,
                synapses = summary.Synapses,
                spikes = summary.Spikes,
                rate_hz = summary.MeanRateHz,
                build_s = summary.BuildTime.TotalSeconds,
                sim_s = summary.SimulationTime.TotalSeconds,
                threads = threads ?? experiment.Threads,
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
