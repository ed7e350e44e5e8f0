using System.Diagnostics;
using System.Reflection;
using BioSim.Circuits.Cells;
using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;

namespace BioSim.IO.Runs;

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
public sealed class ExperimentRunner(ModelBuilder builder)
{
    public static string SoftwareVersion { get; } =
        typeof(ExperimentRunner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public RunSummary Run(Experiment experiment, string output, IProgress<RunProgress>? progress = null, int? threads = null,
        CancellationToken cancellation = default)
    {
        var total = Stopwatch.StartNew();
        var built = builder.Build(experiment, threads);
        var buildTime = total.Elapsed;
        var sim = built.Simulation;

        string? directory = Path.GetDirectoryName(Path.GetFullPath(output));
        if (directory is not null && !Directory.Exists(directory))
        {
            throw new IOException($"{output}: the directory '{directory}' does not exist; create it or choose another output path");
        }
        using var file = Hdf5File.Create(output);
        file.SetAttribute("experiment", experiment.Json);
        file.SetAttribute("experiment_name", experiment.Name);
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

        long steps = experiment.Steps;
        long stepsPerBlock = Math.Max(1, (long)Math.Round(experiment.FlushInterval / experiment.Dt));
        var simulation = Stopwatch.StartNew();
        string status = "completed";
        try
        {
            while (sim.StepIndex < steps)
            {
                cancellation.ThrowIfCancellationRequested();
                long block = Math.Min(stepsPerBlock, steps - sim.StepIndex);
                sim.Run(block);
                recorder.WriteBlock(spikes, reports);
                progress?.Report(new RunProgress(sim.Time, experiment.Duration, recorder.TotalSpikes, simulation.Elapsed));
            }
        }
        catch (Exception e) when (e is SimulationDivergedException or OperationCanceledException)
        {
            status = e is OperationCanceledException ? $"cancelled at t = {sim.Time:0.###} ms" : $"diverged: {e.Message}";
            recorder.WriteBlock(spikes, reports);
            file.SetAttribute("status", status);
            file.SetAttribute("simulated", sim.Time);
            file.Flush();
            throw;
        }
        file.SetAttribute("status", status);
        file.SetAttribute("simulated", sim.Time);
        file.Flush();
        return new RunSummary(output, sim.StepIndex, sim.Time, built.SynapseCount, recorder.Summaries(sim.Time), buildTime, simulation.Elapsed, status);
    }

    /// <summary>Collects the spikes and probed values of each step into buffers that are written once per block.</summary>
    private sealed class Recorder(Experiment experiment, Simulation sim) : IStepObserver
    {
        private readonly int[] _spikePopulations = experiment.Record.Spikes.Select(name => IndexOf(sim, name)).ToArray();
        private readonly List<double>[] _times = experiment.Record.Spikes.Select(_ => new List<double>()).ToArray();
        private readonly List<ulong>[] _ids = experiment.Record.Spikes.Select(_ => new List<ulong>()).ToArray();
        private readonly long[] _counts = new long[sim.Populations.Count];
        private readonly List<Probe> _probes = [];

        public long TotalSpikes => _counts.Sum();

        public void Open(SonataSpikeWriter spikes, SonataReportWriter reports)
        {
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
                    _probes.Add(CompartmentProbe(k, spec, cable, reports));
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

        /// <summary>
        /// A compartment report of cable cells in SONATA's layout: each recorded cell a node, its columns the membrane
        /// potential of every segment (of the chosen sections, in Hines order), <c>element_ids</c> the section index of
        /// each column (the convention of NEURON-based SONATA reports).
        /// </summary>
        private Probe CompartmentProbe(int k, StateProbeSpec spec, CablePopulation cable, SonataReportWriter reports)
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
            var writer = reports.AddPopulation(spec.Population, cells.Select(c => (ulong)c).ToArray(), pointers, elementIds, new SonataReportOptions
            {
                StartMs = spec.Every * experiment.Dt,
                DtMs = spec.Every * experiment.Dt,
                Units = "mV",
                VariableName = "v",
                DeflateLevel = experiment.Record.Compression,
            });
            return new Probe(cable.VoltageArray, flat, spec.Every, writer);
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
