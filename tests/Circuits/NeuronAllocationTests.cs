using BioSim.Circuits.Neurons.AdEx;
using BioSim.Circuits.Neurons.HodgkinHuxley;
using BioSim.Circuits.Neurons.LifCond;
using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Events;
using NUnit.Framework;

namespace BioSim.Tests.Circuits;

/// <summary>The per-step work of each model, spikes and sub-steps included, allocates nothing once warmed up.</summary>
[TestFixture, Category("Unit")]
public sealed class NeuronAllocationTests
{
    private static IEnumerable<TestCaseData> Populations()
    {
        var receptors = new[] { new ReceptorSpec("exc", ReceptorSpec.ExpConductance, 5.0, 0.0), new ReceptorSpec("cur", ReceptorSpec.ExpCurrent, 2.0) };
        yield return new TestCaseData(new AdExPopulation("adex", 64, new AdExParameters { I_e = 800 }, receptors), 0.1).SetArgDisplayNames("adex");
        yield return new TestCaseData(new HhPopulation("hh", 64, new HhParameters { I_e = 126 }, receptors), 0.01).SetArgDisplayNames("hh");
        yield return new TestCaseData(new LifCondPopulation("lif-cond", 64, new LifCondParameters { I_e = 150 }, receptors), 0.1).SetArgDisplayNames("lif-cond");
    }

    [TestCaseSource(nameof(Populations))]
    public void StepsDoNotAllocate(NeuronPopulation population, double dt)
    {
        population.Prepare(dt, 0);
        var spikes = new SpikeList(1024);
        void Steps(int from, int count)
        {
            for (int n = from; n < from + count; n++)
            {
                population.Input("exc").Current[n % 64] += 1.0;
                spikes.Clear();
                population.Advance(n * dt, dt, 0, population.Size, spikes);
                population.EndStep();
            }
        }
        Steps(0, 200);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Steps(200, 2000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero);
    }
}
