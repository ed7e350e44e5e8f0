using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;
using BioSim.Workflows;
using BioSim.Workflows.Runs;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Validation;

/// <summary>Reproducibility contracts on the CUBA example (examples/cuba.json), shortened to 300 ms.</summary>
[TestFixture, Category("Validation")]
public sealed class CubaReproducibilityTests
{
    private static (Experiment Experiment, ModelBuilder Builder) Load()
    {
        var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var experiment = services.GetRequiredService<ExperimentReader>().ReadFile(TestPaths.Example("cuba.json"));
        return (experiment, services.GetRequiredService<ModelBuilder>());
    }

    private static List<(int Population, int Id, double Time)> Run(Simulator sim, long steps)
    {
        var spikes = new List<(int, int, double)>();
        for (long n = 0; n < steps; n++)
        {
            sim.Step();
            for (int p = 0; p < sim.LastSpikes.Count; p++)
            {
                var s = sim.LastSpikes[p];
                for (int k = 0; k < s.Count; k++) spikes.Add((p, s.Ids[k], s.Times[k]));
            }
        }
        return spikes;
    }

    /// <summary>Same seed, 1 or 2 threads: the same spikes, bit for bit (chunking and delivery order do not depend on threads).</summary>
    [Test]
    public void SameSeedSameSpikesWithOneOrTwoThreads()
    {
        var (experiment, builder) = Load();
        var one = Run(builder.Build(experiment, threads: 1).Simulator, 3000);
        var two = Run(builder.Build(experiment, threads: 2, minElementsForThreads: 0).Simulator, 3000);
        // Every step's spikes delivered by target range over the two threads, however few.
        var twoRanged = builder.Build(experiment, threads: 2, minElementsForThreads: 0, minDeliveriesForThreads: 0).Simulator;
        Assert.That(twoRanged.DeliversByTargetRange, Is.True);
        Assert.That(Run(twoRanged, 3000), Is.EqualTo(one));
        Assert.That(one, Has.Count.GreaterThan(1000));
        Assert.That(two, Is.EqualTo(one));
        var other = Run(builder.Build(experiment with { Seed = experiment.Seed + 1 }).Simulator, 3000);
        Assert.That(other, Is.Not.EqualTo(one), "another seed gives another network");
    }

    /// <summary>
    /// The LIF step's vector width (512 bits on AVX-512, 256 on AVX2, or none) never changes a spike or a potential: each lane
    /// does what the one-neuron step does, in the same order, so results are the same bits on every machine. Grid and exact
    /// timing (the latter's linear response runs through the same lanes). On a machine without AVX-512 the 512-bit run is
    /// emulated by the runtime (slower, same arithmetic).
    /// </summary>
    [TestCase(SpikeTiming.Grid)]
    [TestCase(SpikeTiming.Exact)]
    public void SameSpikesAndPotentialsAtEveryVectorWidth(SpikeTiming timing)
    {
        var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var builder = services.GetRequiredService<ModelBuilder>();
        // Exact timing needs every delay at least one step: all delays 0.1 ms in both modes (as benchmarks/compare/timing_compare.py does).
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(TestPaths.Example("cuba.json")))!;
        foreach (var projection in json["projections"]!.AsArray()) projection!["delay"] = 0.1;
        json["timing"] = timing == SpikeTiming.Exact ? "exact" : "grid";
        var experiment = services.GetRequiredService<ExperimentReader>().Read(json.ToJsonString(), "cuba.json");
        (List<(int, int, double)> Spikes, double[] Membrane) RunAt(int bits)
        {
            var model = builder.Build(experiment);
            var lif = model.Populations.OfType<BioSim.Circuits.Neurons.Lif.LifPopulation>().ToArray();
            Assert.That(lif, Has.Length.EqualTo(2));
            foreach (var population in lif) population.VectorBits = bits;
            var spikes = Run(model.Simulator, 2000);
            return (spikes, lif.SelectMany(p => p.Variable("V")).ToArray());
        }
        var scalar = RunAt(1);
        Assert.That(scalar.Spikes, Has.Count.GreaterThan(500));
        foreach (int bits in new[] { 256, 512 })
        {
            var vectors = RunAt(bits);
            Assert.That(vectors.Spikes, Is.EqualTo(scalar.Spikes), $"{bits}-bit vectors: spikes");
            Assert.That(vectors.Membrane, Is.EqualTo(scalar.Membrane), $"{bits}-bit vectors: V after 200 ms, bit for bit");
        }
    }

    /// <summary>Snapshot after 150 ms, restore into a freshly built network: the next 150 ms are bit-identical.</summary>
    [Test]
    public void SnapshotRestoreContinuesBitIdentically()
    {
        var (experiment, builder) = Load();
        var original = builder.Build(experiment).Simulator;
        Run(original, 1500);
        var snapshot = original.Snapshot();
        var expected = Run(original, 1500);

        var resumed = builder.Build(experiment).Simulator;
        resumed.Restore(snapshot);
        Assert.That(resumed.Time, Is.EqualTo(150.0).Within(1e-12));
        Assert.That(Run(resumed, 1500), Is.EqualTo(expected));
    }
}
