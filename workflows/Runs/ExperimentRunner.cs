using System.Diagnostics;
using BioSim.Engine.Distributed;
using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;
using BioSim.IO.Hdf5;
using BioSim.IO.Runs;
using BioSim.IO.Sonata;

namespace BioSim.Workflows.Runs;

/// <summary>
/// Runs an experiment and streams what it records to an HDF5 file: SONATA spikes and state reports,
/// appended once per flush interval and flushed, so that a killed run leaves a readable file with every
/// flushed block; the root holds the experiment JSON, the software version and the run's status.
/// When the simulation diverges, what was computed up to the last complete step is written before the
/// error is passed on.
/// </summary>
public sealed class ExperimentRunner(ModelBuilder builder, ExperimentReader reader)
{
    /// <summary>BioSim's version with its commit (the informational version), written into every output file.</summary>
    public static string SoftwareVersion => BioSimVersion.Text;

    /// <summary>Wall time between checkpoints when none is given (there is always one at the start and one when a run is stopped).</summary>
    public static readonly TimeSpan DefaultCheckpointInterval = TimeSpan.FromMinutes(5);

    /// <summary>Runs <paramref name="experiment"/> from t = 0 to its end, writing <paramref name="output"/>, which must not exist
    /// unless <paramref name="overwrite"/> is set.</summary>
    /// <param name="experiment">The experiment, as <see cref="ExperimentReader"/> reads it.</param>
    /// <param name="output">The HDF5 file to write; its folder must exist.</param>
    /// <param name="progress">Told after every block (flush interval); called on the running thread.</param>
    /// <param name="threads">Worker threads (default: the experiment's); the results do not depend on them.</param>
    /// <param name="checkpointEvery">Wall time between checkpoints, taken at block ends (default
    /// <see cref="DefaultCheckpointInterval"/>; zero: after every block). A checkpoint is also written before
    /// the first step and when the run is cancelled (SIGTERM from a cluster's scheduler, Ctrl-C).</param>
    /// <param name="cancellation">Stops the run at the next block end, after a checkpoint: the file says "cancelled at t = …",
    /// <see cref="Resume"/> continues it, and <see cref="OperationCanceledException"/> is thrown.</param>
    /// <param name="overwrite">Replace an existing <paramref name="output"/> (checkpoints included); otherwise an existing file is
    /// refused with <see cref="OutputExistsException"/> before anything is built or written.</param>
    /// <param name="checkpointNow">Asks for a checkpoint at the next block end without stopping (SIGUSR1).</param>
    /// <returns>What the run did; its <see cref="RunSummary.Status"/> is <see cref="RunStatus.Completed"/>.</returns>
    /// <param name="checkpointEveryModelMs">Also checkpoint at the first block end after this much model time (ms) since the last
    /// checkpoint (null: by wall time only).</param>
    /// <exception cref="SimulationDivergedException">The state stopped being finite; the file holds every step before, and says "diverged: …".</exception>
    /// <exception cref="OutputExistsException"><paramref name="output"/> exists and <paramref name="overwrite"/> is not set.</exception>
    public RunSummary Run(Experiment experiment, string output, IProgress<RunProgress>? progress = null, int? threads = null,
        TimeSpan? checkpointEvery = null, bool overwrite = false, CheckpointRequest? checkpointNow = null, double? checkpointEveryModelMs = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        if (!overwrite && (File.Exists(output) || Directory.Exists(output))) throw new OutputExistsException(DescribeExisting(output));
        var total = Stopwatch.StartNew();
        var built = builder.Build(experiment, threads);
        var buildTime = total.Elapsed;
        using var sim = built.Simulator;

        string? directory = Path.GetDirectoryName(Path.GetFullPath(output));
        if (directory is not null && !Directory.Exists(directory))
        {
            throw new IOException($"{output}: the directory '{directory}' does not exist; create it or choose another output path");
        }
        // The file is set up under a temporary name and renamed to the output once it is SWMR-safe (after its first
        // checkpoint): a kill during the set-up leaves no half-made output (h5py and h5dump could not open one without
        // h5clear), and with --force the old output stays whole until the new one replaces it.
        string setup = output + ".setup";
        if (File.Exists(setup)) File.Delete(setup); // left by a run killed during its set-up: nothing had been simulated
        using var file = Hdf5File.Create(setup, swmr: true);
        using var recorder = new Recorder(experiment, sim, built.Projections);
        using var spikes = new SonataSpikeWriter(file, new AppendableDatasetOptions { DeflateLevel = experiment.Record.Compression });
        using var reports = new SonataReportWriter(file);
        RunCheckpoints checkpoints;
        try
        {
            WriteRunAttributes(file, experiment);
            recorder.Open(file, spikes, reports);
            recorder.CreateEndObjects(file);
            sim.AddObserver(recorder);
            file.Flush();
            checkpoints = new RunCheckpoints(file);
            recorder.Checkpoint(checkpoints);
            // Every object the run writes exists now (the first checkpoint creates both slots): from here a kill at any moment
            // leaves every flushed block readable (Hdf5File's remarks).
            file.StartSwmrWrite();
            file.MoveTo(output);
        }
        catch
        {
            // Nothing was simulated: the set-up file goes (an open file can be unlinked), an existing output stays as it was.
            File.Delete(setup);
            throw;
        }
        return Loop(experiment, output, file, sim, recorder, spikes, reports, checkpoints, built.SynapseCount, buildTime + AwaitCode(built), progress,
            new Cadence(checkpointEvery ?? DefaultCheckpointInterval, checkpointEveryModelMs), checkpointNow, cancellation);
    }

