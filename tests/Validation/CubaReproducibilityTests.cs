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
