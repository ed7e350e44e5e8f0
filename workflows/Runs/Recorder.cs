using BioSim.Circuits.Populations;
using BioSim.Circuits.Projections;
using BioSim.IO.Hdf5;
using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;
using BioSim.IO.Runs;
using BioSim.IO.Sonata;

namespace BioSim.Workflows.Runs;

/// <summary>Collects the spikes, probed values and recorded weights of each step into buffers that are written once per block.</summary>
/// <remarks>In a split run (several processes) every process records: the spikes of the whole network at the end of each
/// communication interval (<see cref="AfterStep"/>), its own neurons' state after each of its steps
/// (<see cref="AfterLocalStep"/>); <see cref="GatherBlock"/> hands process 0, which writes, every column from its owner.</remarks>
internal sealed class Recorder(Experiment experiment, Simulator sim, IReadOnlyList<Projection> projections) : IStepObserver, ILocalStepObserver, IDisposable
{
    private readonly List<int[]> _columnOwners = [];

    private readonly List<WeightProbe> _weightProbes = [];
    private readonly int[] _spikePopulations = experiment.Record.Spikes.Select(name => IndexOf(sim, name)).ToArray();
    private readonly List<double>[] _times = experiment.Record.Spikes.Select(_ => new List<double>()).ToArray();
    private readonly List<ulong>[] _ids = experiment.Record.Spikes.Select(_ => new List<ulong>()).ToArray();
    private readonly long[] _counts = new long[sim.Populations.Count];
    private readonly List<Probe> _probes = [];
    private SonataSpikeWriter? _spikeWriters;

    public long TotalSpikes => _counts.Sum();

    public void Open(Hdf5File file, SonataSpikeWriter spikes, SonataReportWriter reports)
    {
        for (int k = 0; k < experiment.Record.Weights.Count; k++)
        {
            var spec = experiment.Record.Weights[k];
            if (spec.Matrix is not null)
            {
                var (values, rows, columns) = Matrix(k, spec);
                int[] entries = spec.Synapses?.ToArray() ?? Enumerable.Range(0, values.Length).ToArray();
                foreach (int s in entries)
                {
                    if (s >= values.Length)
                        throw new ExperimentException(experiment.File, $"record.weights[{k}].synapses", $"entry {s} does not exist; {spec.ReportName} has {values.Length} ({rows} × {columns})");
                }
                var pre = new ulong[values.Length];
                var post = new ulong[values.Length];
                for (int e = 0; e < values.Length; e++) (pre[e], post[e]) = ((ulong)(e % columns), (ulong)(e / columns));
                var matrixWriter = new WeightReportWriter(file, spec.ReportName, pre, post, entries.Select(e => (ulong)e).ToArray(), "");
                _weightProbes.Add(new WeightProbe(null, entries, Every(spec), matrixWriter, MatrixReader(spec, values)) { Length = values.Length });
                _weightOwners.Add(null);
                continue;
            }
            AddProjectionProbe(k, spec, (projection, synapses) =>
            {
                var (sources, targets) = Endpoints(projection);
                return new WeightReportWriter(file, projection.Name, sources, targets, synapses.Select(s => (ulong)s).ToArray(), "");
            });
        }
        _spikeWriters = spikes;
        foreach (string name in experiment.Record.Spikes) spikes.Population(name);
        for (int k = 0; k < experiment.Record.State.Count; k++)
        {
            // One report per recorded variable, named by the experiment reader (the population's name when it is recorded once).
            var spec = experiment.Record.State[k];
            var layout = Layout(k, spec);
            var writer = reports.AddPopulation(spec.ReportName, layout.NodeIds, layout.IndexPointers, layout.ElementIds, new SonataReportOptions
            {
                Population = spec.ReportName == spec.Population ? null : spec.Population,
                StartMs = spec.Every * experiment.Dt,
                DtMs = spec.Every * experiment.Dt,
                Units = layout.Unit,
                VariableName = layout.Variable,
                DeflateLevel = experiment.Record.Compression,
            });
            _probes.Add(new Probe(layout.Values, layout.Entries, spec.Every, writer));
            _columnOwners.Add(ColumnOwners(spec, layout));
        }
    }

