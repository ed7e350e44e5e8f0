using BioSim.Circuits.Neurons.AdEx;
using BioSim.Circuits.Neurons.HodgkinHuxley;
using BioSim.Circuits.Neurons.LifCond;
using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Events;
using BioSim.Engine.Simulation;
using NUnit.Framework;

namespace BioSim.Tests.Circuits;

/// <summary>A state that stops being finite is reported with population, variable, neuron index and time.</summary>
[TestFixture, Category("Unit")]
public sealed class NeuronDivergenceTests
{
    private static IEnumerable<TestCaseData> Populations()
    {
        var receptors = new[] { new ReceptorSpec("exc", ReceptorSpec.ExpConductance, 5.0, 0.0) };
        yield return new TestCaseData(new AdExPopulation("L5 adex", 8, new AdExParameters(), receptors), 0.1).SetArgDisplayNames("adex");
        yield return new TestCaseData(new HhPopulation("L5 hh", 8, new HhParameters(), receptors), 0.01).SetArgDisplayNames("hh");
        yield return new TestCaseData(new LifCondPopulation("L5 lif-cond", 8, new LifCondParameters(), receptors), 0.1).SetArgDisplayNames("lif-cond");
    }

    [TestCaseSource(nameof(Populations))]
    public void NonFiniteInputRaisesDivergedWithWhereAndWhen(NeuronPopulation population, double dt)
    {
        population.Prepare(dt, 0);
        var spikes = new SpikeList();
        for (int n = 0; n < 10; n++)
        {
            if (n == 5) population.Input("exc").Current[3] = double.NaN;
            if (n < 5)
            {
                population.Advance(n * dt, dt, 0, population.Size, spikes);
                population.EndStep();
                continue;
            }
            var error = Assert.Throws<SimulationDivergedException>(() => population.Advance(5 * dt, dt, 0, population.Size, spikes))!;
            Assert.That(error.Population, Is.EqualTo(population.Name));
            Assert.That(error.Variable, Is.EqualTo("V"));
            Assert.That(error.Index, Is.EqualTo(3));
            Assert.That(error.Time, Is.InRange(5 * dt, 6 * dt + 1e-12));
            Assert.That(error.Message, Does.Contain(population.Name).And.Contain("V[3]"));
            return;
        }
    }
}
