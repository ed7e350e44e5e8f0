using BioSim.IO.Runs;
using System.Diagnostics;
using System.Reflection;
using BioSim.Circuits.Cells;
using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;

namespace BioSim.Workflows.Runs;

/// <summary>Collects the spikes and probed values of each step into buffers that are written once per block.</summary>
internal sealed class Recorder(Experiment experiment, Simulation sim) : IStepObserver
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