    /// <summary>Adds the weight probe of record.weights[<paramref name="k"/>] on a projection (validating its synapses against the
    /// whole projection), with the writer <paramref name="writer"/> makes (null: a process of a split run that does not write).</summary>
    private void AddProjectionProbe(int k, WeightProbeSpec spec, Func<Projection, int[], WeightReportWriter>? writer)
    {
        var projection = projections.First(p => p.Name == spec.Projection);
        int count = projection.WholeSynapseCount;
        int[] synapses = spec.Synapses?.ToArray() ?? Enumerable.Range(0, count).ToArray();
        foreach (int s in synapses)
        {
            if (s >= count)
            {
                throw new ExperimentException(experiment.File, $"record.weights[{k}].synapses",
                    $"synapse {s} does not exist; projection '{projection.Name}' has {count} synapses (0 to {count - 1})");
            }
        }
        int[] columns = synapses;
        int[]? owner = null;
        if (_split is not null)
        {
            var split = _split[projection];
            columns = synapses.Select(split.LocalIndex).ToArray();
            owner = _processes!.Rank == 0 ? synapses.Select(s => split.Owner[s]).ToArray() : columns.Select(c => c >= 0 ? _processes.Rank : -1).ToArray();
        }
        _weightProbes.Add(new WeightProbe(projection, columns, Every(spec), writer?.Invoke(projection, synapses)));
        _weightOwners.Add(owner);
    }

    /// <summary>A split run, on every process before <see cref="Open"/>, <see cref="OpenProbesOnly"/> or <see cref="Reopen"/>
    /// (collective): learns where the synapses of every recorded or plastic projection are.</summary>
    public void PrepareSplit(Engine.Distributed.IProcessGroup processes)
    {
        if (processes.Size == 1) return;
        _processes = processes;
        _split = [];
        foreach (var projection in projections)
        {
            if (projection.Plasticity is null && !experiment.Record.Weights.Any(w => w.Matrix is null && w.Projection == projection.Name)) continue;
            _split[projection] = SplitSynapses.Gather(projection, processes);
        }
    }

    private Engine.Distributed.IProcessGroup? _processes;
    private Dictionary<Projection, SplitSynapses>? _split;
    private readonly List<int[]?> _weightOwners = [];
    private readonly Dictionary<Projection, double[]> _finalWeights = [];

    /// <summary>A process of a split run other than process 0: the state and weight probes, sampling for <see cref="GatherBlock"/>,
    /// with no file (process 0 opens the writers with <see cref="Open"/> or <see cref="Reopen"/>).</summary>
    public void OpenProbesOnly()
    {
        for (int k = 0; k < experiment.Record.Weights.Count; k++)
        {
            // Reports of a microcircuit's matrices are refused in split runs (ExperimentRunner.RequireSplittable).
            if (experiment.Record.Weights[k].Matrix is null) AddProjectionProbe(k, experiment.Record.Weights[k], null);
        }
        for (int k = 0; k < experiment.Record.State.Count; k++)
        {
            var spec = experiment.Record.State[k];
            var layout = Layout(k, spec);
            _probes.Add(new Probe(layout.Values, layout.Entries, spec.Every, null));
            _columnOwners.Add(ColumnOwners(spec, layout));
        }
    }

    /// <summary>For each column of a state report, the process that steps its node (all 0 with one process).</summary>
    private int[] ColumnOwners(StateProbeSpec spec, ProbeLayout layout)
    {
        int population = IndexOf(sim, spec.Population);
        var owner = new int[layout.Entries.Length];
        for (int i = 0; i < layout.NodeIds.Length; i++)
        {
            int r = 0;
            while (r < sim.Processes - 1 && !((ulong)sim.ElementsOf(r, population).Start <= layout.NodeIds[i] && layout.NodeIds[i] < (ulong)sim.ElementsOf(r, population).End)) r++;
            for (ulong j = layout.IndexPointers[i]; j < layout.IndexPointers[i + 1]; j++) owner[j] = r;
        }
        return owner;
    }

    /// <summary>Split runs, on every process at each block end before <see cref="WriteBlock"/> (process 0): process 0's state
    /// frames get every column from the process that steps it (collective).</summary>
    public void GatherBlock(Engine.Distributed.IProcessGroup processes)
    {
        for (int k = 0; k < _probes.Count; k++) _probes[k].Gather(processes, _columnOwners[k]);
        for (int k = 0; k < _weightProbes.Count; k++)
        {
            if (_weightOwners[k] is { } owner) _weightProbes[k].Gather(processes, owner);
        }
    }

