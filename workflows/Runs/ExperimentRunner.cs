using BioSim.IO.Runs;
using System.Diagnostics;
using System.Reflection;
using BioSim.Circuits.Cells;
using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;

namespace BioSim.Workflows.Runs;

/// <summary>Where a run is, for progress bars and logs.</summary>
public sealed record RunProgress(double TimeMs, double DurationMs, long Spikes, TimeSpan Elapsed);

/// <summary>What a finished (or stopped) run did.</summary>
public sealed record RunSummary(
    string Output, long Steps, double SimulatedMs, long Synapses, IReadOnlyList<PopulationSummary> Populations,
    TimeSpan BuildTime, TimeSpan SimulationTime, string Status)
{
    public long Spikes => Populations.Sum(p => p.Spikes);

    public int Neurons => Populations.Sum(p => p.Size);

    /// <summary>Mean firing rate over all neurons (Hz).</summary>
    public double MeanRateHz => SimulatedMs > 0 ? Spikes / (Neurons * SimulatedMs / 1000.0) : 0;
}

public sealed record PopulationSummary(string Name, int Size, long Spikes, double MeanRateHz);

/// <summary>
/// Runs an experiment and streams what it records to an HDF5 file: SONATA spikes and state reports,
/// appended once per flush interval and flushed, so that a killed run leaves a readable file with every
/// flushed block; the root holds the experiment JSON, the software version and the run's status.
/// When the simulation diverges, what was computed up to the last complete step is written before the
/// error is passed on.
/// </summary>
public sealed class ExperimentRunner(ModelBuilder builder, ExperimentReader reader)
{
    public static string SoftwareVersion { get; } =
        typeof(ExperimentRunner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>Wall time between checkpoints when none is given (there is always one at the start and one when a run is stopped).</summary>
    public static readonly TimeSpan DefaultCheckpointInterval = TimeSpan.FromMinutes(5);

    /// <param name="checkpointEvery">Wall time between checkpoints, taken at block ends (default
    /// <see cref="DefaultCheckpointInterval"/>; zero: after every block). A checkpoint is also written before
    /// the first step and when the run is cancelled (SIGTERM from a cluster's scheduler, Ctrl-C).</param>
    public RunSummary Run(Experiment experiment, string output, IProgress<RunProgress>? progress = null, int? threads = null,
        CancellationToken cancellation = default, TimeSpan? checkpointEvery = null)
    {
        var total = Stopwatch.StartNew();
        var built = builder.Build(experiment, threads);
        var buildTime = total.Elapsed;
        using var sim = built.Simulation;

        string? directory = Path.GetDirectoryName(Path.GetFullPath(output));
        if (directory is not null && !Directory.Exists(directory))
        {
            throw new IOException($"{output}: the directory '{directory}' does not exist; create it or choose another output path");
        }
        using var file = Hdf5File.Create(output);
        file.SetAttribute("experiment", experiment.Json);
        file.SetAttribute("experiment_name", experiment.Name);
        file.SetAttribute("experiment_file", File.Exists(experiment.File) ? Path.GetFullPath(experiment.File) : experiment.File);
        file.SetAttribute("biosim_version", SoftwareVersion);
        file.SetAttribute("seed", (long)experiment.Seed);
        file.SetAttribute("dt", experiment.Dt);
        file.SetAttribute("duration", experiment.Duration);
        file.SetAttribute("status", "running");

        var recorder = new Recorder(experiment, sim);
        using var spikes = new SonataSpikeWriter(file, new AppendableDatasetOptions { DeflateLevel = experiment.Record.Compression });
        using var reports = new SonataReportWriter(file);
        recorder.Open(spikes, reports);
        sim.AddObserver(recorder);
        file.Flush();
        var checkpoints = new RunCheckpoints(file);
        recorder.Checkpoint(checkpoints);
        return Loop(experiment, output, file, sim, recorder, spikes, reports, checkpoints, built.SynapseCount, buildTime, progress,
            cancellation, checkpointEvery ?? DefaultCheckpointInterval);
    }

    /// <summary>
    /// Continues a run from the newest checkpoint in its output file: rebuilds the model from the experiment
    /// stored in the file, restores the state, drops whatever the file holds beyond the checkpoint, and runs
    /// to the end, appending to the same datasets. The result is the same, bit for bit, as a run never stopped.
    /// </summary>
    public RunSummary Resume(string output, IProgress<RunProgress>? progress = null, int? threads = null,
        CancellationToken cancellation = default, TimeSpan? checkpointEvery = null)
    {
        var total = Stopwatch.StartNew();
        if (!File.Exists(output)) throw new IOException($"{output}: no such file; give the output file of the run to resume");
        using var file = Hdf5File.OpenReadWrite(output);
        if (!file.HasAttribute("experiment"))
            throw new InvalidDataException($"{output}: not a BioSim run (no 'experiment' attribute); give the output file of `biosim run`");
        string origin = file.HasAttribute("experiment_file") ? file.GetStringAttribute("experiment_file") : output;
        var experiment = reader.Read(file.GetStringAttribute("experiment"), origin);
        var checkpoint = RunCheckpoints.ReadLatest(file)
            ?? throw new InvalidDataException($"{output}: holds no complete checkpoint (it was stopped before the first one was written); start it again with `biosim run`");

        var built = builder.Build(experiment, threads);
        var buildTime = total.Elapsed;
        using var sim = built.Simulation;
        sim.Restore(checkpoint.State);
        file.SetAttribute("status", "running");

        var recorder = new Recorder(experiment, sim);
        using var spikes = new SonataSpikeWriter(file, new AppendableDatasetOptions { DeflateLevel = experiment.Record.Compression });
        using var reports = new SonataReportWriter(file);
        recorder.Reopen(spikes, reports, checkpoint.TimeMs, checkpoint.Position);
        sim.AddObserver(recorder);
        reports.Flush();
        return Loop(experiment, output, file, sim, recorder, spikes, reports, new RunCheckpoints(file), built.SynapseCount, buildTime, progress,
            cancellation, checkpointEvery ?? DefaultCheckpointInterval);
    }

    private static RunSummary Loop(Experiment experiment, string output, Hdf5File file, Simulation sim, Recorder recorder,
        SonataSpikeWriter spikes, SonataReportWriter reports, RunCheckpoints checkpoints, long synapses, TimeSpan buildTime,
        IProgress<RunProgress>? progress, CancellationToken cancellation, TimeSpan checkpointEvery)
    {
        long steps = experiment.Steps;
        long stepsPerBlock = Math.Max(1, (long)Math.Round(experiment.FlushInterval / experiment.Dt));
        var simulation = Stopwatch.StartNew();
        var sinceCheckpoint = Stopwatch.StartNew();
        string status = "completed";
        try
        {
            while (sim.StepIndex < steps)
            {
                cancellation.ThrowIfCancellationRequested();
                long block = Math.Min(stepsPerBlock, steps - sim.StepIndex);
                sim.Run(block);
                recorder.WriteBlock(spikes, reports);
                if (sim.StepIndex < steps && sinceCheckpoint.Elapsed >= checkpointEvery)
                {
                    recorder.Checkpoint(checkpoints);
                    sinceCheckpoint.Restart();
                }
                progress?.Report(new RunProgress(sim.Time, experiment.Duration, recorder.TotalSpikes, simulation.Elapsed));
            }
        }
        catch (Exception e) when (e is SimulationDivergedException or OperationCanceledException)
        {
            status = e is OperationCanceledException ? $"cancelled at t = {sim.Time:0.###} ms" : $"diverged: {e.Message}";
            recorder.WriteBlock(spikes, reports);
            // A stopped run can be resumed from here; a diverged one cannot (its state is not finite).
            if (e is OperationCanceledException) recorder.Checkpoint(checkpoints);
            file.SetAttribute("status", status);
            file.SetAttribute("simulated", sim.Time);
            file.Flush();
            throw;
        }
        file.SetAttribute("status", status);
        file.SetAttribute("simulated", sim.Time);
        file.Flush();
        return new RunSummary(output, sim.StepIndex, sim.Time, synapses, recorder.Summaries(sim.Time), buildTime, simulation.Elapsed, status);
    }

    /// <summary>Collects the spikes and probed values of each step into buffers that are written once per block.</summary>
    private sealed class Recorder(Experiment experiment, Simulation sim) : IStepObserver
    {
        private readonly int[] _spikePopulations = experiment.Record.Spikes.Select(name => IndexOf(sim, name)).ToArray();
        private readonly List<double>[] _times = experiment.Record.Spikes.Select(_ => new List<double>()).ToArray();
        private readonly List<ulong>[] _ids = experiment.Record.Spikes.Select(_ => new List<ulong>()).ToArray();
        private readonly long[] _counts = new long[sim.Populations.Count];
        private readonly List<Probe> _probes = [];
        private SonataSpikeWriter? _spikeWriters;

        public long TotalSpikes => _counts.Sum();

        public void Open(SonataSpikeWriter spikes, SonataReportWriter reports)
        {
            _spikeWriters = spikes;
            foreach (string name in experiment.Record.Spikes) spikes.Population(name);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (int k = 0; k < experiment.Record.State.Count; k++)
            {
                var spec = experiment.Record.State[k];
                if (!seen.Add(spec.Population))
                {
                    throw new ExperimentException(experiment.File, $"record.state[{k}].population",
                        $"population '{spec.Population}' already has a state report; SONATA holds one report per population in a file, so record one variable per population");
                }
                var population = sim.Population(spec.Population);
                if (population is CablePopulation cable)
                {
                    _probes.Add(CompartmentProbe(k, spec, cable, (nodeIds, pointers, elementIds) =>
                        reports.AddPopulation(spec.Population, nodeIds, pointers, elementIds, new SonataReportOptions
                        {
                            StartMs = spec.Every * experiment.Dt,
                            DtMs = spec.Every * experiment.Dt,
                            Units = "mV",
                            VariableName = "v",
                            DeflateLevel = experiment.Record.Compression,
                        })));
                    continue;
                }
                if (!population.VariableNames.Contains(spec.Variable))
                {
                    throw new ExperimentException(experiment.File, $"record.state[{k}].variable",
                        $"population '{spec.Population}' has no variable '{spec.Variable}'; it has: {string.Join(", ", population.VariableNames)}");
                }
                int[] ids = spec.NodeIds?.ToArray() ?? Enumerable.Range(0, population.Size).ToArray();
                var writer = reports.AddPopulation(spec.Population, ids.Select(i => (ulong)i).ToArray(), new SonataReportOptions
                {
                    StartMs = spec.Every * experiment.Dt,
                    DtMs = spec.Every * experiment.Dt,
                    Units = population.UnitOf(spec.Variable),
                    VariableName = spec.Variable,
                    DeflateLevel = experiment.Record.Compression,
                });
                _probes.Add(new Probe(population.Variable(spec.Variable), ids, spec.Every, writer));
            }
        }

        /// <summary>Reopens the writers of a run being resumed at <paramref name="timeMs"/>, cutting them back to the checkpoint.</summary>
        public void Reopen(SonataSpikeWriter spikes, SonataReportWriter reports, double timeMs, RunCheckpoints.Position position)
        {
            if (position.SpikeCounts.Length != _counts.Length)
                throw new InvalidDataException($"the checkpoint counts spikes of {position.SpikeCounts.Length} populations, the experiment has {_counts.Length}");
            position.SpikeCounts.CopyTo(_counts, 0);
            foreach (string name in experiment.Record.Spikes) spikes.Reopen(name, position.SpikeRows[name], timeMs);
            for (int k = 0; k < experiment.Record.State.Count; k++)
            {
                var spec = experiment.Record.State[k];
                var writer = reports.Reopen(spec.Population, position.ReportFrames[spec.Population]);
                var population = sim.Population(spec.Population);
                _probes.Add(population is CablePopulation cable
                    ? CompartmentProbe(k, spec, cable, (_, _, _) => writer)
                    : new Probe(population.Variable(spec.Variable), spec.NodeIds?.ToArray() ?? Enumerable.Range(0, population.Size).ToArray(), spec.Every, writer));
            }
            _spikeWriters = spikes;
        }

        /// <summary>Writes a checkpoint of the simulation and of how much of each dataset belongs to it (call after <see cref="WriteBlock"/>).</summary>
        public void Checkpoint(RunCheckpoints checkpoints)
        {
            var spikeRows = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (string name in experiment.Record.Spikes) spikeRows[name] = _spikeWriters!.Population(name).Count;
            var frames = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var probe in _probes) frames[probe.Writer.Name] = probe.Writer.Frames;
            checkpoints.Write(sim.Snapshot(), sim.Time, new RunCheckpoints.Position(spikeRows, frames, (long[])_counts.Clone()));
        }

        /// <summary>
        /// A compartment report of cable cells in SONATA's layout: each recorded cell a node, its columns the membrane
        /// potential of every segment (of the chosen sections, in Hines order), <c>element_ids</c> the section index of
        /// each column (the convention of NEURON-based SONATA reports).
        /// </summary>
        /// <param name="writer">Creates (or, resuming, reopens) the report from its node ids, index pointers and element ids.</param>
        private Probe CompartmentProbe(int k, StateProbeSpec spec, CablePopulation cable,
            Func<ulong[], ulong[], uint[], ReportPopulationWriter> writer)
        {
            if (spec.Variable != "V")
            {
                throw new ExperimentException(experiment.File, $"record.state[{k}].variable",
                    $"cable population '{spec.Population}' records the membrane potential of its compartments; the variable is \"V\", got '{spec.Variable}'");
            }
            var layout = cable.Layout;
            var morphology = layout.Morphology;
            int[] nodes = spec.Sections is null
                ? Enumerable.Range(0, layout.NodeCount).Where(i => layout.NodeArea[i] > 0).ToArray()
                : spec.Sections.SelectMany(s => layout.MembraneNodes(morphology[s])).Distinct().Order().ToArray();
            int[] cells = spec.NodeIds?.ToArray() ?? Enumerable.Range(0, cable.Size).ToArray();
            var flat = cells.SelectMany(c => nodes.Select(n => c * cable.NodesPerCell + n)).ToArray();
            var pointers = Enumerable.Range(0, cells.Length + 1).Select(i => (ulong)(i * nodes.Length)).ToArray();
            var elementIds = cells.SelectMany(_ => nodes.Select(n => (uint)layout.NodeSection[n])).ToArray();
            return new Probe(cable.VoltageArray, flat, spec.Every, writer(cells.Select(c => (ulong)c).ToArray(), pointers, elementIds));
        }

        public void AfterStep(double t, IReadOnlyList<Engine.Events.SpikeList> spikes)
        {
            for (int p = 0; p < spikes.Count; p++) _counts[p] += spikes[p].Count;
            for (int r = 0; r < _spikePopulations.Length; r++)
            {
                var s = spikes[_spikePopulations[r]];
                for (int k = 0; k < s.Count; k++)
                {
                    _times[r].Add(s.Times[k]);
                    _ids[r].Add((ulong)s.Ids[k]);
                }
            }
            foreach (var probe in _probes) probe.Sample(sim.StepIndex);
        }

        public void WriteBlock(SonataSpikeWriter spikes, SonataReportWriter reports)
        {
            for (int r = 0; r < _spikePopulations.Length; r++)
            {
                spikes.Append(experiment.Record.Spikes[r], System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_times[r]),
                    System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ids[r]));
                _times[r].Clear();
                _ids[r].Clear();
            }
            foreach (var probe in _probes) probe.Drain();
            reports.Flush();
            spikes.Flush();
        }

        public IReadOnlyList<PopulationSummary> Summaries(double simulatedMs) =>
            sim.Populations.Select((p, i) => new PopulationSummary(p.Name, p.Size, _counts[i], simulatedMs > 0 ? _counts[i] / (p.Size * simulatedMs / 1000.0) : 0)).ToArray();

        private static int IndexOf(Simulation sim, string name)
        {
            for (int p = 0; p < sim.Populations.Count; p++)
            {
                if (sim.Populations[p].Name == name) return p;
            }
            throw new KeyNotFoundException($"No population named '{name}'.");
        }
    }

    /// <summary>Copies the recorded elements of one variable into a frame buffer every <c>every</c> steps.</summary>
    private sealed class Probe(double[] values, int[] ids, int every, ReportPopulationWriter writer)
    {
        public ReportPopulationWriter Writer => writer;

        private double[] _buffer = new double[ids.Length * 64];
        private int _frames;

        public void Sample(long step)
        {
            if (step % every != 0) return;
            int offset = _frames * ids.Length;
            if (offset + ids.Length > _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
            for (int k = 0; k < ids.Length; k++) _buffer[offset + k] = values[ids[k]];
            _frames++;
        }

        public void Drain()
        {
            if (_frames == 0) return;
            writer.AppendFrames(_buffer.AsSpan(0, _frames * ids.Length), _frames);
            _frames = 0;
        }
    }
}