    /// <summary>
    /// Runs <paramref name="experiment"/> split over <paramref name="processes"/> (every process calls this with the same
    /// arguments, as under <c>mpiexec</c>): each process steps its block of the network, the spikes are exchanged once per
    /// communication interval (the shortest delay; <see cref="Simulator"/>), and process 0 writes the spikes and the state
    /// reports (each column gathered from the process that steps its neuron) to <paramref name="output"/>, identical to a
    /// one-process run's.
    /// Checkpoints hold every process's state (gathered to process 0, written into the output's checkpoint slots, process
    /// r's arrays under <c>process/r/</c>), at the same block ends on every process, so <see cref="ResumeDistributed"/>
    /// continues with the same number of processes bit for bit. Plastic projections learn on each process's synapses (onto its
    /// own neurons), and weight reports and final weights are gathered to process 0 in the whole projection's order, as one
    /// process writes them. What this slice does not do is refused up front, on every process alike: reports of a
    /// microcircuit's weight matrices, rules that read the target's state (urbanczik-senn) unless spikes are exchanged every
    /// step, and event-counting populations (neurosynaptic cores, which also route spikes between their cores internally).
    /// </summary>
    public RunSummary RunDistributed(Experiment experiment, string output, IProcessGroup processes, IProgress<RunProgress>? progress = null,
        int? threads = null, bool overwrite = false, TimeSpan? checkpointEvery = null, CheckpointRequest? checkpointNow = null,
        double? checkpointEveryModelMs = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(processes);
        RequireSplittable(experiment, processes);
        // Every process checks the output the same way (process 0's answer decides), so all stop together.
        bool exists = processes.Max(processes.Rank == 0 && !overwrite && (File.Exists(output) || Directory.Exists(output)) ? 1 : 0) > 0;
        if (exists) throw new OutputExistsException(processes.Rank == 0 ? DescribeExisting(output) : $"{output} exists");
        var total = Stopwatch.StartNew();
        var built = BuildSplit(experiment, threads, processes);
        var buildTime = total.Elapsed;
        using var sim = built.Simulator;
        using var recorder = new Recorder(experiment, sim, built.Projections);
        sim.AddObserver(recorder);
        recorder.PrepareSplit(processes);
        var parts = SnapshotExchange.GatherAll(processes, sim.Snapshot());
        if (processes.Rank != 0)
        {
            recorder.OpenProbesOnly();
            return SplitLoop(experiment, output, null, sim, recorder, null, null, null, processes, built.SynapseCount, buildTime, progress,
                new Cadence(checkpointEvery ?? DefaultCheckpointInterval, checkpointEveryModelMs), checkpointNow, cancellation);
        }
        string? directory = Path.GetDirectoryName(Path.GetFullPath(output));
        if (directory is not null && !Directory.Exists(directory))
            throw new IOException($"{output}: the directory '{directory}' does not exist; create it or choose another output path");
        string setup = output + ".setup";
        if (File.Exists(setup)) File.Delete(setup);
        using var file = Hdf5File.Create(setup, swmr: true);
        using var spikes = new SonataSpikeWriter(file, new AppendableDatasetOptions { DeflateLevel = experiment.Record.Compression });
        using var reports = new SonataReportWriter(file);
        RunCheckpoints checkpoints;
        try
        {
            WriteRunAttributes(file, experiment);
            file.SetAttribute("processes", (long)processes.Size);
            recorder.Open(file, spikes, reports);
            recorder.CreateEndObjects(file);
            checkpoints = new RunCheckpoints(file);
            recorder.Checkpoint(checkpoints, SnapshotExchange.Merge(parts));
            file.StartSwmrWrite();
            file.MoveTo(output);
        }
        catch
        {
            File.Delete(setup);
            throw;
        }
        return SplitLoop(experiment, output, file, sim, recorder, spikes, reports, checkpoints, processes, built.SynapseCount, buildTime, progress,
            new Cadence(checkpointEvery ?? DefaultCheckpointInterval, checkpointEveryModelMs), checkpointNow, cancellation);
    }

