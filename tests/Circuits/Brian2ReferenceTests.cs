using System.Text.Json;
using BioSim.Circuits.Neurons.AdEx;
using BioSim.Circuits.Neurons.HodgkinHuxley;
using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;
using BioSim.Tests.Validation;
using NUnit.Framework;

namespace BioSim.Tests.Circuits;

/// <summary>
/// "adex" and "hh" against Brian2 2.5.1: tests/data/brian2_adex_hh.json, written by
/// tests/reference/brian2_adex_hh.py (run with /usr/bin/python3; the file records the command, versions
/// and date). Brian2 reports a spike at the start of the step in which V crossed, so its crossing lies
/// in [t, t + dt_ref]; the tests compare against the middle of that interval and add dt_ref/2 to the tolerance.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class Brian2ReferenceTests
{
    private static JsonElement Case(string name)
    {
        string? directory = TestContext.CurrentContext.TestDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "tests", "data", "brian2_adex_hh.json")))
        {
            directory = Path.GetDirectoryName(directory);
        }
        if (directory is null) throw new FileNotFoundException("tests/data/brian2_adex_hh.json not found above the test directory.");
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "tests", "data", "brian2_adex_hh.json")));
        return document.RootElement.GetProperty("cases").GetProperty(name).Clone();
    }

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    private static (double[] Reference, DriverResult Ours, double ReferenceDt) Simulate(string name, double dt, Func<JsonElement, IReadOnlyList<ReceptorSpec>, NeuronPopulation> create)
    {
        var c = Case(name);
        var receptors = new List<ReceptorSpec>();
        var inputs = new List<Arrival>();
        if (c.GetProperty("receptor").ValueKind == JsonValueKind.Object)
        {
            var r = c.GetProperty("receptor");
            receptors.Add(new ReceptorSpec("exc", r.GetProperty("model").GetString()!, r.GetProperty("tau_ms").GetDouble(), r.GetProperty("E_mV").GetDouble()));
            double weight = c.GetProperty("weight_nS").GetDouble();
            foreach (double t in Doubles(c.GetProperty("arrivals_ms"))) inputs.Add(new Arrival(t, "exc", weight));
        }
        double sampleDt = c.GetProperty("sample_dt_ms").GetDouble();
        var population = create(c, receptors);
        var ours = NeuronDriver.Run(population, dt, c.GetProperty("duration_ms").GetDouble(), inputs, (int)Math.Round(sampleDt / dt));
        return (Doubles(c.GetProperty("spike_times_ms")), ours, c.GetProperty("dt_ms").GetDouble());
    }

    private static (double Spike, double V) Compare(string name, double dt, double[] referenceSpikes, DriverResult ours, double referenceDt,
        double spikeTolerance, double vTolerance, double excludeBefore, double excludeAfter)
    {
        var c = Case(name);
        Assert.That(ours.Spikes, Has.Count.EqualTo(referenceSpikes.Length), $"spike count; ours: {string.Join(", ", ours.Spikes.Select(s => s.ToString("F4")))}");
        double worstSpike = 0;
        for (int k = 0; k < referenceSpikes.Length; k++)
        {
            worstSpike = Math.Max(worstSpike, Math.Abs(ours.Spikes[k] - (referenceSpikes[k] + referenceDt / 2)));
        }
        var v = Doubles(c.GetProperty("V_mV"));
        double sampleDt = c.GetProperty("sample_dt_ms").GetDouble();
        Assert.That(ours.Samples.Length, Is.GreaterThanOrEqualTo(v.Length - 1));
        double worstV = 0;
        int compared = 0;
        for (int n = 0; n < Math.Min(v.Length, ours.Samples.Length); n++)
        {
            double t = n * sampleDt;
            if (referenceSpikes.Any(s => t > s - excludeBefore && t < s + excludeAfter)) continue;
            worstV = Math.Max(worstV, Math.Abs(ours.Samples[n] - v[n]));
            compared++;
        }
        TestContext.Out.WriteLine($"{name} at dt = {dt} ms: {referenceSpikes.Length} spikes, worst spike-time difference {worstSpike:G3} ms, " +
            $"worst |ΔV| {worstV:G3} mV over {compared} samples");
        Assert.That(compared, Is.GreaterThan(v.Length / 2));
        Assert.That(worstSpike, Is.LessThanOrEqualTo(spikeTolerance + referenceDt / 2));
        Assert.That(worstV, Is.LessThanOrEqualTo(vTolerance));
        return (worstSpike, worstV);
    }

    private static AdExPopulation AdEx(JsonElement c, IReadOnlyList<ReceptorSpec> receptors)
    {
        var p = c.GetProperty("params");
        var parameters = new AdExParameters
        {
            C_m = p.GetProperty("C_m").GetDouble(), g_L = p.GetProperty("g_L").GetDouble(), E_L = p.GetProperty("E_L").GetDouble(),
            V_T = p.GetProperty("V_T").GetDouble(), Delta_T = p.GetProperty("Delta_T").GetDouble(), tau_w = p.GetProperty("tau_w").GetDouble(),
            a = p.GetProperty("a").GetDouble(), b = p.GetProperty("b").GetDouble(), V_reset = p.GetProperty("V_reset").GetDouble(),
            V_peak = p.GetProperty("V_peak").GetDouble(), t_ref = p.GetProperty("t_ref").GetDouble(), I_e = c.GetProperty("I_e_pA").GetDouble(),
        };
        Assert.That(parameters with { I_e = 0 }, Is.EqualTo(new AdExParameters()), "the reference uses the NEST defaults");
        return new AdExPopulation("adex", 1, parameters, receptors);
    }

    private static HhPopulation Hh(JsonElement c, IReadOnlyList<ReceptorSpec> receptors)
    {
        var p = c.GetProperty("params");
        var parameters = new HhParameters { area = p.GetProperty("area_um2").GetDouble(), I_e = c.GetProperty("I_e_pA").GetDouble() };
        Assert.That(parameters with { I_e = 0 }, Is.EqualTo(new HhParameters()), "the reference uses the hh.mod defaults");
        return new HhPopulation("hh", 1, parameters, receptors);
    }

    /// <summary>
    /// The committed file is what Brian2 writes today. The full script takes minutes (numpy target, rk4 at 1 µs for
    /// 350 ms of AdEx), so the test reruns a slice with the same code: "adex_step", "hh_step" and "hh_cond" cut to their
    /// first 25 ms (one AdEx spike, two HH step spikes, the HH synaptic volley and its spike; ~15 s), whose traces and
    /// spikes are the leading part of the full run's. Parameters, inputs and spike times must be equal (spikes sit on
    /// the reference's step grid, so a difference would be a whole step); traces may differ by the last bits of libm's
    /// exp under another CPU or numpy build, amplified on an upstroke. Measured (2026-12-07, this machine vs the
    /// committed file): AdEx bit for bit; HH 2e-12 mV between spikes and up to 3.1e-10 mV on the upstrokes. Bar:
    /// 1e-8 mV (and pA for w), thirty times that.
    /// </summary>
    [Test]
    public void ReferenceIsWhatBrian2Writes()
    {
        using var committed = ReferenceScripts.Committed("brian2_adex_hh.json");
        using var fresh = ReferenceScripts.Regenerate("brian2_adex_hh.py", "--cases", "adex_step", "hh_step", "hh_cond", "--duration", "25");
        foreach (var slice in fresh.RootElement.GetProperty("cases").EnumerateObject())
        {
            var c = committed.RootElement.GetProperty("cases").GetProperty(slice.Name);
            var f = slice.Value;
            double duration = f.GetProperty("duration_ms").GetDouble();
            Assert.That(duration, Is.EqualTo(25.0), slice.Name);
            var spikes = c.GetProperty("spike_times_ms").EnumerateArray().Select(x => x.GetDouble()).Where(t => t < duration).ToArray();
            var arrivals = c.GetProperty("arrivals_ms").EnumerateArray().Select(x => x.GetDouble()).Where(t => t < duration).ToArray();
            Assert.That(spikes, Is.Not.Empty, $"{slice.Name}: the slice holds a spike");
            Assert.That(f.GetProperty("spike_times_ms").EnumerateArray().Select(x => x.GetDouble()), Is.EqualTo(spikes).Within(1e-9), $"{slice.Name}: spike times");
            Assert.That(f.GetProperty("arrivals_ms").EnumerateArray().Select(x => x.GetDouble()), Is.EqualTo(arrivals), $"{slice.Name}: arrivals");
            foreach (string key in new[] { "model", "method", "dt_ms", "sample_dt_ms", "weight_nS", "params", "receptor", "I_e_pA" })
            {
                Assert.That(f.GetProperty(key).GetRawText(), Is.EqualTo(c.GetProperty(key).GetRawText()), $"{slice.Name}: {key}");
            }
            int samples = f.GetProperty("V_mV").GetArrayLength();
            Assert.That(samples, Is.EqualTo((int)Math.Round(duration / f.GetProperty("sample_dt_ms").GetDouble())), $"{slice.Name}: samples");
            double dv = ReferenceScripts.WorstDifference(c.GetProperty("V_mV"), f.GetProperty("V_mV"), $"{slice.Name} V", prefix: true);
            double dw = f.TryGetProperty("w_pA", out var w) ? ReferenceScripts.WorstDifference(c.GetProperty("w_pA"), w, $"{slice.Name} w", prefix: true) : 0;
            TestContext.Out.WriteLine($"{slice.Name}, first {duration} ms: {spikes.Length} spikes equal; worst |ΔV| {dv:E2} mV, |Δw| {dw:E2} pA over {samples} samples");
            Assert.That(dv, Is.LessThanOrEqualTo(1e-8), $"{slice.Name}: V");
            Assert.That(dw, Is.LessThanOrEqualTo(1e-8), $"{slice.Name}: w");
        }
        Assert.That(fresh.RootElement.GetProperty("cases").EnumerateObject().Count(), Is.EqualTo(3));
    }

    /// <summary>
    /// AdEx, NEST defaults: an 800 pA step for 200 ms ("adex_step", 5 adapting spikes) and 400 pA plus
    /// exp-conductance input ("adex_cond", PSPs and 2 spikes), against Brian2 rk4 at dt = 0.001 ms.
    /// Measured (2026-11-25): at dt = 0.1 ms spike times within 0.0036 ms and V within 0.0071 mV; at dt =
    /// 0.01 ms within 0.0015 ms and 0.0041 mV (what remains at the finer step is mostly the reference's own
    /// error: its 1 µs grid and w taken at the end of the crossing step). Tolerances are about three times
    /// that: 0.01 ms / 0.02 mV at dt = 0.1 ms, 0.005 ms / 0.01 mV at dt = 0.01 ms. V is not compared from 1 ms
    /// before to 0.5 ms after a spike, where a time shift δ moves V by |dV/dt|·δ and dV/dt reaches 1e4 mV/ms.
    /// </summary>
    [TestCase("adex_step", 0.1, 0.01, 0.02)]
    [TestCase("adex_step", 0.01, 0.005, 0.01)]
    [TestCase("adex_cond", 0.1, 0.01, 0.02)]
    [TestCase("adex_cond", 0.01, 0.005, 0.01)]
    public void AdExMatchesBrian2(string name, double dt, double spikeTolerance, double vTolerance)
    {
        var (reference, ours, referenceDt) = Simulate(name, dt, AdEx);
        Compare(name, dt, reference, ours, referenceDt, spikeTolerance, vTolerance, 1.0, 0.5);
    }

    /// <summary>
    /// HH (hh.mod kinetics), against Brian2 exponential_euler at the same dt = 0.01 ms: the same scheme, so V
    /// agrees to rounding (measured 8e-12 mV; tolerance 1e-6 mV, everywhere), and each spike time lies inside
    /// Brian2's crossing step [t, t + dt] (tolerance dt/2 around its middle; measured 0.0043 ms from it).
    /// </summary>
    [TestCase("hh_step")]
    [TestCase("hh_cond")]
    public void HhMatchesBrian2(string name)
    {
        var (reference, ours, referenceDt) = Simulate(name, 0.01, Hh);
        Compare(name, 0.01, reference, ours, referenceDt, 0, 1e-6, 0, 0);
    }
}
