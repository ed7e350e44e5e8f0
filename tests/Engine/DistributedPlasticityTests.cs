using System.Text.Json.Nodes;
using BioSim.Circuits.Projections;
using BioSim.Engine.Distributed;
using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;
using BioSim.IO.Hdf5;
using BioSim.Workflows;
using BioSim.Workflows.Runs;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Engine;

/// <summary>
/// Plastic projections in a run split over P processes (members of an <see cref="InProcessGroup"/>, MPI's collective contract
/// in one process): each process keeps and learns on the synapses onto its own neurons, and the weights end the same bits as
/// one process's, with the spikes (issue 17). The network is CUBA (examples/cuba.json, 4000 neurons in 5 chunks) with STDP on
/// exc→exc and triplet STDP on exc→inh; the reference is the same experiment in one process (the weights' bits are asserted
/// equal, so there is no tolerance; the weights are asserted to have moved, so the rule ran).
/// </summary>
[TestFixture, Category("Unit")]
public sealed class DistributedPlasticityTests
{
    /// <summary>CUBA with plastic exc→exc (pair STDP, additive, all-to-all) and exc→inh (triplet STDP, nearest), delays as given
    /// (a number, or a distribution: one delay per synapse), a weight report of synapses on every process every 50 steps.</summary>
    private static Experiment PlasticCuba(string timing, double durationMs, JsonNode? delay, double flushMs = 5.0)
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("cuba.json")))!.AsObject();
        json["duration"] = durationMs;
        json["timing"] = timing;
        json["flush_interval"] = flushMs;
        var projections = json["projections"]!.AsArray();
        if (delay is not null)
        {
            foreach (var projection in projections) projection!["delay"] = delay.DeepClone();
        }
        projections[0]!["plasticity"] = JsonNode.Parse("""
            {"rule": "stdp", "tau_plus": 20.0, "tau_minus": 20.0, "A_plus": 0.05, "A_minus": 0.0525, "w_min": 0.0, "w_max": 3.24}
            """);
        projections[1]!["plasticity"] = JsonNode.Parse("""
            {"rule": "stdp-triplet", "A2_plus": 0.02, "A3_plus": 0.01, "A2_minus": 0.03, "A3_minus": 0.0, "w_min": 0.0, "w_max": 3.24, "pairing": "nearest"}
            """);
        // Synapses 0 and 1 have sources 0 and targets spread over exc; the last ones end on the last targets (the last process).
        json["record"] = JsonNode.Parse("""
            {"spikes": ["exc", "inh"],
             "weights": [{"projection": "exc->exc:exc", "synapses": [0, 1, 2, 5000, 100000, 204000, 204001], "every": 50},
                         {"projection": "exc->inh:exc", "every": 100}]}
            """);
        return services.GetRequiredService<ExperimentReader>().Read(json.ToJsonString(), "cuba-plastic.json");
    }

    private sealed class SpikeCollector : IStepObserver
    {
        public List<(int Population, int Id, double Time)> Spikes { get; } = [];

        public void AfterStep(double t, IReadOnlyList<BioSim.Engine.Events.SpikeList> spikes)
        {
            for (int p = 0; p < spikes.Count; p++)
            {
                for (int k = 0; k < spikes[p].Count; k++) Spikes.Add((p, spikes[p].Ids[k], spikes[p].Times[k]));
            }
        }
    }

    /// <summary>Runs <paramref name="steps"/> steps in blocks of 7 and returns the spikes and, per plastic projection, the weights of
    /// the synapses this process keeps under their index in the whole projection.</summary>
    private static (List<(int, int, double)> Spikes, Dictionary<int, double>[] Weights, int Interval) Run(Experiment experiment, int threads,
        IProcessGroup? processes, long steps)
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var built = services.GetRequiredService<ModelBuilder>().Build(experiment, threads, minElementsForThreads: 0, minDeliveriesForThreads: 0, processes: processes);
        using var sim = built.Simulator;
        var observer = new SpikeCollector();
        sim.AddObserver(observer);
        for (long n = 0; n < steps; n += 7) sim.Run(Math.Min(7, steps - n));
        var weights = built.Projections.Where(p => p.Plasticity is not null).Select(p =>
        {
            int[] ids = p.WholeSynapseIds();
            var kept = new Dictionary<int, double>();
            for (int k = 0; k < ids.Length; k++) kept[ids[k]] = p.Weight(k);
            return kept;
        }).ToArray();
        return (observer.Spikes, weights, sim.CommunicationInterval);
    }

    private static T[] OnEachProcess<T>(int processes, Func<IProcessGroup, T> run)
    {
        var members = InProcessGroup.Create(processes);
        var results = new T[processes];
        var errors = new Exception?[processes];
        var workers = Enumerable.Range(0, processes).Select(r => new Thread(() =>
        {
            try
            {
                results[r] = run(members[r]);
            }
            catch (Exception e)
            {
                errors[r] = e;
                members[r].Abandon(); // the others would wait for this one in their next collective call

            }
        })).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        members[0].Dispose();
        // The first failure (the others' are the cancellations it caused).
        if ((errors.FirstOrDefault(e => e is not null and not OperationCanceledException) ?? errors.FirstOrDefault(e => e is not null)) is { } error)
            throw new AggregateException($"a process failed: {error.Message}", error);
        return results;
    }

    /// <summary>
    /// Split over 2 and 3 processes with 1 and 2 threads, grid and exact timing, zero delays (exchange every step), 0.5 ms
    /// (every 5 steps), 0.45 ms (grid: 5 steps, exact: 4) and per-synapse delays uniform in [0.3, 1.2] ms (the arrivals then
    /// go synapse by synapse): the spikes and every plastic weight are the bits of one process, and the processes' synapses
    /// together are the projection's, each kept once.
    /// </summary>
    [TestCase("grid", 2, 1, "0.0", 1)]
    [TestCase("grid", 3, 2, "0.5", 5)]
    [TestCase("grid", 2, 2, "0.45", 5)]
    [TestCase("grid", 3, 1, """{"uniform": [0.3, 1.2]}""", 3)]
    [TestCase("exact", 3, 1, "0.45", 4)]
    [TestCase("exact", 2, 1, """{"uniform": [0.3, 1.2]}""", 3)]
    public void PlasticSplitRunEndsWithTheWeightsOfOneProcess(string timing, int processes, int threads, string delay, int interval)
    {
        var experiment = PlasticCuba(timing, 100, JsonNode.Parse(delay));
        const long steps = 1000;
        var (oneSpikes, oneWeights, _) = Run(experiment, 1, null, steps);
        Assert.That(oneSpikes, Has.Count.GreaterThan(500), "CUBA fires");
        var split = OnEachProcess(processes, group => Run(experiment, threads, group, steps));
        for (int p = 0; p < oneWeights.Length; p++)
        {
            var initial = services().GetRequiredService<ModelBuilder>().Build(experiment).Projections.Where(x => x.Plasticity is not null).ElementAt(p);
            int moved = oneWeights[p].Count(kv => kv.Value != initial.Weight(kv.Key));
            Assert.That(moved, Is.GreaterThan(oneWeights[p].Count / 10), $"projection {p}: STDP moved the weights");
            var together = new Dictionary<int, double>();
            foreach (var part in split)
            {
                foreach (var (id, w) in part.Weights[p]) Assert.That(together.TryAdd(id, w), Is.True, $"synapse {id} kept by one process only");
            }
            Assert.That(together.Keys.Order(), Is.EqualTo(oneWeights[p].Keys.Order()), $"projection {p}: the processes keep every synapse");
            foreach (var (id, w) in oneWeights[p])
            {
                if (BitConverter.DoubleToInt64Bits(together[id]) != BitConverter.DoubleToInt64Bits(w)) Assert.Fail($"projection {p}, synapse {id}: {together[id]:R} split, {w:R} in one process");
            }
        }
        for (int r = 0; r < processes; r++)
        {
            Assert.That(split[r].Interval, Is.EqualTo(interval), "the communication interval");
            Assert.That(split[r].Spikes, Is.EqualTo(oneSpikes), $"process {r} of {processes}: the spikes of one process");
        }

        static ServiceProvider services() => BioSimServiceCollectionExtensions.BuildBioSimServices();
    }

    /// <summary>
    /// The output of a split plastic run (<see cref="ExperimentRunner.RunDistributed"/>, 3 processes, 0.5 ms delays) holds the
    /// weight reports (7 synapses of exc→exc every 50 steps, all of exc→inh every 100) and the final weights of the
    /// one-process run (<see cref="ExperimentRunner.Run"/>) bit for bit, in the same order, with the same source and target
    /// ids; so does a split run stopped at a block end (its checkpoint holds every process's weights, traces and pending
    /// arrivals) and resumed with <see cref="ExperimentRunner.ResumeDistributed"/>.
    /// </summary>
    [Test]
    public void SplitRunWritesTheWeightReportsOfOneProcessAlsoAfterAResume()
    {
        var experiment = PlasticCuba("grid", 60, JsonValue.Create(0.5), flushMs: 0.7);
        string dir = Path.Combine(Path.GetTempPath(), "biosim-split-weights-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            string one = Path.Combine(dir, "one.h5"), split = Path.Combine(dir, "split.h5"), resumed = Path.Combine(dir, "resumed.h5");
            using (var services = BioSimServiceCollectionExtensions.BuildBioSimServices())
            {
                services.GetRequiredService<ExperimentRunner>().Run(experiment, one, threads: 1);
            }
            var summaries = OnEachProcess(3, group =>
            {
                using var own = BioSimServiceCollectionExtensions.BuildBioSimServices();
                return own.GetRequiredService<ExperimentRunner>().RunDistributed(experiment, split, group, threads: 1);
            });
            Assert.That(summaries[0].Synapses, Is.EqualTo(BuiltSynapses(experiment)), "the summary counts the network's synapses");
            AssertSameWeights(one, split);

            // Stopped at the block end after 21 ms (process 0's request; every process stops there), then resumed.
            OnEachProcess(3, group =>
            {
                using var own = BioSimServiceCollectionExtensions.BuildBioSimServices();
                using var stop = new CancellationTokenSource();
                var progress = new StopAfter(21.0, stop);
                Assert.Throws<OperationCanceledException>(() => own.GetRequiredService<ExperimentRunner>().RunDistributed(experiment, resumed, group,
                    progress: group.Rank == 0 ? progress : null, threads: 1, cancellation: stop.Token));
                return 0;
            });
            using (var stopped = Hdf5File.OpenReadOnly(resumed))
            {
                Assert.That(stopped.GetStringAttribute("status"), Does.StartWith("cancelled at t = 2"));
            }
            OnEachProcess(3, group =>
            {
                using var own = BioSimServiceCollectionExtensions.BuildBioSimServices();
                return own.GetRequiredService<ExperimentRunner>().ResumeDistributed(resumed, group, threads: 2);
            });
            AssertSameWeights(one, resumed);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static long BuiltSynapses(Experiment experiment)
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var built = services.GetRequiredService<ModelBuilder>().Build(experiment);
        built.Simulator.Dispose();
        return built.SynapseCount;
    }

    private sealed class StopAfter(double ms, CancellationTokenSource stop) : IProgress<RunProgress>
    {
        public void Report(RunProgress value)
        {
            if (value.TimeMs >= ms) stop.Cancel();
        }
    }

    private static void AssertSameWeights(string expectedPath, string actualPath)
    {
        using var a = Hdf5File.OpenReadOnly(expectedPath);
        using var b = Hdf5File.OpenReadOnly(actualPath);
        Assert.That(b.GetStringAttribute("status"), Is.EqualTo("completed"));
        foreach (string projection in new[] { "exc->exc:exc", "exc->inh:exc" })
        {
            foreach (string dataset in new[] { "source_ids", "target_ids", "synapse_ids" })
            {
                string path = $"/weights/{projection}/{dataset}";
                Assert.That(b.ReadDataset<ulong>(path), Is.EqualTo(a.ReadDataset<ulong>(path)), path);
            }
            foreach (string dataset in new[] { "data", "time", "final" })
            {
                string path = $"/weights/{projection}/{dataset}";
                double[] expected = a.ReadDataset<double>(path), actual = b.ReadDataset<double>(path);
                Assert.That(actual.Select(BitConverter.DoubleToInt64Bits), Is.EqualTo(expected.Select(BitConverter.DoubleToInt64Bits)), path);
            }
        }
        double[] data = a.ReadDataset<double>("/weights/exc->exc:exc/data");
        Assert.That(data, Has.Length.EqualTo(12 * 7), "60 ms / 5 ms: 12 frames of 7 synapses");
        Assert.That(data[^7..], Is.Not.EqualTo(data[..7]), "the recorded weights moved");
        double[] final = a.ReadDataset<double>("/weights/exc->inh:exc/final");
        Assert.That(final.Distinct().Count(), Is.GreaterThan(10), "the triplet rule moved the exc→inh weights");
        var spikesA = BioSim.IO.Sonata.SonataFileReader.ReadSpikes(a);
        var spikesB = BioSim.IO.Sonata.SonataFileReader.ReadSpikes(b);
        for (int p = 0; p < spikesA.Count; p++)
        {
            Assert.That(spikesB[p].NodeIds, Is.EqualTo(spikesA[p].NodeIds));
            Assert.That(spikesB[p].TimestampsMs, Is.EqualTo(spikesA[p].TimestampsMs));
        }
    }
}
