using BioSim.Circuits.Neurons.LifCond;
using BioSim.Circuits.Synapses;
using NUnit.Framework;

namespace BioSim.Tests.Circuits;

[TestFixture, Category("Unit")]
public sealed class LifCondTests
{
    private static readonly ReceptorSpec Exc = new("exc", ReceptorSpec.ExpConductance, 5.0, 0.0);
    private static readonly ReceptorSpec Inh = new("inh", ReceptorSpec.ExpConductance, 10.0, -80.0);

    /// <summary>
    /// Reference: the linearised PSP. At rest, with g(t) = w e^{−t/τ_s}, U = V − E_L obeys
    /// C_m U′ = −g_L U + g(t)(E − E_L − U); dropping g·U (second order in w) gives the closed form
    /// U(t) = w (E − E_L)/C_m · (e^{−t/τ_m} − e^{−t/τ_s})/(1/τ_s − 1/τ_m).
    /// Tolerance: the dropped term changes U by at most max|U| · ∫g dt / C_m = U_max w τ_s/C_m
    /// (2.4e-4 mV here, 0.25 % of the 0.095 mV peak), plus 2e-5 mV for the second-order step at dt = 0.1 ms:
    /// <see cref="MembraneStepIsSecondOrder"/> measures 3e-4 mV at dt = 0.1 ms for inputs of 15-30 nS, and the
    /// error of this 0.1 nS input is ~200 times smaller. Measured worst deviation: 9.4e-5 mV.
    /// </summary>
    [Test]
    public void SmallConductancePulseGivesTheLinearisedPsp()
    {
        var p = new LifCondParameters();
        const double w = 0.1, arrival = 10.0, dt = 0.1;
        var population = new LifCondPopulation("n", 1, p, [Exc, Inh]);
        var result = NeuronDriver.Run(population, dt, 100.0, [new Arrival(arrival, "exc", w)], 1);
        double tauM = p.TauM, tauS = Exc.Tau, amplitude = w * (Exc.E!.Value - p.E_L) / p.C_m;
        double Linear(double s) => s < 0 ? 0 : amplitude * (Math.Exp(-s / tauM) - Math.Exp(-s / tauS)) / (1 / tauS - 1 / tauM);
        double peak = 0;
        for (int n = 0; n < result.Samples.Length; n++) peak = Math.Max(peak, Linear(n * dt - arrival));
        double tolerance = peak * w * tauS / p.C_m + 2e-5;
        double worst = 0;
        for (int n = 0; n < result.Samples.Length; n++)
        {
            double error = Math.Abs(result.Samples[n] - p.E_L - Linear(n * dt - arrival));
            worst = Math.Max(worst, error);
        }
        TestContext.Out.WriteLine($"peak {peak:G6} mV, worst deviation {worst:G3} mV, tolerance {tolerance:G3} mV");
        Assert.That(peak, Is.GreaterThan(0.09).And.LessThan(0.1));
        Assert.That(worst, Is.LessThan(tolerance));
        Assert.That(result.Spikes, Is.Empty);
    }

    /// <summary>
    /// Reference: g(t) = w e^{−(t − t_a)/τ}. Tolerance 1e-12 relative: each of the ≤ 1000 steps multiplies by
    /// a propagator rounded to half an ulp, so the accumulated relative error is below 1000 · 2.2e-16.
    /// </summary>
    [Test]
    public void ConductanceDecaysExactly()
    {
        const double w = 3.0, arrival = 2.0, dt = 0.1;
        var population = new LifCondPopulation("n", 1, new LifCondParameters(), [Exc, Inh]);
        var result = NeuronDriver.Run(population, dt, 100.0, [new Arrival(arrival, "inh", w)], 1, "g_inh");
        for (int n = 0; n < result.Samples.Length; n++)
        {
            double t = n * dt;
            // Sample n is the value at the start of step n; input arriving in step n is added during it.
            double expected = n <= 20 ? 0 : w * Math.Exp(-(t - arrival) / Inh.Tau);
            Assert.That(result.Samples[n], Is.EqualTo(expected).Within(1e-12 * w), $"t = {t} ms");
        }
    }

