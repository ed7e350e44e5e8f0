using BioSim.Circuits.Neurons.Dendritic;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Simulation;
using NUnit.Framework;

namespace BioSim.Tests.Circuits;

/// <summary>
/// The reduced neurons of the dendritic microcircuit against their closed forms (Urbanczik &amp; Senn 2014,
/// eq. 1; Sacramento et al. 2018, eqs. 1–3): with inputs held constant the soma relaxes exponentially with
/// τ = C/G to the conductance-weighted mean of its reversal and dendritic potentials, which the exact
/// integrator reproduces to round-off.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class DendriticNeuronTests
{
    [Test]
    public void PyramidalSomaRelaxesToTheConductanceWeightedMean()
    {
        var p = new PyramidalParameters();
        var pop = new PyramidalPopulation("pyr", 2, p, []);
        var sim = new Simulator([pop], [], 0.1);
        pop.Drive("basal")[0] = 2.0;
        pop.Drive("apical")[0] = -1.0;
        pop.Drive("basal")[1] = 2.0;
        pop.Drive("apical")[1] = -1.0;
        pop.NudgingExcitatory[1] = 0.5;
        pop.NudgingInhibitory[1] = 0.2;
        sim.Run(50);
        double g0 = p.g_L + p.g_B + p.g_A;
        double star0 = (p.g_B * 2.0 + p.g_A * -1.0) / g0;
        Assert.That(pop.Variable("U")[0], Is.EqualTo(star0 * (1 - Math.Exp(-5.0 * g0 / p.C))).Within(1e-12));
        double g1 = g0 + 0.7;
        double star1 = (p.g_B * 2.0 + p.g_A * -1.0 + 0.5 * p.E_E + 0.2 * p.E_I) / g1;
        Assert.That(pop.Variable("U")[1], Is.EqualTo(star1 * (1 - Math.Exp(-5.0 * g1 / p.C))).Within(1e-12));
        Assert.That(pop.BasalPrediction(2.0), Is.EqualTo(2.0 / 1.9).Within(1e-15));
        Assert.That(pop.Variable("rate")[0], Is.EqualTo(100 * Math.Log(1 + Math.Exp(pop.Variable("U")[0]))).Within(1e-9));
    }

    [Test]
    public void InterneuronSomaFollowsItsDendrite()
    {
        var p = new InterneuronParameters { phi = "sigmoid" };
        var pop = new InterneuronPopulation("int", 1, p, []);
        var sim = new Simulator([pop], [], 0.05);
        pop.Drive("dendrite")[0] = 1.5;
        sim.Run(2000);
        Assert.That(pop.Variable("U")[0], Is.EqualTo(1.5 * p.g_D / (p.g_L + p.g_D)).Within(1e-12));
        Assert.That(pop.Variable("rate")[0], Is.EqualTo(100 / (1 + 0.5 * Math.Exp(5 * (1 - pop.Variable("U")[0])))).Within(1e-9));
    }

    /// <summary>A spike of weight w on an apical receptor adds w e^{−t/τ} to the apical potential.</summary>
    [Test]
    public void SpikingInputIsFilteredByTheReceptorKernel()
    {
        var pop = new PyramidalPopulation("pyr", 1, new PyramidalParameters(), [new ReceptorSpec("apical_exc", ReceptorSpec.ExpCurrent, 5.0)]);
        var sim = new Simulator([pop], [], 0.1);
        pop.Input("apical_exc").Current[0] = 0.8;
        sim.Step();
        Assert.That(pop.Variable("V_apical")[0], Is.EqualTo(0.8).Within(1e-15));
        sim.Run(99);
        Assert.That(pop.Variable("V_apical")[0], Is.EqualTo(0.8 * Math.Exp(-9.9 / 5.0)).Within(1e-12));
    }

    [Test]
    public void ReceptorsMustNameTheirCompartment()
    {
        var e = Assert.Throws<ArgumentException>(() => new PyramidalPopulation("pyr", 1, new PyramidalParameters(), [new ReceptorSpec("exc", ReceptorSpec.ExpCurrent, 5.0)]))!;
        Assert.That(e.Message, Does.Contain("receptor 'exc'").And.Contain("basal, apical, soma"));
        var bad = Assert.Throws<ArgumentException>(() => new InterneuronPopulation("int", 1, new InterneuronParameters { g_D = -1 }, []))!;
        Assert.That(bad.Message, Does.Contain("g_D: must be a non-negative"));
        Assert.That(new PyramidalParameters { phi = "tanh" }.Validate(), Does.StartWith("phi: 'tanh'"));
    }

    /// <summary>
    /// Poisson output: 200 neurons at U = 0 (softplus: φ = ln 2, rate 69.3 Hz) for 1 s at dt 0.1 ms give
    /// N·steps·(1 − e^{−r dt}) ≈ 13 815 spikes on average (per-step probability 1 − e^{−r dt}); the count is
    /// within 4 standard deviations (√13 815 ≈ 118). The same seed gives the same spikes, another seed others.
    /// </summary>
    [Test]
    public void PoissonSpikesHaveTheRateAndDependOnlyOnTheSeed()
    {
        static List<(int, double)> Run(ulong seed)
        {
            var pop = new PyramidalPopulation("pyr", 200, new PyramidalParameters(), [], seed);
            var sim = new Simulator([pop], [], 0.1, threads: 2);
            var all = new List<(int, double)>();
            for (int n = 0; n < 10000; n++)
            {
                sim.Step();
                var s = sim.LastSpikes[0];
                for (int k = 0; k < s.Count; k++) all.Add((s.Ids[k], s.Times[k]));
            }
            return all;
        }
        var a = Run(1);
        double rate = 100 * Math.Log(2);
        double expected = 200 * 10000 * (1 - Math.Exp(-rate * 1e-4));
        TestContext.Out.WriteLine($"spikes {a.Count}, expected {expected:F0}");
        Assert.That(a.Count, Is.EqualTo(expected).Within(4 * Math.Sqrt(expected)));
        Assert.That(Run(1), Is.EqualTo(a));
        Assert.That(Run(2), Is.Not.EqualTo(a));
    }
}
