using System.Globalization;
using NUnit.Framework;

namespace BioSim.Tests.Circuits.Stimuli;

/// <summary>
/// The step-current device (NEST's step_current_generator) driving a LIF neuron, against the closed-form solution of the
/// membrane equation τ_m dV/dt = E_L − V + R_m I(t) written in the test: on each piece of constant I,
/// V(t) = V_∞ + (V(t₀) − V_∞) e^{−(t − t₀)/τ_m} with V_∞ = E_L + R_m I, a spike where V reaches V_th
/// (t* = t₀ + τ_m ln((V_∞ − V₀)/(V_∞ − V_th))), then V held at V_reset for t_ref. The model integrates the same
/// closed form and locates crossings by Newton to 1e-13 ms, so 1e-9 ms is rounding over thousands of steps with room to
/// spare, and any misplaced change time (one step is ≥ 0.01 ms) fails it by seven orders of magnitude.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class StepCurrentTests
{
    private const double TauM = 10, EL = -70, VTh = -55, VReset = -68, TRef = 2, Rm = 100; // ms, mV, MΩ
    private const double Duration = 200;

    // Off-grid at dt 0.1, 0.05 and 0.01 (except the on-grid 150.0): 250 pA (V_∞ = −45 mV, regular firing), 180 pA (V_∞ = −52 mV,
    // slower), 120 pA (V_∞ = −58 mV, below threshold: the neuron relaxes), 0 at 150, 300 pA during a refractory period.
    private static readonly double[] Times = [10.0374, 60.01234, 95.3333, 150.0, 170.00567];
    private static readonly double[] Amplitudes = [250, 180, 120, 0, 300];

    private static string R(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The experiment: the device's amplitudes are halved and the projection's weight is 2, so the test also checks that
    /// the weight scales the current (NEST's convention).</summary>
    private static string Json(double dt, string timing, double[] times, double[] amplitudes, string extra = "")
    {
        string schedule = $"\"amplitude_times\": [{string.Join(", ", times.Select(R))}], \"amplitude_values\": [{string.Join(", ", amplitudes.Select(a => R(a / 2)))}]{extra}";
        string lif = $"\"tau_m\": {R(TauM)}, \"E_L\": {R(EL)}, \"V_th\": {R(VTh)}, \"V_reset\": {R(VReset)}, \"t_ref\": {R(TRef)}, \"R_m\": {R(Rm)}";
        return $$$"""
            {"name": "steps", "seed": 1, "dt": {{{R(dt)}}}, "duration": {{{R(Duration)}}}, "timing": "{{{timing}}}",
             "populations": [
               {"name": "clamp", "size": 1, "model": "step-current-generator", "parameters": { {{{schedule}}} }},
               {"name": "cell", "size": 1, "model": "lif", "parameters": { {{{lif}}} }}],
             "projections": [{"source": "clamp", "target": "cell", "connectivity": {"rule": "all-to-all"}, "weight": 2.0}],
             "record": {"spikes": ["cell"]}}
            """;
    }


    /// <summary>The spike times of the closed-form solution, event by event.</summary>
    internal static List<double> ClosedForm(double[] times, double[] amplitudes, double end)
    {
        var spikes = new List<double>();
        double t = 0, v = EL, current = 0, refractoryEnd = double.NegativeInfinity;
        int next = 0;
        while (t < end)
        {
            double change = next < times.Length ? times[next] : end;
            if (refractoryEnd > t)
            {
                // Held at V_reset until the refractory period or the piece ends.
                double until = Math.Min(refractoryEnd, change);
                v = VReset;
                t = until;
            }
            else
            {
                double vInf = EL + Rm * 1e-3 * current;
                double crossing = vInf > VTh ? t + TauM * Math.Log((vInf - v) / (vInf - VTh)) : double.PositiveInfinity;
                if (crossing < change && crossing < end)
                {
                    spikes.Add(crossing);
                    t = crossing;
                    v = VReset;
                    refractoryEnd = crossing + TRef;
                    continue;
                }
                v = vInf + (v - vInf) * Math.Exp(-(change - t) / TauM);
                t = change;
            }
            if (t >= change && next < times.Length)
            {
                current = amplitudes[next];
                next++;
            }
        }
        return spikes;
    }

    private static List<double> Run(string json)
    {
        var model = StimulusExperiments.Build(json);
        int cell = model.Simulator.Populations.ToList().FindIndex(p => p.Name == "cell");
        var log = new SpikeLog(cell);
        model.Simulator.AddObserver(log);
        model.Simulator.Run((long)Math.Round(Duration / model.Simulator.Dt));
        return log.Trains(1)[0];
    }

    /// <summary>Exact timing: each change is taken at its time inside the step, so the spike times equal the closed form to
    /// 1e-9 ms at dt = 0.1, 0.05 and 0.01 ms (the changes lie off all three grids).</summary>
    [TestCase(0.1)]
    [TestCase(0.05)]
    [TestCase(0.01)]
    public void ExactTimingMatchesTheClosedFormAtEveryStep(double dt)
    {
        var expected = ClosedForm(Times, Amplitudes, Duration);
        Assert.That(expected, Has.Count.GreaterThanOrEqualTo(8), "the reference fires in both supra-threshold pieces and after 170 ms");
        var spikes = Run(Json(dt, "exact", Times, Amplitudes));
        Assert.That(spikes, Has.Count.EqualTo(expected.Count));
        for (int k = 0; k < expected.Count; k++) Assert.That(spikes[k], Is.EqualTo(expected[k]).Within(1e-9), $"spike {k}");
    }

    /// <summary>Grid timing: a change is taken from the first step that starts at or after it (NEST's allow_offgrid_times), so
    /// the spikes equal the closed form with every change time rounded up to the grid, to 1e-9 ms; and they differ from the
    /// exact-time solution by more than 1e-4 ms (the rounding is real).</summary>
    [Test]
    public void GridTimingTakesEachChangeFromTheNextStep()
    {
        const double dt = 0.1;
        double[] rounded = [.. Times.Select(t => Math.Ceiling(t / dt - 1e-9) * dt)];
        var expected = ClosedForm(rounded, Amplitudes, Duration);
        var spikes = Run(Json(dt, "grid", Times, Amplitudes));
        Assert.That(spikes, Has.Count.EqualTo(expected.Count));
        for (int k = 0; k < expected.Count; k++) Assert.That(spikes[k], Is.EqualTo(expected[k]).Within(1e-9), $"spike {k}");
        var exact = ClosedForm(Times, Amplitudes, Duration);
        Assert.That(Math.Abs(spikes[0] - exact[0]), Is.GreaterThan(1e-4));
    }

    /// <summary>repeat_period: the schedule over [0, P) plays again every P ms (0 before its first time in each period), so the
    /// spikes equal the closed form of the unrolled schedule to 1e-9 ms, in exact timing at dt = 0.1 ms.</summary>
    [Test]
    public void RepeatedScheduleEqualsTheUnrolledOne()
    {
        double[] times = [5.55, 20.123];
        double[] amplitudes = [260, 0];
        const double period = 40;
        var unrolledTimes = new List<double>();
        var unrolledAmplitudes = new List<double>();
        for (int m = 0; m * period < Duration; m++)
        {
            if (m > 0)
            {
                unrolledTimes.Add(m * period);
                unrolledAmplitudes.Add(0);
            }
            for (int k = 0; k < times.Length; k++)
            {
                unrolledTimes.Add(m * period + times[k]);
                unrolledAmplitudes.Add(amplitudes[k]);
            }
        }
        var expected = ClosedForm([.. unrolledTimes], [.. unrolledAmplitudes], Duration);
        Assert.That(expected, Has.Count.EqualTo(5), "one spike in each period");
        var spikes = Run(Json(0.1, "exact", times, amplitudes, $", \"repeat_period\": {R(period)}"));
        Assert.That(spikes, Has.Count.EqualTo(expected.Count));
        for (int k = 0; k < expected.Count; k++) Assert.That(spikes[k], Is.EqualTo(expected[k]).Within(1e-9), $"spike {k}");
    }
}