    /// <summary>Split runs, on every process when the run completes (collective): process 0 gets the final weights of every
    /// recorded or plastic projection from the processes that keep its synapses, for <see cref="WriteFinalWeights(Hdf5File)"/>.</summary>
    public void GatherFinalWeights()
    {
        if (_split is null) return;
        foreach (var (projection, split) in _split)
        {
            if (split.GatherWeights(projection, _processes!) is { } whole) _finalWeights[projection] = whole;
        }
    }

    /// <summary>Reopens the writers of a run being resumed at <paramref name="timeMs"/>, cutting them back to the checkpoint.</summary>
    public void Reopen(Hdf5File file, SonataSpikeWriter spikes, SonataReportWriter reports, double timeMs, RunCheckpoints.Position position)
    {
        for (int k = 0; k < experiment.Record.Weights.Count; k++)
        {
            var spec = experiment.Record.Weights[k];
            if (spec.Matrix is not null)
            {
                var (values, _, _) = Matrix(k, spec);
                int[] entries = spec.Synapses?.ToArray() ?? Enumerable.Range(0, values.Length).ToArray();
                if (!position.WeightFrames.TryGetValue(spec.ReportName, out long matrixFrames))
                    throw new InvalidDataException($"the checkpoint does not say how much of the weight report of '{spec.ReportName}' it covers");
                _weightProbes.Add(new WeightProbe(null, entries, Every(spec), new WeightReportWriter(file, spec.ReportName, matrixFrames), MatrixReader(spec, values)) { Length = values.Length });
                _weightOwners.Add(null);
                continue;
            }
            if (!position.WeightFrames.TryGetValue(spec.Projection, out long frames))
                throw new InvalidDataException($"the checkpoint does not say how much of the weight report of '{spec.Projection}' it covers");
            AddProjectionProbe(k, spec, (projection, _) => new WeightReportWriter(file, projection.Name, frames));
        }
        if (position.SpikeCounts.Length != _counts.Length)
            throw new InvalidDataException($"the checkpoint counts spikes of {position.SpikeCounts.Length} populations, the experiment has {_counts.Length}");
        position.SpikeCounts.CopyTo(_counts, 0);
        foreach (string name in experiment.Record.Spikes) spikes.Reopen(name, position.SpikeRows[name], timeMs);
        for (int k = 0; k < experiment.Record.State.Count; k++)
        {
            var spec = experiment.Record.State[k];
            var writer = reports.Reopen(spec.ReportName, position.ReportFrames[spec.ReportName]);
            var layout = Layout(k, spec);
            _probes.Add(new Probe(layout.Values, layout.Entries, spec.Every, writer));
            _columnOwners.Add(ColumnOwners(spec, layout));
        }
        _spikeWriters = spikes;
    }

    /// <summary>The dense matrix record.weights[<paramref name="k"/>] names in a microcircuit, live; an unknown population kind or
    /// matrix is an error at its path that lists what there is.</summary>
    private (double[] Values, int Rows, int Columns) Matrix(int k, WeightProbeSpec spec)
    {
        if (sim.Population(spec.Projection) is not Circuits.Microcircuit.CorticalMicrocircuit circuit)
            throw new ExperimentException(experiment.File, $"record.weights[{k}].population", $"population '{spec.Projection}' keeps no weight matrices of its own (only microcircuits do); record a projection's weights with \"projection\"");
        return Circuits.Microcircuit.MicrocircuitMatrices.Find(circuit, spec.Matrix!)
            ?? throw new ExperimentException(experiment.File, $"record.weights[{k}].matrix", $"microcircuit '{circuit.Name}' has no matrix '{spec.Matrix}'; it has: {string.Join(", ", Circuits.Microcircuit.MicrocircuitMatrices.Names(circuit))}");
    }

    /// <summary>Entry e of the live matrix <paramref name="values"/> of record.weights' microcircuit, with the weights a running
    /// rule keeps in a layout of its own copied into the array first (a copy that changes no bit of the run).</summary>
    private Func<int, double> MatrixReader(WeightProbeSpec spec, double[] values)
    {
        var circuit = (Circuits.Microcircuit.CorticalMicrocircuit)sim.Population(spec.Projection)!;
        return e =>
        {
            circuit.SynchroniseWeights();
            return values[e];
        };
    }