    /// <summary>
    /// Continues a split run (<see cref="RunDistributed"/>) from the newest checkpoint in its output, with the number of
    /// processes it ran with: each process gets its own state back, and the run ends as if never stopped, bit for bit.
    /// </summary>
    public RunSummary ResumeDistributed(string output, IProcessGroup processes, IProgress<RunProgress>? progress = null, int? threads = null,
        TimeSpan? checkpointEvery = null, CheckpointRequest? checkpointNow = null, double? checkpointEveryModelMs = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(processes);
        var total = Stopwatch.StartNew();
        if (!File.Exists(output)) throw new IOException($"{output}: no such file; give the output file of the run to resume");
        // Every process reads the experiment from the file before process 0 opens it for writing.
        Experiment experiment;
        long ranWith;
        using (var read = Hdf5File.OpenReadOnly(output))
        {
            if (!read.HasAttribute("experiment")) throw new InvalidDataException($"{output}: not a BioSim run (no 'experiment' attribute); give the output file of `biosim run`");
            if (read.HasAttribute("status") && RunStatus.Parse(read.GetStringAttribute("status")).State == RunState.Completed)
                throw new RunAlreadyCompleteException($"{output}: the run is complete; there is nothing to resume");
            ranWith = read.HasAttribute("processes") ? read.GetLongAttribute("processes") : 1;
            string origin = read.HasAttribute("experiment_file") ? read.GetStringAttribute("experiment_file") : output;
            experiment = reader.Read(read.GetStringAttribute("experiment"), origin);
        }
        if (ranWith != processes.Size)
        {
            throw new InvalidDataException(ranWith == 1
                ? $"{output}: the run ran in one process; resume it without mpiexec (biosim resume {output})"
                : $"{output}: the run was split over {ranWith} processes; resume it with the same number: mpiexec -n {ranWith} biosim resume {output}");
        }
        processes.Max(0); // every process has closed the file
        RequireSplittable(experiment, processes);
        var built = BuildSplit(experiment, threads, processes);
        var buildTime = total.Elapsed;
        using var sim = built.Simulator;
        using var recorder = new Recorder(experiment, sim, built.Projections);
        recorder.PrepareSplit(processes);
        if (processes.Rank != 0)
        {
            sim.Restore(SnapshotExchange.Scatter(processes, null, sim.Snapshot()));
            recorder.OpenProbesOnly();
            sim.AddObserver(recorder);
            return SplitLoop(experiment, output, null, sim, recorder, null, null, null, processes, built.SynapseCount, buildTime, progress,
                new Cadence(checkpointEvery ?? DefaultCheckpointInterval, checkpointEveryModelMs), checkpointNow, cancellation);
        }
        using var file = Hdf5File.OpenReadWrite(output);
        BioSimVersion.CheckResumable(output, file.HasAttribute("biosim_version") ? file.GetStringAttribute("biosim_version") : null,
            $"start the run again with `mpiexec -n {processes.Size} biosim run EXPERIMENT -o {output} --force`");
        var checkpoint = RunCheckpoints.ReadLatest(file)
            ?? throw new InvalidDataException($"{output}: holds no complete checkpoint; start it again with `mpiexec -n {processes.Size} biosim run`");
        sim.Restore(SnapshotExchange.Scatter(processes, SnapshotExchange.Split(checkpoint.State, processes.Size), sim.Snapshot()));
        file.SetAttribute("status", RunStatus.Running.ToString());
        using var spikes = new SonataSpikeWriter(file, new AppendableDatasetOptions { DeflateLevel = experiment.Record.Compression });
        using var reports = new SonataReportWriter(file);
        recorder.Reopen(file, spikes, reports, checkpoint.TimeMs, checkpoint.Position);
        sim.AddObserver(recorder);
        reports.Flush();
        file.StartSwmrWrite();
        return SplitLoop(experiment, output, file, sim, recorder, spikes, reports, new RunCheckpoints(file), processes, built.SynapseCount, buildTime,
            progress, new Cadence(checkpointEvery ?? DefaultCheckpointInterval, checkpointEveryModelMs), checkpointNow, cancellation);
    }

