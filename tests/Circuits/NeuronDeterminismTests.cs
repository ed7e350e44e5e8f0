using BioSim.Circuits.Connectivity;
using BioSim.Circuits.Neurons.AdEx;
using BioSim.Circuits.Neurons.Dendritic;
using BioSim.Circuits.Neurons.HodgkinHuxley;
using BioSim.Circuits.Neurons.Lif;
using BioSim.Circuits.Neurons.LifCond;
using BioSim.Circuits.Populations;
using BioSim.Circuits.Projections;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Events;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;
using NUnit.Framework;

namespace BioSim.Tests.Circuits;

/// <summary>
/// Contract: a recurrent network of each point-neuron model gives bit-identical spikes and state with 1 and
/// 2 threads. 5000 neurons span five of the simulation's 1024-element chunks, so the parallel path runs.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class NeuronDeterminismTests
{
    private const int Size = 5000;

    private sealed class Recorder : IStepObserver
    {
        public List<(int Id, double Time)> Spikes { get; } = [];

        public void AfterStep(double t, IReadOnlyList<SpikeList> spikes)
        {
            var s = spikes[0];
            for (int k = 0; k < s.Count; k++) Spikes.Add((s.Ids[k], s.Times[k]));
        }
    }

    /// <summary>A population of the model driven to fire, the receptor the recurrent projection targets, and its membrane variable.</summary>
    private static (NeuronPopulation Population, string Receptor, string Membrane) Build(string model)
    {
        var cond = new ReceptorSpec("exc", ReceptorSpec.ExpConductance, 5.0, 0.0);
        return model switch
        {
            "lif" => (new LifPopulation("net", Size, new LifParameters { I_e = 25.0 }, [new ReceptorSpec("exc", ReceptorSpec.ExpCurrent, 2.0)]), "exc", "V"),
            "adex" => (new AdExPopulation("net", Size, new AdExParameters { I_e = 800.0 }, [cond]), "exc", "V"),
            "hh" => (new HhPopulation("net", Size, new HhParameters { I_e = 125.66 }, [cond with { Tau = 2.0 }]), "exc", "V"),
            "lif-cond" => (new LifCondPopulation("net", Size, new LifCondParameters { I_e = 150.0 }, [cond]), "exc", "V"),
            "pyramidal" => (new PyramidalPopulation("net", Size, new PyramidalParameters(), [new ReceptorSpec("basal", ReceptorSpec.ExpCurrent, 5.0)], seed: 11), "basal", "U"),
            "interneuron" => (new InterneuronPopulation("net", Size, new InterneuronParameters(), [new ReceptorSpec("dendrite", ReceptorSpec.ExpCurrent, 5.0)], seed: 11), "dendrite", "U"),
            _ => throw new ArgumentException(model),
        };
    }

    private static (List<(int, double)> Spikes, double[] V) Run(string model, double dt, double weight, double duration, int threads,
        double snapshotAt = double.NaN)
    {
        var (simulation, population, recorder) = Network(model, dt, weight, threads);
        if (!double.IsNaN(snapshotAt))
        {
            // Run to the snapshot, then continue in a freshly built network restored from it.
            simulation.Run((long)Math.Round(snapshotAt / dt));
            var snapshot = simulation.Snapshot();
            var before = recorder.Spikes.ToList();
            (simulation, population, recorder) = Network(model, dt, weight, threads);
            recorder.Spikes.AddRange(before);
            simulation.Restore(snapshot);
        }
        simulation.Run((long)Math.Round(duration / dt) - simulation.StepIndex);
        return (recorder.Spikes, population.Variable(Build(model).Membrane).ToArray());
    }

    private static (Simulator, NeuronPopulation, Recorder) Network(string model, double dt, double weight, int threads)
    {
        var (population, receptor, membrane) = Build(model);
        var v = population.Variable(membrane);
        var random = new RandomStream(11, "net", "initial-V");
        for (int i = 0; i < Size; i++)
        {
            var element = random.ForElement((uint)i);
            v[i] += -10.0 + 15.0 * element.NextDouble();
        }
        var pattern = new FixedProbability().Build(new FixedProbabilityParameters(0.01), Size, Size, true, new RandomStream(11, "net", "connectivity"));
        var weights = new double[pattern.SynapseCount];
        Array.Fill(weights, weight);
        var projection = new Projection("rec", "net", population, receptor, pattern, weights, 1.0);
        var simulation = new Simulator([population], [projection], dt, threads, minElementsForThreads: 0, minDeliveriesForThreads: 0);
        var recorder = new Recorder();
        simulation.AddObserver(recorder);
        return (simulation, population, recorder);
    }

    /// <summary>
    /// The cases above and below must cover every model experiment files can name: a model added to the
    /// catalogue without a line in <see cref="Build"/> fails here, naming it.
    /// </summary>
    [Test]
    public void ContractsCoverEveryRegisteredModel()
    {
        var catalogue = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<BioSim.Engine.Plugins.Catalogue>(
            BioSim.Workflows.BioSimServiceCollectionExtensions.BuildBioSimServices());
        foreach (string model in catalogue.Names<BioSim.Circuits.Populations.IPopulationModel>())
        {
            // A rate circuit neither spikes nor takes receptors, and its dense W makes 5000 units impractical: its
            // snapshot and thread contracts are in RateCircuitPopulationTests.
            if (model == "rate-circuit") continue;
            // A microcircuit takes no projections (its input is its samples): its snapshot and thread contracts are in
            // CatalogueContractTests and tests/Microcircuit.
            if (model == "microcircuit") continue;
            // A cable population's contracts (cells of several compartments, synapses as point processes) are in
            // CatalogueContractTests, which runs every registered model by name.
            if (model == "cable") continue;
            // Stimulus devices take no input, so they cannot form the recurrent network built here: their contracts are in
            // CatalogueContractTests (with examples that spike) and tests/Circuits/Stimuli.
            if (model is "spike-generator" or "poisson-generator" or "step-current-generator" or "noise-generator") continue;
            // Neurosynaptic cores are integer cores, not a NeuronPopulation with receptors: their thread and snapshot contracts
            // are in CatalogueContractTests and tests/Circuits/Cores (against a naive dense model, bit for bit).
            if (model == "neurosynaptic-cores") continue;
            Assert.DoesNotThrow(() => Build(model), $"model '{model}' is registered but has no case in the contract tests");
        }
    }

    /// <summary>Contract: a snapshot taken half-way and restored into a freshly built network continues bit for bit.</summary>
    [TestCase("lif", 0.1, 0.3, 60.0)]
    [TestCase("adex", 0.1, 0.5, 60.0)]
    [TestCase("hh", 0.01, 0.05, 10.0)]
    [TestCase("lif-cond", 0.1, 0.3, 60.0)]
    [TestCase("pyramidal", 0.1, 0.05, 60.0)]
    [TestCase("interneuron", 0.1, 0.05, 60.0)]
    public void SnapshotRestoreIsBitExact(string model, double dt, double weight, double duration)
    {
        var straight = Run(model, dt, weight, duration, 1);
        var resumed = Run(model, dt, weight, duration, 2, snapshotAt: Math.Round(duration / 2 / dt) * dt);
        Assert.That(straight.Spikes.Count, Is.GreaterThan(Size / 4));
        Assert.That(resumed.Spikes, Is.EqualTo(straight.Spikes));
        Assert.That(resumed.V, Is.EqualTo(straight.V));
    }

    [TestCase("lif", 0.1, 0.3, 100.0)]
    [TestCase("adex", 0.1, 0.5, 100.0)]
    [TestCase("hh", 0.01, 0.05, 20.0)]
    [TestCase("lif-cond", 0.1, 0.3, 100.0)]
    [TestCase("pyramidal", 0.1, 0.05, 100.0)]
    [TestCase("interneuron", 0.1, 0.05, 100.0)]
    public void SameSpikesWithOneAndTwoThreads(string model, double dt, double weight, double duration)
    {
        var one = Run(model, dt, weight, duration, 1);
        var two = Run(model, dt, weight, duration, 2);
        TestContext.Out.WriteLine($"{model}: {one.Spikes.Count} spikes");
        Assert.That(one.Spikes.Count, Is.GreaterThan(Size / 2));
        Assert.That(two.Spikes, Is.EqualTo(one.Spikes));
        Assert.That(two.V, Is.EqualTo(one.V));
    }
}
