using System.Globalization;
using System.Text.Json;
using BioSim.Engine.Events;
using BioSim.Engine.Simulation;
using BioSim.Tests.Validation;
using NUnit.Framework;

namespace BioSim.Tests.Circuits.Stimuli;

/// <summary>
/// lif, adex and hh driven by a step-current-generator (built from an experiment file: device, projection with weight 1,
/// "I_stim" into the membrane) against Brian2 2.5.1 with the same schedule: tests/data/brian2_step_current.json, written by
/// tests/reference/brian2_step_current.py (run with /usr/bin/python3; the file records the command, versions and date).
/// Brian2 holds the current constant over each of its steps (run_regularly at the step start), so a change at T on the
/// 0.1 ms grid is taken from the step that starts at T, as BioSim's grid timing does; every change time lies on the grids
/// of the dt values tested, so exact timing must give the same result. Brian2 reports a spike at the start of the step
/// in which V crossed, so its crossing lies in [t, t + dt_ref]: the tests compare with the middle of that interval and
/// add dt_ref/2 to the tolerance. V is compared every 0.1 ms except near spikes, where a time shift δ moves V by |dV/dt|·δ.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class StepCurrentBrian2Tests
{
    private static JsonElement Case(string name)
    {
        using var document = ReferenceScripts.Committed("brian2_step_current.json");
        return document.RootElement.GetProperty("cases").GetProperty(name).Clone();
    }

    private static double[] Doubles(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetDouble())];

    private static string R(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Runs <paramref name="model"/> with <paramref name="parameters"/> under the case's schedule; V every sample_dt.</summary>
    private static (List<double> Spikes, List<double> V) Run(JsonElement c, string model, string parameters, double dt, string timing)
    {
        double duration = c.GetProperty("duration_ms").GetDouble(), sampleDt = c.GetProperty("sample_dt_ms").GetDouble();
        string json = $$$"""
            {"name": "brian2-steps", "seed": 1, "dt": {{{R(dt)}}}, "duration": {{{R(duration)}}}, "timing": "{{{timing}}}",
             "populations": [
               {"name": "clamp", "size": 1, "model": "step-current-generator",
                "parameters": {"amplitude_times": {{{c.GetProperty("times_ms").GetRawText()}}}, "amplitude_values": {{{c.GetProperty("amplitudes_pA").GetRawText()}}}}},
               {"name": "cell", "size": 1, "model": "{{{model}}}", "parameters": {{{parameters}}}}],
             "projections": [{"source": "clamp", "target": "cell", "connectivity": {"rule": "one-to-one"}, "weight": 1.0}]}
            """;
        var built = StimulusExperiments.Build(json);
        var sim = built.Simulator;
        var v = sim.Population("cell").Variable("V");
        var recorder = new Sampler(v, (int)Math.Round(sampleDt / dt));
        sim.AddObserver(recorder);
        var log = new SpikeLog(1);
        sim.AddObserver(log);
        recorder.V.Add(v[0]);
        sim.Run((long)Math.Round(duration / dt));
        return (log.Trains(1)[0], recorder.V);
    }

    private sealed class Sampler(double[] v, int every) : IStepObserver
    {
        private long _steps;
        public List<double> V { get; } = [];

        public void AfterStep(double t, IReadOnlyList<SpikeList> spikes)
        {
            if (++_steps % every == 0) V.Add(v[0]);
        }
    }

    private static void Compare(string name, JsonElement c, (List<double> Spikes, List<double> V) ours, double spikeTolerance, double vTolerance,
        double excludeBefore, double excludeAfter, string label)
    {
        var reference = Doubles(c.GetProperty("spike_times_ms"));
        double referenceDt = c.GetProperty("dt_ms").GetDouble(), sampleDt = c.GetProperty("sample_dt_ms").GetDouble();
        Assert.That(ours.Spikes, Has.Count.EqualTo(reference.Length), $"{label}: spike count; ours: {string.Join(", ", ours.Spikes.Select(s => s.ToString("F4", CultureInfo.InvariantCulture)))}");
        double worstSpike = 0;
        for (int k = 0; k < reference.Length; k++) worstSpike = Math.Max(worstSpike, Math.Abs(ours.Spikes[k] - (reference[k] + referenceDt / 2)));
        var v = Doubles(c.GetProperty("V_mV"));
        double worstV = 0;
        int compared = 0;
        for (int n = 0; n < Math.Min(v.Length, ours.V.Count); n++)
        {
            double t = n * sampleDt;
            if (reference.Any(s => t > s - excludeBefore && t < s + excludeAfter)) continue;
            worstV = Math.Max(worstV, Math.Abs(ours.V[n] - v[n]));
            compared++;
        }
        TestContext.Out.WriteLine($"{label}: {reference.Length} spikes, worst spike-time difference {worstSpike:G3} ms, worst |ΔV| {worstV:G3} mV over {compared} samples");
        Assert.That(compared, Is.GreaterThan(v.Length / 2), label);
        Assert.That(worstSpike, Is.LessThanOrEqualTo(spikeTolerance + referenceDt / 2), $"{label}: spike times");
        Assert.That(worstV, Is.LessThanOrEqualTo(vTolerance), $"{label}: V");
    }

    /// <summary>
    /// LIF (closed-form propagators, crossings located exactly) against Brian2 exponential_euler at dt = 0.001 ms (exact
    /// for a constant current over its step), 12 spikes over four current steps. What is left is Brian2's own 1 µs grid,
    /// measured against the closed form of StepCurrentTests (which BioSim meets to 1e-9 ms): its refractory period ends
    /// one 1 µs step late, so a regular train drifts by ~0.84 µs a spike (0.0053 ms by the 12th spike), and it takes the
    /// change at 70 ms one 1 µs step late (70/0.1 rounds down), which moves the next spike, 2 ms later on a slow approach
    /// to threshold (V_∞ − V_th = 2 mV), by 0.0046 ms. Measured here 0.0053 ms and 0.0144 mV (V next to that drift).
    /// Tolerances: 0.008 ms beyond dt_ref/2 and 0.025 mV, V not compared from 0.2 ms before to t_ref + 0.2 ms after a spike.
    /// </summary>
    [TestCase(0.1, "grid")]
    [TestCase(0.1, "exact")]
    [TestCase(0.01, "exact")]
    public void LifMatchesBrian2(double dt, string timing)
    {
        var c = Case("lif_steps");
        var p = c.GetProperty("params");
        string parameters = $"{{\"tau_m\": {p.GetProperty("tau_m")}, \"E_L\": {p.GetProperty("E_L")}, \"V_th\": {p.GetProperty("V_th")}, \"V_reset\": {p.GetProperty("V_reset")}, \"t_ref\": {p.GetProperty("t_ref")}, \"R_m\": {p.GetProperty("R_m")}}}";
        Compare("lif_steps", c, Run(c, "lif", parameters, dt, timing), 0.008, 0.025, 0.2, p.GetProperty("t_ref").GetDouble() + 0.2, $"lif {timing} dt = {dt}");
    }

    /// <summary>
    /// AdEx (NEST aeif defaults) against Brian2 rk4 at dt = 0.001 ms, 7 adapting spikes over a 700 pA and a 1000 pA step:
    /// the tolerances of the I_e test (Brian2ReferenceTests.AdExMatchesBrian2, same model and reference integrator):
    /// 0.01 ms / 0.02 mV at dt = 0.1 ms and 0.005 ms / 0.01 mV at dt = 0.01 ms, V not compared from 1 ms before to 0.5 ms
    /// after a spike (dV/dt reaches 1e4 mV/ms there).
    /// </summary>
    [TestCase(0.1, "grid", 0.01, 0.02)]
    [TestCase(0.1, "exact", 0.01, 0.02)]
    [TestCase(0.01, "grid", 0.005, 0.01)]
    public void AdExMatchesBrian2(double dt, string timing, double spikeTolerance, double vTolerance)
    {
        var c = Case("adex_steps");
        var p = c.GetProperty("params");
        string parameters = "{" + string.Join(", ", p.EnumerateObject().Select(x => $"\"{x.Name}\": {x.Value.GetRawText()}")) + "}";
        Compare("adex_steps", c, Run(c, "adex", parameters, dt, timing), spikeTolerance, vTolerance, 1.0, 0.5, $"adex {timing} dt = {dt}");
    }

    /// <summary>
    /// HH (hh.mod kinetics) against Brian2 exponential_euler at the same dt = 0.01 ms, the scheme of BioSim's hh step, with
    /// the current constant over each step in both: V agrees to rounding (tolerance 1e-6 mV everywhere, as the I_e test),
    /// and each spike lies inside Brian2's crossing step (dt_ref/2 around its middle).
    /// </summary>
    [TestCase("grid")]
    [TestCase("exact")]
    public void HhMatchesBrian2(string timing)
    {
        var c = Case("hh_steps");
        double area = c.GetProperty("params").GetProperty("area_um2").GetDouble();
        Compare("hh_steps", c, Run(c, "hh", $"{{\"area\": {R(area)}}}", 0.01, timing), 0, 1e-6, 0, 0, $"hh {timing}");
    }
}
