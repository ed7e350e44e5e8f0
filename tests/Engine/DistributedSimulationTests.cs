using System.Text.Json.Nodes;
using BioSim.Engine.Distributed;
using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;
using BioSim.Workflows;
using BioSim.Workflows.Runs;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Engine;

/// <summary>
/// A network split over P processes (here P members of an <see cref="InProcessGroup"/>, one thread each, with MPI's
/// collective contract) gives the spikes of one process bit for bit: CUBA (examples/cuba.json, 4000 neurons, 5 chunks, so
/// P = 3 splits unevenly), and the same with two step threads per process; and exact timing (CUBA with 0.1 ms delays).
/// The MPI binding itself is tested under mpiexec in tests/Cli/MpiRunTests.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class DistributedSimulationTests
{
    private static Experiment Cuba(string timing, double durationMs, double? delayMs = null)
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("cuba.json")))!.AsObject();
        json["duration"] = durationMs;
        json["timing"] = timing;
        if (delayMs is { } delay)
        {
            foreach (var projection in json["projections"]!.AsArray()) projection!["delay"] = delay;
        }
        return services.GetRequiredService<ExperimentReader>().Read(json.ToJsonString(), "cuba-distributed.json");
    }

    private static List<(int Population, int Id, double Time)> Run(Experiment experiment, int threads, IProcessGroup? processes, long steps)
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        using var sim = services.GetRequiredService<ModelBuilder>().Build(experiment, threads, minElementsForThreads: 0, processes: processes).Simulator;
        var observer = new SpikeCollector();
        sim.AddObserver(observer);
        // In blocks of 7 steps (as a run's flush blocks): Run ends a communication interval where it stops, wherever that is.
        for (long n = 0; n < steps; n += 7) sim.Run(Math.Min(7, steps - n));
        _threadInterval = sim.CommunicationInterval;
        return observer.Spikes;
    }

    [ThreadStatic] private static int _threadInterval;

    private sealed class SpikeCollector : IStepObserver
    {
        public List<(int Population, int Id, double Time)> Spikes { get; } = [];
        private double _last;

        public void AfterStep(double t, IReadOnlyList<BioSim.Engine.Events.SpikeList> spikes)
        {
            if (!(t > _last)) throw new InvalidOperationException($"step ending at {t} ms observed after {_last} ms");
            _last = t;
            for (int p = 0; p < spikes.Count; p++)
            {
                var s = spikes[p];
                for (int k = 0; k < s.Count; k++)
                {
                    if (!(s.Times[k] > t - 0.1 - 1e-12 && s.Times[k] <= t + 1e-12)) throw new InvalidOperationException($"spike at {s.Times[k]} ms observed with the step ending at {t} ms");
                    Spikes.Add((p, s.Ids[k], s.Times[k]));
                }
            }
        }
    }

    private static List<(int, int, double)>[] RunSplit(Experiment experiment, int processes, int threads, long steps)
    {
        var members = InProcessGroup.Create(processes);
        var results = new List<(int, int, double)>[processes];
        var intervals = new int[processes];
        var workers = Enumerable.Range(0, processes).Select(r => new Thread(() =>
        {
            results[r] = Run(experiment, threads, members[r], steps);
            intervals[r] = _threadInterval;
        })).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        members[0].Dispose();
        _lastIntervals = intervals;
        return results;
    }

    private static int[] _lastIntervals = [];

    /// <summary>CUBA split over 2 and 3 processes (1 and 2 threads each) gives the spikes of one process bit for bit, with the
    /// spikes exchanged once per communication interval: the example's zero delays (grid) or 0.1 ms (exact): every step, 0.5 ms (5 steps)
    /// and 0.45 ms (grid: rounded to 5 steps; exact: ⌊4.5⌋ = 4 steps). Blocks of 7 steps end intervals early too.</summary>
    [TestCase("grid", 2, 1, null, 1)]
    [TestCase("grid", 3, 1, null, 1)]
    [TestCase("grid", 2, 2, null, 1)]
    [TestCase("grid", 2, 1, 0.5, 5)]
    [TestCase("grid", 3, 2, 0.5, 5)]
    [TestCase("grid", 3, 1, 0.45, 5)]
    [TestCase("exact", 3, 1, 0.1, 1)]
    [TestCase("exact", 2, 2, 0.5, 5)]
    [TestCase("exact", 3, 1, 0.45, 4)]
    public void SplitOverProcessesGivesTheSpikesOfOneProcess(string timing, int processes, int threads, double? delayMs, int interval)
    {
        var experiment = Cuba(timing, 150, delayMs);
        long steps = 1500;
        var one = Run(experiment, 1, null, steps);
        Assert.That(one, Has.Count.GreaterThan(1000), "CUBA fires (~5 Hz × 4000 neurons × 0.15 s ≈ 3000 spikes)");
        var split = RunSplit(experiment, processes, threads, steps);
        Assert.That(_lastIntervals, Is.All.EqualTo(interval), "the communication interval: the shortest delay in whole steps");
        for (int r = 0; r < processes; r++) Assert.That(split[r], Is.EqualTo(one), $"process {r} of {processes}");
    }

    /// <summary>A network of cable cells (examples/ball-and-stick.json widened to 12 hh ball-and-stick cells, each driven by its
    /// own LIF source, coupled at random with p 0.3): split over 2 and 3 processes, the spikes of one process bit for bit.</summary>
    [TestCase(2)]
    [TestCase(3)]
    public void CableNetworkSplitOverProcessesGivesTheSpikesOfOneProcess(int processes)
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("ball-and-stick.json")))!.AsObject();
        json["duration"] = 60.0;
        foreach (var population in json["populations"]!.AsArray()) population!["size"] = 12;
        json["projections"]![1]!["connectivity"] = JsonNode.Parse("""{"rule": "fixed-probability", "p": 0.3, "allow_autapses": false}""");
        json["projections"]![1]!["weight"] = 0.004;
        json["record"]!.AsObject().Remove("state");
        var experiment = services.GetRequiredService<ExperimentReader>().Read(json.ToJsonString(), "ball-and-stick-12.json");
        long steps = 2400;
        var one = Run(experiment, 1, null, steps);
        Assert.That(one.Count(s => s.Population == 1), Is.GreaterThan(12), "the cells fire (the current step makes each fire)");
        var split = RunSplit(experiment, processes, 1, steps);
        for (int r = 0; r < processes; r++) Assert.That(split[r], Is.EqualTo(one), $"process {r} of {processes}");
    }

    /// <summary>
    /// A split run's output (<see cref="ExperimentRunner.RunDistributed"/>, 3 processes, CUBA with 0.5 ms delays: exchanges
    /// every 5 steps, flush blocks of 7 steps) holds the spikes and the state reports of the one-process run
    /// (<see cref="ExperimentRunner.Run"/>) bit for bit: V of exc neurons on every process (0, 1023 | 1024, 3071 | 3072, 3199)
    /// every step, and g of inh neurons (process 2) every third step; the summary counts the exchanges.
    /// </summary>
    [Test]
    public void SplitRunWritesTheStateReportsOfOneProcess()
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("cuba.json")))!.AsObject();
        json["duration"] = 60.0;
        json["flush_interval"] = 0.7;
        foreach (var projection in json["projections"]!.AsArray()) projection!["delay"] = 0.5;
        json["record"]!["state"] = JsonNode.Parse("""
            [{"population": "exc", "variable": "V", "node_ids": [0, 1023, 1024, 3071, 3072, 3199], "every": 1},
             {"population": "inh", "variable": "V", "node_ids": [3, 400, 799], "every": 3}]
            """);
        var experiment = services.GetRequiredService<ExperimentReader>().Read(json.ToJsonString(), "cuba-split-report.json");
        string dir = Path.Combine(Path.GetTempPath(), "biosim-split-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            string one = Path.Combine(dir, "one.h5"), split = Path.Combine(dir, "split.h5");
            services.GetRequiredService<ExperimentRunner>().Run(experiment, one, threads: 1);
            var members = InProcessGroup.Create(3);
            var summaries = new RunSummary[3];
            var workers = Enumerable.Range(0, 3).Select(r => new Thread(() =>
            {
                using var own = BioSimServiceCollectionExtensions.BuildBioSimServices();
                summaries[r] = own.GetRequiredService<ExperimentRunner>().RunDistributed(experiment, split, members[r], threads: 1);
            })).ToArray();
            foreach (var w in workers) w.Start();
            foreach (var w in workers) w.Join();
            members[0].Dispose();
            using var a = BioSim.IO.Hdf5.Hdf5File.OpenReadOnly(one);
            using var b = BioSim.IO.Hdf5.Hdf5File.OpenReadOnly(split);
            var expected = BioSim.IO.Sonata.SonataFileReader.ReadReports(a);
            var actual = BioSim.IO.Sonata.SonataFileReader.ReadReports(b);
            Assert.That(expected.Select(r => (r.Population, r.Frames)), Is.EqualTo(new[] { ("exc", 600), ("inh", 200) }));
            Assert.That(actual.Select(r => (r.Population, r.Frames)), Is.EqualTo(expected.Select(r => (r.Population, r.Frames))));
            for (int k = 0; k < expected.Count; k++)
            {
                Assert.That(actual[k].NodeIds, Is.EqualTo(expected[k].NodeIds));
                Assert.That(actual[k].Data, Is.EqualTo(expected[k].Data), expected[k].Population);
                Assert.That(expected[k].Data.Distinct().Count(), Is.GreaterThan(expected[k].Data.Length / 2), "the report varies (V moves every step)");
            }
            var spikes = BioSim.IO.Sonata.SonataFileReader.ReadSpikes(b);
            var oneSpikes = BioSim.IO.Sonata.SonataFileReader.ReadSpikes(a);
            for (int k = 0; k < oneSpikes.Count; k++) Assert.That(spikes[k].TimestampsMs, Is.EqualTo(oneSpikes[k].TimestampsMs));
            Assert.That(oneSpikes.Sum(s => s.NodeIds.Length), Is.GreaterThan(500));
            // 600 steps in blocks of 7: each block is ⌊7/5⌋ = 1 whole interval and one shortened (2 steps): 2 exchanges a block.
            Assert.That(summaries[0].Exchange!.IntervalSteps, Is.EqualTo(5));
            Assert.That(summaries[0].Exchange!.Count, Is.EqualTo(2 * 85 + 1));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void EachProcessAdvancesAContiguousBlockOfEveryPopulation()
    {
        var experiment = Cuba("grid", 1);
        var members = InProcessGroup.Create(3);
        var owned = new IReadOnlyList<(int Start, int End)>[3];
        var kept = new long[3];
        var workers = Enumerable.Range(0, 3).Select(r => new Thread(() =>
        {
            using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
            var built = services.GetRequiredService<ModelBuilder>().Build(experiment, 1, processes: members[r]);
            using var sim = built.Simulator;
            owned[r] = sim.OwnedElements.ToArray();
            kept[r] = built.Projections.Sum(p => (long)p.SynapseCount);
        })).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        members[0].Dispose();
        // Five chunks (exc: 3200 neurons in four of up to 1024, inh: 800 in one), each to the process whose third of the
        // 4000 neurons holds its middle neuron (512, 1536, 2560, 3136, 3600 → 0, 1, 1, 2, 2).
        Assert.That(owned[0], Is.EqualTo(new[] { (0, 1024), (0, 0) }));
        Assert.That(owned[1], Is.EqualTo(new[] { (1024, 3072), (0, 0) }));
        Assert.That(owned[2], Is.EqualTo(new[] { (3072, 3200), (0, 800) }));
        // Each process keeps only the synapses onto its own neurons: together exactly the network's.
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        long all = services.GetRequiredService<ModelBuilder>().Build(experiment, 1).Projections.Sum(p => (long)p.SynapseCount);
        Assert.That(kept.Sum(), Is.EqualTo(all));
        // Connections are random with one probability for every target, so each keeps about its share of the neurons (±1 %).
        int[] shares = [1024, 2048, 928];
        for (int r = 0; r < 3; r++) Assert.That((double)kept[r] / all, Is.EqualTo(shares[r] / 4000.0).Within(0.01), $"process {r}");
    }
}
