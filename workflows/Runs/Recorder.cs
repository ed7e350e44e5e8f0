using BioSim.Circuits.Populations;
using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;
using BioSim.IO.Runs;
using BioSim.IO.Sonata;

namespace BioSim.Workflows.Runs;

/// <summary>Collects the spikes and probed values of each step into buffers that are written once per block.</summary>
internal sealed class Recorder(Experiment experiment, Simulator sim) : IStepObserver
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
            var layout = Layout(k, spec);
            var writer = reports.AddPopulation(spec.Population, layout.NodeIds, layout.IndexPointers, layout.ElementIds, new SonataReportOptions
            {
                StartMs = spec.Every * experiment.Dt,
                DtMs = spec.Every * experiment.Dt,
                Units = layout.Unit,
                VariableName = layout.Variable,
                DeflateLevel = experiment.Record.Compression,
            });
            _probes.Add(new Probe(layout.Values, layout.Entries, spec.Every, writer));
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
            var layout = Layout(k, spec);
            _probes.Add(new Probe(layout.Values, layout.Entries, spec.Every, writer));
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
        sim.Populations.Select((p, i) => new PopulationSummary(p.Name, p.Size, _counts[i], simulatedMs > 0 ? _counts[i] / (p.Size * simulatedMs / 1000.0) : 0,
            p is Engine.Simulation.ILocalStepping { UsesLocalSteps: true } local ? local.LocalStepsTaken : null)).ToArray();

    private static int IndexOf(Simulator sim, string name)
    {
        for (int p = 0; p < sim.Populations.Count; p++)
        {
            if (sim.Populations[p].Name == name) return p;
        }
        throw new KeyNotFoundException($"No population named '{name}'.");
    }
}