    private static void RequireSplittable(Experiment experiment, IProcessGroup processes)
    {
        string split = $"is not supported when a run is split over processes (mpiexec -n {processes.Size}) yet; run it in one process";
        for (int k = 0; k < experiment.Record.Weights.Count; k++)
        {
            if (experiment.Record.Weights[k].Matrix is not null)
                throw new ExperimentException(experiment.File, $"record.weights[{k}].matrix", $"a report of a microcircuit's weight matrix {split}");
        }
    }

    private BuiltModel BuildSplit(Experiment experiment, int? threads, IProcessGroup processes)
    {
        string split = $"is not supported when a run is split over processes (mpiexec -n {processes.Size}) yet; run it in one process";
        var built = builder.Build(experiment, threads, processes: processes);
        for (int k = 0; k < built.Projections.Count; k++)
        {
            var projection = built.Projections[k];
            if (projection.Plasticity is { ReadsStateAfterStep: true } && built.Simulator.CommunicationInterval > 1)
            {
                built.Simulator.Dispose();
                throw new ExperimentException(experiment.File, $"projections[{experiment.Projections.ToList().FindIndex(p => p.Name == projection.Name)}].plasticity",
                    $"projection '{projection.Name}' learns from its target's state after every step, which a run split over processes has only when it exchanges spikes every step; the shortest delay is {built.Simulator.CommunicationInterval} steps: {split}");
            }
        }
        foreach (var population in built.Simulator.Populations)
        {
            if (population is IEventCounters)
            {
                built.Simulator.Dispose();
                throw new ExperimentException(experiment.File, "populations", $"population '{population.Name}' counts its events and routes its spikes between its cores inside itself, which each process would do for its own cores only: {split}");
            }
        }
        return built;
    }

