using BioSim.Circuits.Connectivity;
using BioSim.Circuits.Neurons.Lif;
using BioSim.Circuits.Projections;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;
using NUnit.Framework;

namespace BioSim.Tests.Engine;

[TestFixture, Category("Unit")]
public sealed class SimulationAllocationTests
{
    /// <summary>
    /// STYLE.md: no allocation inside a step. A recurrent LIF network (neuron update, in-step crossings, sorting,
    /// delivery with and without delay, ring advance) allocates nothing per step once its spike buffers have grown.
    /// </summary>
    [Test]
    public void NetworkStepDoesNotAllocate([Values(1, 2)] int threads)
    {
        var p = new LifParameters { tau_m = 20, E_L = -49, V_th = -50, V_reset = -60, t_ref = 5 };
        var population = new LifPopulation("exc", 3001, p, [new ReceptorSpec("exc", ReceptorSpec.ExpCurrent, 5), new ReceptorSpec("inh", ReceptorSpec.ExpCurrent, 10)]);
        var v = population.Variable("V");
        var init = new RandomStream(3, "exc", "initial/V");
        for (int i = 0; i < v.Length; i++) v[i] = -60 + 10 * init.ForElement((uint)i).NextDouble();
        var rule = new FixedProbability();
        var fast = new Projection("fast", "exc", population, "exc",
            rule.Build(new FixedProbabilityParameters(0.02), 3001, 3001, true, new RandomStream(3, "fast", "connectivity")), 0.5, 0.0);
        var slow = new Projection("slow", "exc", population, "inh",
            rule.Build(new FixedProbabilityParameters(0.02), 3001, 3001, true, new RandomStream(3, "slow", "connectivity")), -1.0, 1.5);
        // minElementsForThreads 0: two threads really step this small network together.
        using var sim = new Simulation([population], [fast, slow], 0.1, threads, minElementsForThreads: 0);
        sim.Run(500);
        // The calling thread's allocations (the workers' own loop is covered by StepTeamTests).
        long before = GC.GetAllocatedBytesForCurrentThread();
        sim.Run(1000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero);
    }
}
