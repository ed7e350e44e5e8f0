using System.Globalization;
using BioSim.Engine.Events;
using BioSim.Engine.Simulation;
using NUnit.Framework;

namespace BioSim.Tests.Circuits.Stimuli;

/// <summary>
/// The noise-current device (NEST's noise_generator): a Gaussian current held constant over intervals Δ = dt_noise, each
/// target with its own stream. Checked against the analytic stationary statistics of a LIF membrane without threshold,
/// and for the contracts: the same bits at any thread count, in grid and exact timing, and after a snapshot restore.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class NoiseCurrentTests
{
    private const double TauM = 10, EL = -70, Rm = 100;       // ms, mV, MΩ
    private const double Mean = 20, Std = 50, DtNoise = 0.5;  // pA, pA, ms

    private static string R(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    private static string NoiseOntoLif(int size, double duration, string timing = "grid", double dt = 0.1) => $$$"""
        {"name": "noise", "seed": 11, "dt": {{{R(dt)}}}, "duration": {{{R(duration)}}}, "timing": "{{{timing}}}",
         "populations": [
           {"name": "noise", "size": 1, "model": "noise-generator", "parameters": {"mean": {{{R(Mean)}}}, "std": {{{R(Std)}}}, "dt_noise": {{{R(DtNoise)}}}}},
           {"name": "cell", "size": {{{size}}}, "model": "lif", "parameters": {"tau_m": {{{R(TauM)}}}, "E_L": {{{R(EL)}}}, "V_th": 1000.0, "V_reset": -70.0, "t_ref": 0.0, "R_m": {{{R(Rm)}}}}}],
         "projections": [{"source": "noise", "target": "cell", "connectivity": {"rule": "all-to-all"}, "weight": 1.0}]}
        """;

    /// <summary>
    /// The stationary membrane statistics of τ_m dV/dt = E_L − V + R_m I(t), I constant over each interval Δ at i.i.d.
    /// N(μ, σ²) values: sampled at the interval boundaries, V_{k+1} = a V_k + (1 − a)(E_L + R_m I_k), a = e^{−Δ/τ_m}, so
    /// E[V] = E_L + R_m μ and Var[V] = (R_m σ)² (1 − a)/(1 + a) (the discrete Ornstein-Uhlenbeck process; here 0.625 mV²).
    /// 2000 neurons, each its own noise stream, sampled at t = 60, 120, 180, 240 ms (after a 6τ_m burn-in; samples 6τ_m
    /// apart are correlated by e^{−6} = 0.0025): 8000 nearly independent samples, so the sample variance has a relative
    /// standard error √(2/8000) = 1.6% and the mean a standard error of 0.009 mV. Tolerances are 4 standard errors: 6.4% on
    /// the variance, 0.036 mV on the mean. The lag-one correlation across neurons (stream independence) must be below
    /// 4/√2000 = 0.09 in magnitude.
    /// </summary>
    [Test]
    public void MembraneVarianceMatchesTheDiscreteOrnsteinUhlenbeckValue()
    {
        const int size = 2000;
        var built = StimulusExperiments.Build(NoiseOntoLif(size, 240));
        var sim = built.Simulator;
        var v = sim.Population("cell").Variable("V");
        var samples = new List<double>();
        double[] first = [];
        for (int block = 1; block <= 4; block++)
        {
            sim.Run(600);
            samples.AddRange(v);
            if (block == 1) first = (double[])v.Clone();
        }
        double mean = samples.Average();
        double variance = samples.Sum(x => (x - mean) * (x - mean)) / (samples.Count - 1);
        double a = Math.Exp(-DtNoise / TauM);
        double expectedVariance = Rm * 1e-3 * Std * (Rm * 1e-3 * Std) * (1 - a) / (1 + a);
        double expectedMean = EL + Rm * 1e-3 * Mean;
        double m0 = first.Average();
        double lag = 0, norm = 0;
        for (int i = 0; i + 1 < size; i++) lag += (first[i] - m0) * (first[i + 1] - m0);
        for (int i = 0; i < size; i++) norm += (first[i] - m0) * (first[i] - m0);
        double correlation = lag / norm;
        TestContext.Out.WriteLine($"mean {mean:F4} mV (expected {expectedMean}), variance {variance:F4} mV² (expected {expectedVariance:F4}), " +
            $"ratio {variance / expectedVariance:F4}; neighbour correlation {correlation:F4}");
        Assert.That(mean, Is.EqualTo(expectedMean).Within(0.036));
        Assert.That(variance / expectedVariance, Is.EqualTo(1.0).Within(0.064));
        Assert.That(Math.Abs(correlation), Is.LessThan(0.09));
    }

    /// <summary>The noise of each connection is a function of its interval index alone: grid and exact timing (dt_noise a
    /// multiple of dt, so the changes fall on step starts in both) give the same V to 1e-12 mV (the exact path adds each
    /// change's kernel R ΔI (1 − e^{−dt/τ}) instead of stepping with the new V_∞: rounding only).</summary>
    [Test]
    public void GridAndExactTimingAgreeWhenTheNoiseIntervalIsAMultipleOfTheStep()
    {
        var grid = StimulusExperiments.Build(NoiseOntoLif(50, 50));
        var exact = StimulusExperiments.Build(NoiseOntoLif(50, 50, "exact"));
        grid.Simulator.Run(500);
        exact.Simulator.Run(500);
        var a = grid.Simulator.Population("cell").Variable("V");
        var b = exact.Simulator.Population("cell").Variable("V");
        for (int i = 0; i < a.Length; i++) Assert.That(b[i], Is.EqualTo(a[i]).Within(1e-12), $"neuron {i}");
        Assert.That(a.Distinct().Count(), Is.EqualTo(a.Length), "every neuron has its own noise");
    }

    /// <summary>Steps and noise onto every model that takes current (lif, lif-cond, adex, hh), spiking: the state after 100 ms
    /// is the same bits on one and two threads (chunks of 1024 neurons; threads forced on), in grid and exact timing.</summary>
    [TestCase("grid")]
    [TestCase("exact")]
    public void SameBitsOnOneAndTwoThreads(string timing)
    {
        var one = StimulusExperiments.Build(AllModels(timing), threads: 1);
        var two = StimulusExperiments.Build(AllModels(timing), threads: 2);
        var spikesOne = new SpikeCounter();
        var spikesTwo = new SpikeCounter();
        one.Simulator.AddObserver(spikesOne);
        two.Simulator.AddObserver(spikesTwo);
        one.Simulator.Run(1000);
        two.Simulator.Run(1000);
        Assert.That(spikesOne.Total, Is.GreaterThan(100), "the currents make the neurons fire");
        AssertSameState(one.Simulator, two.Simulator);
        Assert.That(spikesTwo.Total, Is.EqualTo(spikesOne.Total));
    }

    /// <summary>A snapshot taken after 400 steps (queued current events, I_stim and the step count in it) restored into a freshly
    /// built network continues to the same bits as the network that was not interrupted, in grid and exact timing.</summary>
    [TestCase("grid")]
    [TestCase("exact")]
    public void RestoredSnapshotContinuesToTheSameBits(string timing)
    {
        var a = StimulusExperiments.Build(AllModels(timing));
        a.Simulator.Run(400);
        var snapshot = a.Simulator.Snapshot();
        a.Simulator.Run(600);
        var b = StimulusExperiments.Build(AllModels(timing));
        b.Simulator.Restore(snapshot);
        b.Simulator.Run(600);
        AssertSameState(a.Simulator, b.Simulator);
    }

    private static void AssertSameState(Simulator a, Simulator b)
    {
        foreach (var p in a.Populations)
        {
            foreach (string variable in p.VariableNames)
            {
                Assert.That(b.Population(p.Name).Variable(variable), Is.EqualTo(p.Variable(variable)), $"{p.Name}.{variable}");
            }
        }
    }

    private sealed class SpikeCounter : IStepObserver
    {
        public long Total { get; private set; }

        public void AfterStep(double t, IReadOnlyList<SpikeList> spikes)
        {
            foreach (var s in spikes) Total += s.Count;
        }
    }

    /// <summary>A noise device (per-target streams, weights drawn from a distribution) and a repeated step device with off-grid
    /// times onto 1500 lif, 600 lif-cond, 300 adex and 100 hh neurons (2500: three lif-sized chunks and more).</summary>
    internal static string AllModels(string timing) => $$$"""
        {"name": "currents", "seed": 5, "dt": 0.1, "duration": 100.0, "timing": "{{{timing}}}",
         "populations": [
           {"name": "noise", "size": 1, "model": "noise-generator", "parameters": {"mean": 100.0, "std": 150.0, "dt_noise": 0.3, "start": 2.05}},
           {"name": "steps", "size": 2, "model": "step-current-generator", "parameters": {"amplitude_times": [3.33, 17.771, 31.0], "amplitude_values": [250.0, 120.0, 0.0], "repeat_period": 40.0}},
           {"name": "lif", "size": 1500, "model": "lif", "parameters": {"tau_m": 10.0, "R_m": 100.0, "t_ref": 2.0}},
           {"name": "lifc", "size": 600, "model": "lif-cond", "parameters": {}},
           {"name": "adex", "size": 300, "model": "adex", "parameters": {}},
           {"name": "hh", "size": 100, "model": "hh", "parameters": {}}],
         "projections": [
           {"source": "noise", "target": "lif", "connectivity": {"rule": "all-to-all"}, "weight": {"uniform": [0.5, 1.5]}},
           {"source": "noise", "target": "lifc", "connectivity": {"rule": "all-to-all"}, "weight": 1.0},
           {"source": "noise", "target": "adex", "connectivity": {"rule": "all-to-all"}, "weight": 4.0},
           {"source": "noise", "target": "hh", "connectivity": {"rule": "all-to-all"}, "weight": 0.3},
           {"source": "steps", "target": "lif", "connectivity": {"rule": "fixed-probability", "p": 0.5}, "weight": 0.5},
           {"source": "steps", "target": "lifc", "connectivity": {"rule": "all-to-all"}, "weight": 1.0, "delay": 0.25},
           {"source": "steps", "target": "adex", "connectivity": {"rule": "all-to-all"}, "weight": 2.0},
           {"source": "steps", "target": "hh", "connectivity": {"rule": "all-to-all"}, "weight": 0.2}]}
        """;
}