    /// <summary>The block loop of a split run, on every process: the same blocks everywhere, and at each block end one
    /// collective decision (process 0's wall-time cadence, any process's stop or checkpoint request) whether to checkpoint or
    /// stop; process 0 (<paramref name="file"/> not null) writes.</summary>
    private static RunSummary SplitLoop(Experiment experiment, string output, Hdf5File? file, Simulator sim, Recorder recorder,
        SonataSpikeWriter? spikes, SonataReportWriter? reports, RunCheckpoints? checkpoints, IProcessGroup processes, long synapses,
        TimeSpan buildTime, IProgress<RunProgress>? progress, Cadence cadence, CheckpointRequest? checkpointNow, CancellationToken cancellation)
    {
        double lastCheckpointMs = sim.Time;
        long steps = experiment.Steps;
        long stepsPerBlock = Math.Max(1, (long)Math.Round(experiment.FlushInterval / experiment.Dt));
        var simulation = Stopwatch.StartNew();
        var sinceCheckpoint = Stopwatch.StartNew();
        var status = RunStatus.Completed;
        while (sim.StepIndex < steps)
        {
            sim.Run(Math.Min(stepsPerBlock, steps - sim.StepIndex));
            recorder.GatherBlock(processes);
            if (file is not null)
            {
                file.SetAttribute("simulated", sim.Time);
                recorder.WriteBlock(spikes!, reports!);
            }
            bool lead = file is not null;
            bool due = lead && ((cadence.ModelMs is { } every && sim.Time - lastCheckpointMs >= every - 1e-9 * every) || sinceCheckpoint.Elapsed >= cadence.Wall);
            int local = cancellation.IsCancellationRequested ? 2 : checkpointNow?.Take() == true || due ? 1 : 0;
            // 2: stop (after a checkpoint), 1: checkpoint; any process's request counts, so all act at this same block end.
            int decision = (int)processes.Max(local);
            if (decision > 0 && (sim.StepIndex < steps || decision == 2))
            {
                var parts = SnapshotExchange.GatherAll(processes, sim.Snapshot());
                if (file is not null) recorder.Checkpoint(checkpoints!, SnapshotExchange.Merge(parts));
                sinceCheckpoint.Restart();
                lastCheckpointMs = sim.Time;
            }
            if (decision == 2)
            {
                status = RunStatus.CancelledAt(sim.Time);
                break;
            }
            progress?.Report(new RunProgress(sim.Time, experiment.Duration, recorder.TotalSpikes, simulation.Elapsed));
        }
        if (status.State == RunState.Completed) recorder.GatherFinalWeights();
        if (file is not null)
        {
            if (status.State == RunState.Completed) recorder.WriteFinalWeights(file);
            file.SetAttribute("status", status.ToString());
            file.SetAttribute("simulated", sim.Time);
            file.Flush();
        }
        if (status.State != RunState.Completed) throw new OperationCanceledException($"stopped at t = {sim.Time} ms");
        double owned = sim.OwnedElements.Sum(r => (double)(r.End - r.Start));
        double[] perProcess = [];
        processes.AllGather([owned], ref perProcess, new int[processes.Size]);
        var (exchanges, exchangeTime, values) = sim.Exchanges;
        return new RunSummary(output, sim.StepIndex, sim.Time, synapses, recorder.Summaries(sim.Time), buildTime, simulation.Elapsed, status)
        {
            NeuronsPerProcess = perProcess.Take(processes.Size).Select(n => (int)n).ToArray(),
            Exchange = new SpikeExchange(sim.CommunicationInterval, exchanges, exchangeTime, processes.Max(exchangeTime.TotalSeconds), values),
        };
    }

    /// <summary>The root attributes of a new run's output: the experiment (JSON, name, file), version, seed, dt, duration,
    /// status "running" and simulated 0.</summary>
    private static void WriteRunAttributes(Hdf5File file, Experiment experiment)
    {
        file.SetAttribute("experiment", experiment.Json);
        file.SetAttribute("experiment_name", experiment.Name);
        file.SetAttribute("experiment_file", File.Exists(experiment.File) ? Path.GetFullPath(experiment.File) : experiment.File);
        file.SetAttribute("biosim_version", SoftwareVersion);
        file.SetAttribute("seed", (long)experiment.Seed);
        file.SetAttribute("dt", experiment.Dt);
        file.SetAttribute("duration", experiment.Duration);
        file.SetAttribute("status", RunStatus.Running.ToString());
        file.SetAttribute("simulated", 0.0);
    }

    /// <summary>When the loop writes a checkpoint: after <paramref name="Wall"/> of wall time, or <paramref name="ModelMs"/> of model
    /// time, since the last one, whichever comes first (at block ends).</summary>
    private readonly record struct Cadence(TimeSpan Wall, double? ModelMs);

    private static string ComparisonFolder(string curves) => Path.GetDirectoryName(curves) is { Length: > 0 } d ? d : ".";