    /// <summary>
    /// Reference: with a constant current and no synaptic input the membrane is linear and autonomous, so
    /// V(t) = V_∞ + (V_0 − V_∞) e^{−t/τ_m}: the first spike is at τ_m ln((V_∞ − E_L)/(V_∞ − V_th)) and the
    /// interval is t_ref + τ_m ln((V_∞ − V_reset)/(V_∞ − V_th)). The step is exact here and the crossing is
    /// solved in closed form, so only rounding remains: tolerance 1e-9 ms.
    /// </summary>
    [Test]
    public void ConstantCurrentGivesTheClosedFormSpikeTimes()
    {
        var p = new LifCondParameters { I_e = 150.0, V_reset = -55.0 };   // V_∞ = E_L + I_e/g_L = −45 mV
        double vInf = p.E_L + p.I_e / p.g_L;
        double first = p.TauM * Math.Log((vInf - p.E_L) / (vInf - p.V_th));
        double interval = p.t_ref + p.TauM * Math.Log((vInf - p.V_reset) / (vInf - p.V_th));
        var result = NeuronDriver.Run(new LifCondPopulation("n", 1, p, [Exc]), 0.1, 200.0, [], 10);
        Assert.That(result.Spikes, Has.Count.EqualTo((int)((200.0 - first) / interval) + 1));
        for (int k = 0; k < result.Spikes.Count; k++) Assert.That(result.Spikes[k], Is.EqualTo(first + k * interval).Within(1e-9));
    }

    /// <summary>
    /// Reference: the same scheme at dt = 0.0005 ms (its error there is ~(0.0005/0.025)² = 4e-4 of the finest
    /// tested error). The averaged-conductance step is second order; the fitted slope of log error against
    /// log dt over dt = 0.2 … 0.025 ms must lie in [1.8, 2.2].
    /// </summary>
    [Test]
    public void MembraneStepIsSecondOrder()
    {
        var p = new LifCondParameters { V_th = 0.0 };   // strong input, no spike
        Arrival[] inputs = [new(1.0, "exc", 20.0), new(3.0, "inh", 30.0), new(4.0, "exc", 15.0)];
        double Final(double dt) => NeuronDriver.Run(new LifCondPopulation("n", 1, p, [Exc, Inh]), dt, 8.0, inputs, (int)Math.Round(8.0 / dt)).Samples[^1];
        double reference = Final(0.0005);
        double[] dts = [0.2, 0.1, 0.05, 0.025];
        var logDt = dts.Select(dt => Math.Log(dt)).ToArray();
        var logError = dts.Select(dt => Math.Log(Math.Abs(Final(dt) - reference))).ToArray();
        double mx = logDt.Average(), my = logError.Average();
        double slope = logDt.Zip(logError, (x, y) => (x - mx) * (y - my)).Sum() / logDt.Sum(x => (x - mx) * (x - mx));
        TestContext.Out.WriteLine($"errors: {string.Join(", ", logError.Select(e => Math.Exp(e).ToString("G3")))}; order {slope:F3}");
        Assert.That(slope, Is.InRange(1.8, 2.2));
    }

    /// <summary>During the refractory period V stays at V_reset while arriving input still builds the conductance.</summary>
    [Test]
    public void RefractoryNeuronHoldsResetButIntegratesConductance()
    {
        var p = new LifCondParameters { I_e = 150.0, t_ref = 5.0 };
        var population = new LifCondPopulation("n", 1, p, [Exc]);
        var result = NeuronDriver.Run(population, 0.1, 24.0, [new Arrival(23.0, "exc", 2.0)], 1);
        double first = result.Spikes[0];
        Assert.That(first, Is.EqualTo(p.TauM * Math.Log(15.0 / 5.0)).Within(1e-9));
        var g = population.Variable("g_exc")[0];
        Assert.That(g, Is.EqualTo(2.0 * Math.Exp(-1.0 / 5.0)).Within(1e-12));
        Assert.That(population.Variable("V")[0], Is.EqualTo(p.V_reset));
    }
}
