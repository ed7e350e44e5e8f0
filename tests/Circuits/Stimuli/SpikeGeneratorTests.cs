using System.Globalization;
using BioSim.Circuits.Neurons.Lif;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;
using BioSim.Tests.Cli;
using BioSim.Workflows.Runs;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Circuits.Stimuli;

/// <summary>
/// The spike generator (NEST's spike_generator, Brian2's SpikeGeneratorGroup, NEURON's VecStim): the spikes it emits and
/// records are the given times, bit for bit; each is emitted in the step of the simulator's clock that contains it; a
/// recorded run replays from its SONATA file; and a LIF neuron behind an exp-current projection follows the closed-form
/// solution of its linear equations for those spikes.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class SpikeGeneratorTests : TempDirectoryFixture
{
    /// <summary>Off-grid times, times on the grid whose product n·dt is not exact (0.3 = 3 × 0.1 + 4e-17), a repeated time
    /// (two spikes), t = 0, and times at and after the end of the 12 ms run (never emitted).</summary>
    private static readonly double[][] Trains =
    [
        [0.0, 1.0, 1.05, 1.05, 3.2, 9.99999],
        [0.1, 0.3, 0.7, 5.55, 11.95, 12.0, 30.0],
        [],
        [2.0 / 3.0, 7.123456789012345],
    ];

    private static string Json(string parameters, int size = 4, string extra = "") => $$$"""
        {"name": "replay", "seed": 3, "dt": 0.1, "duration": 12.0,
         "populations": [{"name": "in", "size": {{{size}}}, "model": "spike-generator", "parameters": {{{parameters}}}}{{{extra}}}],
         "record": {"spikes": ["in"]}}
        """;

    private static string Inline() =>
        "{\"times\": [" + string.Join(", ", Trains.Select(t => "[" + string.Join(", ", t.Select(R)) + "]")) + "]}";

    private static string R(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    private static List<double>[] Expected(double end) => [.. Trains.Select(t => t.Where(x => x < end).ToList())];

    private static SpikeLog Run(string json, int steps)
    {
        var model = StimulusExperiments.Build(json);
        var log = new SpikeLog(0);
        model.Simulator.AddObserver(log);
        model.Simulator.Run(steps);
        return log;
    }

    /// <summary>Each neuron emits exactly its given times (the double values, bit for bit), each in the step
    /// [(n − 1)·dt, n·dt) of the simulator's clock that contains it, and nothing at or after the end of the run.</summary>
    [Test]
    public void EmitsEachGivenTimeExactlyInTheStepThatContainsIt()
    {
        var log = Run(Json(Inline()), 120);
        Assert.That(log.Trains(4), Is.EqualTo(Expected(12.0)));
        foreach (var (id, time, stepEnd) in log.Spikes)
        {
            double stepStart = (Math.Round(stepEnd / 0.1) - 1) * 0.1;
            Assert.That(time, Is.GreaterThanOrEqualTo(stepStart).And.LessThan(stepEnd), $"neuron {id}, spike at {R(time)} ms");
        }
        // 0.3 is above 3 × 0.1 in binary, so it belongs to the step that ends at 3 × 0.1 (0.30000000000000004).
        Assert.That(log.Spikes.Single(s => s.Time == 0.3).StepEnd, Is.EqualTo(3 * 0.1));
    }

    /// <summary>Brian2's form (ids with spike_times, in any neuron order) gives the same trains as one list per neuron.</summary>
    [Test]
    public void IdsWithSpikeTimesGiveTheSameTrains()
    {
        var pairs = Trains.SelectMany((t, i) => t.Select(x => (Id: i, Time: x))).OrderBy(p => p.Time).ThenByDescending(p => p.Id).ToArray();
        string parameters = $"{{\"ids\": [{string.Join(", ", pairs.Select(p => p.Id))}], \"spike_times\": [{string.Join(", ", pairs.Select(p => R(p.Time)))}]}}";
        Assert.That(Run(Json(parameters), 120).Trains(4), Is.EqualTo(Expected(12.0)));
    }

    /// <summary>The generator's spikes are recorded to the run's SONATA file like any population's (the given times, bit
    /// for bit), and a second experiment that names that file replays them: its own file holds the same spikes.</summary>
    [Test]
    public void RecordedSpikesReplayFromTheRunFile()
    {
        var runner = StimulusExperiments.Services.GetRequiredService<ExperimentRunner>();
        string first = Path.Combine(Dir, "first.json");
        File.WriteAllText(first, Json(Inline()));
        runner.Run(StimulusExperiments.Reader.ReadFile(first), Path.Combine(Dir, "first.h5"));
        var recorded = Read(Path.Combine(Dir, "first.h5"));
        var expected = Expected(12.0).SelectMany((t, i) => t.Select(x => (Id: (ulong)i, Time: x))).OrderBy(p => p.Time).ThenBy(p => p.Id).ToArray();
        Assert.That(recorded, Is.EqualTo(expected));

        string second = Path.Combine(Dir, "second.json");
        File.WriteAllText(second, Json("""{"file": "first.h5", "population": "in"}"""));
        runner.Run(StimulusExperiments.Reader.ReadFile(second), Path.Combine(Dir, "second.h5"));
        Assert.That(Read(Path.Combine(Dir, "second.h5")), Is.EqualTo(recorded));
    }

    private static (ulong Id, double Time)[] Read(string h5)
    {
        using var file = Hdf5File.OpenReadOnly(h5);
        var spikes = SonataFileReader.ReadSpikes(file).Single(s => s.Population == "in");
        return [.. spikes.NodeIds.Zip(spikes.TimestampsMs).OrderBy(p => p.Second).ThenBy(p => p.First)];
    }

    /// <summary>
    /// Two generators' spikes reach two LIF neurons (τ_m = 20 ms, exp-current τ_s = 5 ms, V_th out of reach) through an
    /// all-to-all projection with weight 1.5 mV and delay 1 ms. With the step's delivery rule (a spike emitted in step n
    /// with a delay of D = round(d/dt) steps is applied at the start of step n + 1 + D, as for any population's spikes),
    /// V(t) = E_L + Σ_j w G(t − a_j), G(h) = τ_s/(τ_s − τ_m)(e^{−h/τ_s} − e^{−h/τ_m}) for h ≥ 0 (the closed-form solution
    /// of τ_m dV/dt = E_L − V + s, τ_s ds/dt = −s with s(0) = w). BioSim's exact propagators applied step after step
    /// agree with it to round-off (1e-12 mV over 12 ms; sums of ~10 terms of ≤ 2 mV).
    /// </summary>
    [Test]
    public void LifBehindAnExpCurrentProjectionFollowsTheClosedForm()
    {
        const double dt = 0.1, delay = 1.0, w = 1.5, tauM = 20.0, tauS = 5.0, eL = -70.0;
        string lif = """
            , {"name": "out", "size": 2, "model": "lif", "parameters": {"tau_m": 20.0, "E_L": -70.0, "V_th": 0.0, "V_reset": -75.0},
               "receptors": [{"name": "exc", "model": "exp-current", "tau": 5.0}]}
            """;
        string json = Json(Inline(), extra: lif).Replace("\"record\"", """
            "projections": [{"source": "in", "target": "out", "receptor": "exc", "connectivity": {"rule": "all-to-all"}, "weight": 1.5, "delay": 1.0}],
            "record"
            """, StringComparison.Ordinal);
        var model = StimulusExperiments.Build(json);
        var v = ((LifPopulation)model.Populations[1]).Variable("V");
        var arrivals = Trains.SelectMany(t => t).Select(s => (Step(s, dt) + 1 + Math.Round(delay / dt)) * dt).ToArray();
        double worst = 0;
        for (int n = 1; n <= 120; n++)
        {
            model.Simulator.Step();
            double t = n * dt;
            double expected = eL;
            foreach (double a in arrivals)
            {
                double h = t - a;
                if (h >= 0) expected += w * tauS / (tauS - tauM) * (Math.Exp(-h / tauS) - Math.Exp(-h / tauM));
            }
            worst = Math.Max(worst, Math.Max(Math.Abs(v[0] - expected), Math.Abs(v[1] - expected)));
        }
        TestContext.Out.WriteLine($"largest |V − closed form| over 120 steps: {worst:E2} mV; V(12 ms) = {v[0]:F6} mV");
        Assert.That(v[0], Is.GreaterThan(eL + 1.0), "the spikes arrived");
        Assert.That(worst, Is.LessThan(1e-12));
    }

    /// <summary>The step n of the simulator's clock with n·dt ≤ s &lt; (n + 1)·dt.</summary>
    private static double Step(double s, double dt)
    {
        double n = Math.Floor(s / dt);
        while ((n + 1) * dt <= s) n++;
        while (n * dt > s) n--;
        return n;
    }
}