    /// <summary>What an existing output holds and what to do with it, for the refusal to overwrite it.</summary>
    private static string DescribeExisting(string output)
    {
        const string replace = "pass --force to replace it (its checkpoints included) or choose another output";
        if (Directory.Exists(output)) return $"{output} is a directory; give the path of the HDF5 file to write";
        try
        {
            using var file = Hdf5File.OpenReadOnly(output);
            if (!file.HasAttribute("experiment") || !file.HasAttribute("status")) return $"{output} exists and is not the output of a BioSim run; {replace}";
            var status = RunStatus.Parse(file.GetStringAttribute("status"));
            string simulated = file.HasAttribute("simulated") ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $" (simulated {file.GetDoubleAttribute("simulated"):0.###} ms)") : "";
            if (status.State == RunState.Completed) return $"{output} holds a completed run{simulated}; {replace}";
            return RunCheckpoints.ReadLatest(file) is { } checkpoint
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{output} holds a run that stopped ({status}) with a checkpoint at t = {checkpoint.TimeMs:0.###} ms: continue it with `biosim resume {output}`, or {replace}")
                : $"{output} holds a run that stopped ({status}) before its first checkpoint; {replace}";
        }
        catch (Exception e) when (e is Hdf5Exception or IOException or InvalidDataException)
        {
            return $"{output} exists and is not a readable BioSim output; {replace}";
        }
    }

    /// <summary>
    /// Continues a run from the newest checkpoint in its output file: rebuilds the model from the experiment
    /// stored in the file, restores the state, drops whatever the file holds beyond the checkpoint, and runs
    /// to the end, appending to the same datasets. The result is the same, bit for bit, as a run never stopped.
    /// </summary>
    /// <param name="output">The output file of the run (written by <see cref="Run"/>, stopped or killed).</param>
    /// <param name="progress">As for <see cref="Run"/>.</param>
    /// <param name="threads">As for <see cref="Run"/>.</param>
    /// <param name="checkpointEvery">As for <see cref="Run"/>.</param>
    /// <param name="cancellation">As for <see cref="Run"/>: a resumed run can be stopped and resumed again.</param>
    /// <param name="checkpointNow">As for <see cref="Run"/>.</param>
    /// <param name="checkpointEveryModelMs">As for <see cref="Run"/>.</param>
    /// <exception cref="RunAlreadyCompleteException">The run reached its end; nothing is simulated or written.</exception>
    public RunSummary Resume(string output, IProgress<RunProgress>? progress = null, int? threads = null,
        TimeSpan? checkpointEvery = null, CheckpointRequest? checkpointNow = null, double? checkpointEveryModelMs = null,
        CancellationToken cancellation = default)
    {
        var total = Stopwatch.StartNew();
        if (!File.Exists(output)) throw new IOException($"{output}: no such file; give the output file of the run to resume");
        using var file = Hdf5File.OpenReadWrite(output);
        if (file.HasAttribute("matrix_product") && file.HasAttribute("epochs"))
            throw new InvalidDataException($"{output}: this is the curves file of a rule comparison, not a run; continue the comparison with `biosim compare FILE -o {ComparisonFolder(output)} --resume`");
        if (!file.HasAttribute("experiment"))
            throw new InvalidDataException($"{output}: not a BioSim run (no 'experiment' attribute); give the output file of `biosim run`");
        if (file.HasAttribute("status") && RunStatus.Parse(file.GetStringAttribute("status")).State == RunState.Completed)
        {
            string simulated = file.HasAttribute("simulated") ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $" (simulated {file.GetDoubleAttribute("simulated"):0.###} ms)") : "";
            throw new RunAlreadyCompleteException($"{output}: the run is complete{simulated}; there is nothing to resume");
        }
        string origin = file.HasAttribute("experiment_file") ? file.GetStringAttribute("experiment_file") : output;
        var experiment = reader.Read(file.GetStringAttribute("experiment"), origin);
        BioSimVersion.CheckResumable(output, file.HasAttribute("biosim_version") ? file.GetStringAttribute("biosim_version") : null,
            "start the run again with `biosim run EXPERIMENT -o " + output + " --force`");
        var checkpoint = RunCheckpoints.ReadLatest(file)
            ?? throw new InvalidDataException($"{output}: holds no complete checkpoint (it was stopped before the first one was written); start it again with `biosim run`");

        var built = builder.Build(experiment, threads);
        var buildTime = total.Elapsed;
        using var sim = built.Simulator;
        sim.Restore(checkpoint.State);
        file.SetAttribute("status", RunStatus.Running.ToString());