    /// <summary>Writes a checkpoint of the simulation and of how much of each dataset belongs to it (call after <see cref="WriteBlock"/>).</summary>
    public void Checkpoint(RunCheckpoints checkpoints) => Checkpoint(checkpoints, sim.Snapshot());

    /// <summary>Writes a checkpoint of <paramref name="state"/> (a split run's state of every process) with the position of
    /// every writer.</summary>
    public void Checkpoint(RunCheckpoints checkpoints, StateSnapshot state)
    {
        var spikeRows = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string name in experiment.Record.Spikes) spikeRows[name] = _spikeWriters!.Population(name).Count;
        var frames = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var probe in _probes) frames[probe.Writer.Name] = probe.Writer.Frames;
        var weightFrames = _weightProbes.ToDictionary(p => p.Writer.Name, p => p.Writer.Frames, StringComparer.Ordinal);
        checkpoints.Write(state, sim.Time, new RunCheckpoints.Position(spikeRows, frames, (long[])_counts.Clone()) { WeightFrames = weightFrames });
    }

    /// <summary>
    /// What the population says probe <paramref name="k"/> records: one column per neuron for a point model, the
    /// segments of each cell for a cable population (SONATA's compartment report); a variable it does not have is an
    /// error at <c>record.state[k].variable</c> that lists what it has.
    /// </summary>
    private ProbeLayout Layout(int k, StateProbeSpec spec)
    {
        var population = sim.Population(spec.Population) as IPopulation
            ?? throw new ExperimentException(experiment.File, $"record.state[{k}].population", $"population '{spec.Population}' cannot be probed");
        try
        {
            return population.Probe(spec.Variable, spec.NodeIds, spec.Sections);
        }
        catch (ArgumentException e)
        {
            throw new ExperimentException(experiment.File, $"record.state[{k}].variable", e.Message);
        }
    }

    /// <summary>Compiles the methods a step and a block end call, down to the HDF5 appends (see <see cref="IPreparesCode"/>).</summary>
    public static void PrepareCode()
    {
        CodePreparation.Prepare(typeof(Recorder), nameof(AfterStep), nameof(WriteBlock));
        CodePreparation.Prepare(typeof(SonataSpikeWriter), nameof(SonataSpikeWriter.Append), nameof(SonataSpikeWriter.Flush));
        CodePreparation.Prepare(typeof(SpikePopulationWriter), nameof(SpikePopulationWriter.Append));
        CodePreparation.Prepare(typeof(SonataReportWriter), nameof(SonataReportWriter.Flush));
        foreach (var dataset in new[] { typeof(AppendableDataset<double>), typeof(AppendableDataset<ulong>) })
            CodePreparation.Prepare(dataset, nameof(AppendableDataset<double>.Append), "WriteRows");
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
        if (sim.Processes == 1)
        {
            foreach (var probe in _probes) probe.Sample(sim.StepIndex);
        }
        // The step from the time: in a split run the simulator shows a whole interval's steps at its end.
        long step = (long)Math.Round(t / sim.Dt);
        foreach (var probe in _weightProbes) probe.Sample(step, t);
    }

    public void AfterLocalStep(long stepIndex)
    {
        foreach (var probe in _probes) probe.Sample(stepIndex);
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
        foreach (var probe in _weightProbes) probe.Drain();
        reports.Flush();
        spikes.Flush();
    }

    /// <summary>At the end of a completed run: the final weights of every plastic or recorded projection, under
    /// <c>/weights/&lt;projection&gt;/final</c> (with the synapses' source and target ids when no report wrote them), written into
    /// the datasets <see cref="CreateEndObjects"/> made (or new ones, for a file from before it existed).</summary>
    public void WriteFinalWeights(Hdf5File file) => WriteFinalWeights(file, placeholder: false);

    /// <summary>
    /// Creates, before the file switches to SWMR writing, every object the end of the run fills: <c>/weights/&lt;projection&gt;/final</c>
    /// (NaN until the run completes) and <c>/counters/&lt;population&gt;</c> with its attributes at 0. The end of the run then
    /// only writes in place, so a kill while it writes leaves a file that SWMR readers open (objects created in SWMR mode
    /// are not covered by its ordering), and the run resumes from its last checkpoint as after any other kill.
    /// </summary>
    public void CreateEndObjects(Hdf5File file)
    {
        WriteFinalWeights(file, placeholder: true);
        WriteCounters(file, placeholder: true);
    }

    private void WriteFinalWeights(Hdf5File file, bool placeholder)
    {
        foreach (var probe in _weightProbes)
        {
            if (probe.Projection is not null) continue;
            var all = new double[probe.Length];
            if (placeholder) Array.Fill(all, double.NaN);
            else for (int k = 0; k < all.Length; k++) all[k] = probe.Weight(k);
            probe.Writer.WriteFinal(all);
        }
        foreach (var projection in projections)
        {
            var probe = _weightProbes.FirstOrDefault(p => p.Projection == projection);
            if (probe is null && projection.Plasticity is null) continue;
            double[] weights;
            if (placeholder) Array.Fill(weights = new double[projection.WholeSynapseCount], double.NaN);
            else if (_split is not null) weights = _finalWeights[projection];
            else
            {
                weights = new double[projection.SynapseCount];
                for (int k = 0; k < weights.Length; k++) weights[k] = projection.Weight(k);
            }
            if (probe is not null)
            {
                probe.Writer.WriteFinal(weights);
                continue;
            }
            if (projection.Name.Contains('/')) continue;
            using var group = file.OpenOrCreateGroup("/weights/" + projection.Name);
            if (!group.Exists("source_ids"))
            {
                var (sources, targets) = Endpoints(projection);
                group.WriteDataset("source_ids", sources);
                group.WriteDataset("target_ids", targets);
            }
            group.OverwriteDataset("final", weights);
        }
        file.Flush();
    }

    /// <summary>Source and target neuron of every synapse of the whole projection, in CSR order.</summary>
    private (ulong[] Sources, ulong[] Targets) Endpoints(Projection projection)
    {
        if (_split is not null) return (_split[projection].Sources, _split[projection].Targets);
        var sources = new ulong[projection.SynapseCount];
        var targets = new ulong[projection.SynapseCount];
        var rows = projection.RowStart;
        for (int i = 0; i + 1 < rows.Length; i++)
        {
            for (int k = rows[i]; k < rows[i + 1]; k++) sources[k] = (ulong)i;
        }
        for (int k = 0; k < targets.Length; k++) targets[k] = (ulong)projection.Targets[k];
        return (sources, targets);
    }

    /// <summary>Steps between two frames of a weight report: as given, or one flush interval.</summary>
    private int Every(WeightProbeSpec spec) => spec.Every ?? (int)Math.Max(1, Math.Round(experiment.FlushInterval / experiment.Dt));

    public void Dispose()
    {
        foreach (var probe in _weightProbes) probe.Dispose();
    }

    public IReadOnlyList<PopulationSummary> Summaries(double simulatedMs) =>
        sim.Populations.Select((p, i) => new PopulationSummary(p.Name, p.Size, _counts[i], simulatedMs > 0 ? _counts[i] / (p.Size * simulatedMs / 1000.0) : 0,
            p is Engine.Simulation.ILocalStepping { UsesLocalSteps: true } local ? local.LocalStepsTaken : null,
            (p as Engine.Simulation.IEventCounters)?.Counters)).ToArray();

    /// <summary>Writes the event counters of the populations that keep them as attributes of <c>/counters/&lt;population&gt;</c>
    /// (synaptic events, spikes, active core-ticks, the energy estimate in pJ for neurosynaptic cores).</summary>
    public void WriteCounters(Hdf5File file) => WriteCounters(file, placeholder: false);

    private void WriteCounters(Hdf5File file, bool placeholder)
    {
        foreach (var population in sim.Populations)
        {
            if (population is not Engine.Simulation.IEventCounters counting) continue;
            using var group = file.OpenOrCreateGroup("/counters/" + population.Name);
            foreach (var (name, value) in counting.Counters) group.SetAttribute(name, placeholder ? 0.0 : value);
        }
        file.Flush();
    }

    private static int IndexOf(Simulator sim, string name)
    {
        for (int p = 0; p < sim.Populations.Count; p++)
        {
            if (sim.Populations[p].Name == name) return p;
        }
        throw new KeyNotFoundException($"No population named '{name}'.");
    }
}
