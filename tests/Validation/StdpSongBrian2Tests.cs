using System.Text.Json;
using System.Text.Json.Nodes;
using BioSim.Engine.Events;
using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;
using BioSim.Workflows;
using BioSim.Workflows.Runs;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Validation;

/// <summary>
/// STDP inside the simulation against Brian2 2.5.1 on Song, Miller &amp; Abbott (2000): examples/stdp-song2000.json is
/// Brian2's examples/synapses/STDP.py (1000 Poisson inputs at 15 Hz, all-to-all additive STDP, 100 s) with the leak
/// conductance made explicit. The references come from tests/reference/brian2_stdp_song.py (cpp_standalone):
/// <list type="bullet">
/// <item>tests/data/brian2_stdp_song_reference.json: the example's dt = 0.1 ms, seeds 1–8;</item>
/// <item>tests/data/brian2_stdp_song_dt001_reference.json: dt = 0.01 ms, seeds 1–3.</item>
/// </list>
/// The weight distributions agree at both steps. The output rate does not agree with Brian2 at 0.1 ms, and the reason is
/// Brian2's grid: it puts every spike on a step, so the ~1.5 input spikes that fall in the step of an output spike all
/// count as potentiating pairs at Δt = 0 (on_pre runs before on_post), where in continuous time half of them come after
/// the output spike and depress. That biases the balance of potentiation and depression that sets the rate: Brian2's
/// own 100-s rate falls from 26.0 Hz (dt 0.1, 8 seeds) to 21.6 Hz (dt 0.01, seeds 1–3; each seed 4–6 Hz lower than at dt 0.1) as the step shrinks, and BioSim,
/// whose spike times are continuous, sits at the converged value. So the rate is compared with Brian2 at dt = 0.01 ms,
/// within one seed-to-seed standard deviation of Brian2's rate (its spread over seeds at dt 0.1).
/// </summary>
[TestFixture, Category("Validation")]
public sealed class StdpSongBrian2Tests
{
    private static readonly ulong[] Seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    private const double GMax = 0.1;

    [Test]
    public void WeightsBecomeBimodalAsInBrian2AndTheRateMatchesItsConvergedValue()
    {
        var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var reader = services.GetRequiredService<ExperimentReader>();
        var builder = services.GetRequiredService<ModelBuilder>();
        var ours = new List<(double Low, double High, double Mean, double Rate)>();
        foreach (ulong seed in Seeds)
        {
            var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("stdp-song2000.json")))!.AsObject();
            json["seed"] = seed;
            var experiment = reader.Read(json.ToJsonString(), "stdp-song2000.json");
            var model = builder.Build(experiment);
            using var simulation = model.Simulator;
            long spikes = 0;
            int neuron = simulation.Populations.ToList().FindIndex(p => p.Name == "neuron");
            simulation.AddObserver(new Counter(neuron, n => spikes += n));
            simulation.Run(experiment.Steps);
            var w = model.Projections.Single().Weights.ToArray().Select(x => x / GMax).ToArray();
            ours.Add((w.Count(x => x < 0.1) / (double)w.Length, w.Count(x => x > 0.9) / (double)w.Length, w.Average(), spikes / 100.0));
            TestContext.Out.WriteLine($"BioSim seed {seed}: low {ours[^1].Low:0.000}, high {ours[^1].High:0.000}, mean w {ours[^1].Mean:0.0000}, rate {ours[^1].Rate:0.00} Hz");
        }

        var grid = Reference("brian2_stdp_song_reference.json");
        var fine = Reference("brian2_stdp_song_dt001_reference.json");
        Assert.Multiple(() =>
        {
            foreach (var (name, select) in new (string, Func<(double Low, double High, double Mean, double Rate), double>)[]
                     { ("frac_low", r => r.Low), ("frac_high", r => r.High) })
            {
                var mine = ours.Select(select).ToArray();
                foreach (var (label, reference) in new[] { ("dt 0.1", grid[name]), ("dt 0.01", fine[name]) })
                {
                    double difference = Math.Abs(mine.Average() - reference.Average());
                    TestContext.Out.WriteLine($"{name}: BioSim {mine.Average():0.0000} ± {Sd(mine):0.0000}, Brian2 {label} {reference.Average():0.0000} ± {Sd(reference):0.0000}");
                    // The issue's tolerance (0.05), and four standard errors of the difference from both sides' seed spreads.
                    Assert.That(difference, Is.LessThan(0.05), $"{name} against Brian2 at {label}");
                    Assert.That(difference, Is.LessThan(4 * Math.Sqrt(Sd(mine) * Sd(mine) / mine.Length + Sd(reference) * Sd(reference) / reference.Length)),
                        $"{name} against Brian2 at {label}, 4 standard errors");
                }
            }
            var rates = ours.Select(r => r.Rate).ToArray();
            double spread = Sd(grid["rate_hz"]);
            TestContext.Out.WriteLine($"rate: BioSim {rates.Average():0.00} ± {Sd(rates):0.00} Hz; Brian2 dt 0.01 {fine["rate_hz"].Average():0.00} Hz; " +
                                      $"Brian2 dt 0.1 {grid["rate_hz"].Average():0.00} ± {spread:0.00} Hz");
            Assert.That(rates.Average(), Is.EqualTo(fine["rate_hz"].Average()).Within(spread), "rate against Brian2 at dt 0.01, within Brian2's seed-to-seed sd");
            Assert.That(grid["rate_hz"].Average() - fine["rate_hz"].Average(), Is.GreaterThan(spread),
                "the grid bias this test steps around is there in the committed references");
        });
    }

    private static Dictionary<string, double[]> Reference(string file)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(TestPaths.Data(file)));
        var seeds = json.RootElement.GetProperty("seeds").EnumerateObject().Select(s => s.Value).ToArray();
        return new[] { "frac_low", "frac_high", "mean_w", "rate_hz" }.ToDictionary(k => k, k => seeds.Select(s => s.GetProperty(k).GetDouble()).ToArray());
    }

    private static double Sd(double[] x)
    {
        double mean = x.Average();
        return Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / (x.Length - 1));
    }

    private sealed class Counter(int population, Action<int> add) : IStepObserver
    {
        public void AfterStep(double t, IReadOnlyList<SpikeList> spikes) => add(spikes[population].Count);
    }
}