        using var recorder = new Recorder(experiment, sim, built.Projections);
        using var spikes = new SonataSpikeWriter(file, new AppendableDatasetOptions { DeflateLevel = experiment.Record.Compression });
        using var reports = new SonataReportWriter(file);
        recorder.Reopen(file, spikes, reports, checkpoint.TimeMs, checkpoint.Position);
        sim.AddObserver(recorder);
        reports.Flush();
        file.StartSwmrWrite(); // as in Run; a file written before BioSim wrote SWMR files goes on without
        return Loop(experiment, output, file, sim, recorder, spikes, reports, new RunCheckpoints(file), built.SynapseCount, buildTime + AwaitCode(built),
            progress,
            new Cadence(checkpointEvery ?? DefaultCheckpointInterval, checkpointEveryModelMs), checkpointNow, cancellation);
    }

    /// <summary>
    /// Waits for the step's methods to finish compiling (<see cref="BuiltModel.CodePreparation"/>, started while the model was
    /// built and running beside the output's set-up) and returns the time waited, which the summary counts as building: the
    /// simulation time is then the stepping of compiled code, as a compiled simulator's run time excludes its compilation.
    /// A failed preparation only means the methods compile at their first call.
    /// </summary>
    private static TimeSpan AwaitCode(BuiltModel built)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            built.CodePreparation.Wait();
        }
        catch (AggregateException)
        {
            // Compiled at their first call instead; the tests run every preparation and fail on a broken one.
        }
        return Stopwatch.GetElapsedTime(started);
    }

    private static RunSummary Loop(Experiment experiment, string output, Hdf5File file, Simulator sim, Recorder recorder,
        SonataSpikeWriter spikes, SonataReportWriter reports, RunCheckpoints checkpoints, long synapses, TimeSpan buildTime,
        IProgress<RunProgress>? progress, Cadence cadence, CheckpointRequest? checkpointNow, CancellationToken cancellation)
    {
        double lastCheckpointMs = sim.Time;
        long steps = experiment.Steps;
        long stepsPerBlock = Math.Max(1, (long)Math.Round(experiment.FlushInterval / experiment.Dt));
        var simulation = Stopwatch.StartNew();
        var sinceCheckpoint = Stopwatch.StartNew();
        var status = RunStatus.Completed;
        try
        {
            while (sim.StepIndex < steps)
            {
                cancellation.ThrowIfCancellationRequested();
                long block = Math.Min(stepsPerBlock, steps - sim.StepIndex);
                sim.Run(block);
                // The simulated time stays current with every flushed block, so a killed file says how far it got.
                file.SetAttribute("simulated", sim.Time);
                recorder.WriteBlock(spikes, reports);
                bool asked = checkpointNow?.Take() == true;
                bool modelDue = cadence.ModelMs is { } every && sim.Time - lastCheckpointMs >= every - 1e-9 * every;
                if (sim.StepIndex < steps && (asked || modelDue || sinceCheckpoint.Elapsed >= cadence.Wall))
                {
                    recorder.Checkpoint(checkpoints);
                    sinceCheckpoint.Restart();
                    lastCheckpointMs = sim.Time;
                }
                progress?.Report(new RunProgress(sim.Time, experiment.Duration, recorder.TotalSpikes, simulation.Elapsed));
            }
        }
        catch (Exception e) when (e is SimulationDivergedException or OperationCanceledException)
        {
            status = e is OperationCanceledException ? RunStatus.CancelledAt(sim.Time) : RunStatus.DivergedWith(e.Message);
            recorder.WriteBlock(spikes, reports);
            // A stopped run can be resumed from here; a diverged one cannot (its state is not finite).
            if (e is OperationCanceledException) recorder.Checkpoint(checkpoints);
            file.SetAttribute("status", status.ToString());
            file.SetAttribute("simulated", sim.Time);
            file.Flush();
            throw;
        }
        recorder.WriteFinalWeights(file);
        recorder.WriteCounters(file);
        file.SetAttribute("status", status.ToString());
        file.SetAttribute("simulated", sim.Time);
        file.Flush();
        return new RunSummary(output, sim.StepIndex, sim.Time, synapses, recorder.Summaries(sim.Time), buildTime, simulation.Elapsed, status);
    }
}
