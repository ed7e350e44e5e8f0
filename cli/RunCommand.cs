using System.CommandLine;
using System.Globalization;
using BioSim.Cli.Terminal;
using BioSim.IO.Experiments;
using BioSim.Workflows;
using BioSim.Workflows.Runs;
using Microsoft.Extensions.DependencyInjection;

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
        var force = new Option<bool>("--force") { Description = "Replace an existing output file (its checkpoints included); without it an existing output is refused." };
        var command = new Command("run", "Run an experiment and write spikes and state reports to HDF5.") { experiment, output, plot, force };
        options.AddTo(command);
        command.SetAction(result => Program.Guard(() =>
        {
            RequireMpiUnderSrun();
            var file = result.GetValue(experiment)!;
            string path = result.GetValue(output)!;
            var spec = services.GetRequiredService<ExperimentReader>().ReadFile(file.FullName) with { File = file.ToString() };
            string banner = $"{spec.Name}: {spec.Populations.Sum(p => p.Size)} neurons, {spec.Duration.ToString(CultureInfo.InvariantCulture)} ms at dt = {spec.Dt.ToString(CultureInfo.InvariantCulture)} ms → {path}";
            bool overwrite = result.GetValue(force);
            if (BioSim.Engine.Distributed.MpiProcessGroup.LaunchedWithSeveralProcesses)
            {
                int split = ExecuteDistributed(services, result, options, banner, spec.Threads, path,
                    (runner, mpi, progress, threads, every, token, now, modelMs) => runner.RunDistributed(spec, path, mpi, progress, threads, overwrite, every, now, modelMs, token));
                return split == ExitCodes.Ok && result.GetValue(plot) is { } splitPng && Environment.GetEnvironmentVariable("PMI_RANK") == "0"
                    ? PlotCommand.Plot(new FileInfo(path), splitPng) : split;
            }
            int code = Execute(services, result, options, banner, spec.Threads, path,
                (runner, progress, threads, every, token, now, modelMs) => runner.Run(spec, path, progress, threads, every, overwrite, now, modelMs, token));
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
            RequireMpiUnderSrun();
            string path = result.GetValue(output)!.ToString();
            try
            {
                if (BioSim.Engine.Distributed.MpiProcessGroup.LaunchedWithSeveralProcesses)
                {
                    return ExecuteDistributed(services, result, options, $"resuming {path}", null, path,
                        (runner, mpi, progress, threads, every, token, now, modelMs) => runner.ResumeDistributed(path, mpi, progress, threads, every, now, modelMs, token));
                }
                return Execute(services, result, options, $"resuming {path}", null, path,
                    (runner, progress, threads, every, token, now, modelMs) => runner.Resume(path, progress, threads, every, now, modelMs, token));
            }
            catch (RunAlreadyCompleteException e)
            {
                Console.WriteLine(e.Message);
                return ExitCodes.Ok;
            }
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

        public Option<double?> CheckpointModelTime { get; } = new("--checkpoint-model-time")
        {
            Description = "Also checkpoint after this much simulated time (ms) since the last checkpoint (at the first block end past it), whatever the wall time.",
        };

        public void AddTo(Command command)
        {
            command.Options.Add(Threads);
            command.Options.Add(Quiet);
            command.Options.Add(Json);
            command.Options.Add(CheckpointEvery);
            command.Options.Add(CheckpointModelTime);
        }
    }

    private delegate RunSummary Runner(ExperimentRunner runner, IProgress<RunProgress> progress, int? threads, TimeSpan? checkpointEvery, CancellationToken token,
        CheckpointRequest checkpointNow, double? checkpointModelMs);

    /// <summary>The part run and resume share: options, one call into <see cref="ExperimentRunner"/>, progress and summary.</summary>
    private static int Execute(IServiceProvider services, ParseResult result, CommonOptions options, string banner, int? experimentThreads, string output, Runner run)
    {
        using var session = CommandSession.Start(result.GetValue(options.Threads), result.GetValue(options.Quiet));
        double? every = result.GetValue(options.CheckpointEvery);
        CommandSession.Seconds("--checkpoint-every", every);
        TimeSpan? checkpointEvery = every is { } seconds ? TimeSpan.FromSeconds(seconds) : null;
        double? modelMs = result.GetValue(options.CheckpointModelTime);
        if (modelMs is { } m && !(m > 0 && double.IsFinite(m)))
            throw new UsageException($"--checkpoint-model-time: must be a positive number of ms of simulated time, got {m}");

        var runner = services.GetRequiredService<ExperimentRunner>();
        RunSummary summary;
        Console.Error.WriteLine($"biosim: {banner}");
        try
        {
            if (session.DrawsBar)
            {
                using var bar = CommandSession.NewBar("simulating");
                var progress = CommandSession.Progress<RunProgress>(p =>
                    bar.Tick((int)(1000 * p.TimeMs / p.DurationMs), $"t = {p.TimeMs:0} / {p.DurationMs:0} ms, {p.Spikes} spikes"));
                summary = run(runner, progress, session.Threads, checkpointEvery, session.Cancellation, session.CheckpointNow, modelMs);
            }
            else
            {
                double nextLog = 0;
                var progress = CommandSession.Progress<RunProgress>(p =>
                {
                    if (session.Quiet || p.TimeMs < nextLog) return;
                    nextLog = p.TimeMs + p.DurationMs / 10;
                    Console.Error.WriteLine($"biosim: t = {p.TimeMs:0.#} / {p.DurationMs:0.#} ms, {p.Spikes} spikes, {p.Elapsed.TotalSeconds:0.00} s");
                });
                summary = run(runner, progress, session.Threads, checkpointEvery, session.Cancellation, session.CheckpointNow, modelMs);
            }
        }
        catch (OperationCanceledException)
        {
            return session.Interrupted($"{output} holds every block up to a checkpoint written at the interruption: continue with biosim resume {output}");
        }
        PrintSummary(summary);
        if (result.GetValue(options.Json)) PrintJson(summary, session.Threads ?? experimentThreads);
        return ExitCodes.Ok;
    }

    /// <summary>The one JSON line of <c>--json</c>; a split run adds <c>processes</c>, <c>neurons_per_process</c> and its spike
    /// exchanges: <c>interval_steps</c>, <c>exchanges</c>, <c>exchange_s</c> (process 0), <c>exchange_max_s</c> (slowest
    /// process), <c>exchange_us_per_interval</c> and <c>exchanged_bytes</c> (received by each process).</summary>
    private static void PrintJson(RunSummary summary, int? threads)
    {
        var json = System.Text.Json.JsonSerializer.SerializeToNode(new
        {
            neurons = summary.Neurons,
            synapses = summary.Synapses,
            spikes = summary.Spikes,
            rate_hz = summary.MeanRateHz,
            build_s = summary.BuildTime.TotalSeconds,
            sim_s = summary.SimulationTime.TotalSeconds,
            threads,
            output = summary.Output,
            populations = summary.Populations.Select(p => new { name = p.Name, size = p.Size, spikes = p.Spikes, rate_hz = p.MeanRateHz, adaptive_steps = p.AdaptiveSteps,
                counters = p.Counters?.ToDictionary(c => c.Name, c => c.Value) }),
        })!.AsObject();
        if (summary.NeuronsPerProcess is { } shares)
        {
            json["processes"] = shares.Count;
            json["neurons_per_process"] = new System.Text.Json.Nodes.JsonArray(shares.Select(n => (System.Text.Json.Nodes.JsonNode?)n).ToArray());
        }
        if (summary.Exchange is { } x)
        {
            json["interval_steps"] = x.IntervalSteps;
            json["exchanges"] = x.Count;
            json["exchange_s"] = x.Time.TotalSeconds;
            json["exchange_max_s"] = x.MaxSeconds;
            json["exchange_us_per_interval"] = x.Count > 0 ? x.Time.TotalMicroseconds / x.Count : 0;
            json["exchanged_bytes"] = 8 * x.Values;
        }
        Console.WriteLine(json.ToJsonString());
    }

    /// <summary>
    /// <c>mpiexec -n P biosim run …</c> (or <c>srun</c>): the network split over the P processes
    /// (<see cref="ExperimentRunner.RunDistributed"/>); process 0 prints and writes, the others only compute. An error on
    /// every process (a refused experiment) is printed by process 0; one on a single process ends it, and the launcher then
    /// ends the others.
    /// </summary>
    /// <summary>Kept for the rest of the process once a split run was interrupted (see <see cref="ExecuteDistributed"/>).</summary>
    private static System.Runtime.InteropServices.PosixSignalRegistration? _lateTerm;

    private delegate RunSummary SplitRunner(ExperimentRunner runner, BioSim.Engine.Distributed.IProcessGroup processes, IProgress<RunProgress> progress,
        int? threads, TimeSpan? checkpointEvery, CancellationToken token, CheckpointRequest checkpointNow, double? checkpointModelMs);

    private static int ExecuteDistributed(IServiceProvider services, ParseResult result, CommonOptions options, string banner, int? experimentThreads,
        string output, SplitRunner run)
    {
        double? every = result.GetValue(options.CheckpointEvery);
        CommandSession.Seconds("--checkpoint-every", every);
        TimeSpan? checkpointEvery = every is { } seconds ? TimeSpan.FromSeconds(seconds) : null;
        double? modelMs = result.GetValue(options.CheckpointModelTime);
        if (modelMs is { } m && !(m > 0 && double.IsFinite(m)))
            throw new UsageException($"--checkpoint-model-time: must be a positive number of ms of simulated time, got {m}");
        using var mpi = BioSim.Engine.Distributed.MpiProcessGroup.Initialize();
        bool lead = mpi.Rank == 0;
        using var session = CommandSession.Start(result.GetValue(options.Threads), result.GetValue(options.Quiet) || !lead);
        var runner = services.GetRequiredService<ExperimentRunner>();
        if (lead) Console.Error.WriteLine($"biosim: {banner} (split over {mpi.Size} processes)");
        double nextLog = 0;
        var progress = CommandSession.Progress<RunProgress>(p =>
        {
            if (session.Quiet || p.TimeMs < nextLog) return;
            nextLog = p.TimeMs + p.DurationMs / 10;
            Console.Error.WriteLine($"biosim: t = {p.TimeMs:0.#} / {p.DurationMs:0.#} ms, {p.Spikes} spikes, {p.Elapsed.TotalSeconds:0.00} s");
        });
        RunSummary summary;
        try
        {
            summary = run(runner, mpi, progress, session.Threads, checkpointEvery, session.Cancellation, session.CheckpointNow, modelMs);
        }
        catch (OperationCanceledException)
        {
            // Every process exits 75. When the first one exits, mpiexec (Hydra) sends SIGTERM to the others; one that has
            // already let go of the session's handler would die by the signal (15) instead of exiting with its own code.
            _lateTerm ??= System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => c.Cancel = true);
            return lead
                ? session.Interrupted($"{output} holds every block up to a checkpoint of all {mpi.Size} processes written at the interruption: continue with mpiexec -n {mpi.Size} biosim resume {output}")
                : ExitCodes.Interrupted;
        }
        catch (RunAlreadyCompleteException) when (!lead)
        {
            return ExitCodes.Ok; // process 0 says so
        }
        catch (Exception e) when (!lead && e is ExperimentException or OutputExistsException or UsageException or InvalidDataException)
        {
            return ExitCodes.BadInput; // process 0 says why
        }
        if (!lead) return ExitCodes.Ok;
        PrintSummary(summary);
        Console.WriteLine($"  split over {mpi.Size} processes: {string.Join(", ", summary.NeuronsPerProcess!)} neurons");
        if (result.GetValue(options.Json)) PrintJson(summary, session.Threads ?? experimentThreads);
        return ExitCodes.Ok;
    }

    /// <summary>Refuses an srun step of several tasks started without an MPI plugin (each task would run the whole network
    /// and write the same output): one line, from task 0, naming the launch that works.</summary>
    internal static void RequireMpiUnderSrun()
    {
        int tasks = BioSim.Engine.Distributed.MpiProcessGroup.SrunTasksWithoutMpi;
        if (tasks > 1)
            throw new UsageException($"srun started {tasks} tasks without MPI's process manager, so each would run the whole network into the same output; launch with srun --mpi=pmi2 -n {tasks} biosim … (or mpiexec -n {tasks} biosim … inside the job script), or with one task");
    }

    private static void PrintSummary(RunSummary s)
    {
        Console.WriteLine($"Simulated {s.SimulatedMs:0.###} ms in {s.Steps} steps: {s.Neurons} neurons, {s.Synapses} synapses.");
        foreach (var p in s.Populations)
        {
            string steps = p.AdaptiveSteps is long n ? $", {n} adaptive steps ({(double)n / p.Size:0.#} per cell)" : "";
            Console.WriteLine($"  {p.Name,-12} {p.Size,8} neurons {p.Spikes,10} spikes {p.MeanRateHz,8:0.00} Hz{steps}");
            if (p.Counters is { } counters) Console.WriteLine($"  {"",-12} {string.Join(", ", counters.Select(c => $"{c.Name} {c.Value:G6}"))}");
        }
        Console.WriteLine($"  {"all",-12} {s.Neurons,8} neurons {s.Spikes,10} spikes {s.MeanRateHz,8:0.00} Hz");
        Console.WriteLine($"Build {s.BuildTime.TotalSeconds:0.000} s, simulation {s.SimulationTime.TotalSeconds:0.000} s; wrote {s.Output}");
    }
}
