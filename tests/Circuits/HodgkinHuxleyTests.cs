using BioSim.Circuits.Neurons.HodgkinHuxley;
using BioSim.Circuits.Synapses;
using NUnit.Framework;

namespace BioSim.Tests.Circuits;

[TestFixture, Category("Unit")]
public sealed class HodgkinHuxleyTests
{
    /// <summary>
    /// Reference: the resting potential of NEURON's hh mechanism is the root of the steady-state current
    /// ḡ_Na m_∞³h_∞ (V − E_Na) + ḡ_K n_∞⁴ (V − E_K) + g_L (V − E_L) = 0 (found here by bisection, −64.97 mV),
    /// which NEURON documents as "about −65 mV" at 6.3 °C. Exponential Euler keeps equilibria exactly, and
    /// 300 ms is over 30 of the slowest relaxation times (τ_n ≈ 5.5 ms, τ_m and τ_h shorter) from −65 mV, so
    /// the distance left is far below the 1e-6 mV tolerance.
    /// </summary>
    [Test]
    public void RestsAtTheSteadyStateRootWithoutInput()
    {
        var p = new HhParameters();
        double rest = SteadyStateRoot(p);
        TestContext.Out.WriteLine($"steady-state root: {rest:F6} mV");
        Assert.That(rest, Is.EqualTo(-65.0).Within(0.1));
        var population = new HhPopulation("hh", 1, p, []);
        var result = NeuronDriver.Run(population, 0.01, 300.0, [], 1000);
        Assert.That(result.Spikes, Is.Empty);
        Assert.That(result.Samples[^1], Is.EqualTo(rest).Within(1e-6));
    }

    /// <summary>
    /// A 10 µA/cm² step (125.7 pA on the default 1256.6 µm² soma) is well above the HH rheobase for repetitive
    /// firing (about 6.2 µA/cm² at 6.3 °C; Rinzel &amp; Miller 1980): the neuron fires periodically with
    /// overshooting spikes. Spike-count and timing agreement with Brian2 is checked in Brian2ReferenceTests.
    /// </summary>
    [Test]
    public void FiresRepetitivelyOnACurrentStep()
    {
        var p = new HhParameters { I_e = 10.0 * new HhParameters().area * 1e-2 };   // µA/cm² × µm² × 1e-2 = pA
        Assert.That(p.I_e, Is.EqualTo(125.66).Within(0.01));
        var population = new HhPopulation("hh", 1, p, []);
        var result = NeuronDriver.Run(population, 0.01, 100.0, [], 1);
        Assert.That(result.Spikes, Has.Count.GreaterThanOrEqualTo(5));
        Assert.That(result.Samples.Max(), Is.GreaterThan(30.0));
        var intervals = result.Spikes.Zip(result.Spikes.Skip(1), (a, b) => b - a).Skip(1).ToArray();
        Assert.That(intervals.Max() - intervals.Min(), Is.LessThan(0.1), "periodic firing after the first interval");
    }

    /// <summary>Gates stay in [0, 1] under exponential Euler even at a coarse step with a strong conductance input.</summary>
    [Test]
    public void GatesStayInTheUnitInterval()
    {
        var population = new HhPopulation("hh", 1, new HhParameters(), [new ReceptorSpec("exc", ReceptorSpec.ExpConductance, 2.0, 0.0)]);
        population.Prepare(0.1, 0);
        var spikes = new BioSim.Engine.Events.SpikeList();
        for (int n = 0; n < 1000; n++)
        {
            if (n % 50 == 0) population.Input("exc").Current[0] += 50.0;
            population.Advance(n * 0.1, 0.1, 0, 1, spikes);
            population.EndStep();
            foreach (var gate in new[] { "m", "h", "n" }) Assert.That(population.Variable(gate)[0], Is.InRange(0.0, 1.0));
        }
        Assert.That(spikes.Count, Is.GreaterThan(0));
    }

    /// <summary>hh.mod's vtrap removes the 0/0 of α_m at V = −40 mV and of α_n at V = −55 mV; the limit is y.</summary>
    [Test]
    public void VtrapIsContinuousAtItsSingularPoint()
    {
        Assert.That(HhKinetics.Vtrap(0, 10), Is.EqualTo(10.0));
        Assert.That(HhKinetics.Vtrap(1e-6, 10), Is.EqualTo(10.0 * (1 - 1e-7 / 2)).Within(1e-15));
        Assert.That(HhKinetics.Vtrap(1e-3, 10), Is.EqualTo(1e-3 / (Math.Exp(1e-4) - 1)).Within(1e-9));
    }

    internal static double SteadyStateRoot(HhParameters p)
    {
        double Current(double v)
        {
            HhKinetics.Rates(v, out double am, out double bm, out double ah, out double bh, out double an, out double bn);
            double m = am / (am + bm), h = ah / (ah + bh), n = an / (an + bn);
            return p.gnabar * m * m * m * h * (v - p.ena) + p.gkbar * n * n * n * n * (v - p.ek) + p.gl * (v - p.el);
        }
        double lo = -80, hi = -55;
        Assert.That(Current(lo), Is.LessThan(0));
        Assert.That(Current(hi), Is.GreaterThan(0));
        for (int k = 0; k < 100; k++)
        {
            double mid = 0.5 * (lo + hi);
            if (Current(mid) < 0) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }
}
