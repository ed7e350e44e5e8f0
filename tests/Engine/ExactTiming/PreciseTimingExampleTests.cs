using System.Text.Json.Nodes;
using BioSim.Engine.Events;
using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;
using BioSim.Workflows;
using BioSim.Workflows.Runs;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Engine.ExactTiming;

/// <summary>
/// examples/precise-timing.json, the coincidence detectors: in exact mode the detectors' spike times are the same at
/// dt = 0.1, 0.05 and 0.01 ms (to 1e-9 ms; the closed-form LIF integration to each arrival does not depend on the step), the
/// detectors whose inputs arrive within 0.2 ms fire at every one of the 20 repetitions and those at 0.3 ms or more never
/// do; in grid mode the spike times move with dt (by up to a step), and at dt = 0.1 ms detectors 0 and 1 (shifts 0 and
/// 0.05 ms) fire at the same time, the sub-step shift lost.
/// </summary>
[TestFixture]
public sealed class PreciseTimingExampleTests
{
    private static readonly IServiceProvider Services = BioSimServiceCollectionExtensions.BuildBioSimServices();

    [Test]
    public void DetectorSpikesDoNotDependOnTheStepInExactMode()
    {
        var reference = Run(0.1, "exact");
        var counts = new int[9];
        foreach (var (id, _) in reference) counts[id]++;
        Assert.That(counts, Is.EqualTo(new[] { 20, 20, 20, 20, 0, 0, 0, 0, 0 }), "shifts 0-0.2 ms fire every time, 0.3 ms and more never");
        foreach (double dt in (double[])[0.05, 0.01])
        {
            var other = Run(dt, "exact");
            Assert.That(other.Select(s => s.Id), Is.EqualTo(reference.Select(s => s.Id)), $"dt {dt}");
            for (int k = 0; k < reference.Count; k++)
            {
                Assert.That(other[k].Time, Is.EqualTo(reference[k].Time).Within(1e-9), $"spike {k} at dt {dt}");
            }
        }

        var grid = Run(0.1, "grid");
        var fine = Run(0.01, "grid");
        Assert.That(grid.Zip(fine).Max(p => Math.Abs(p.First.Time - p.Second.Time)), Is.GreaterThan(0.05), "grid-mode times move with dt");
        Assert.That(grid.First(s => s.Id == 0).Time, Is.EqualTo(grid.First(s => s.Id == 1).Time), "on the 0.1 ms grid the 0.05 ms shift is lost");
        Assert.That(reference.First(s => s.Id == 1).Time - reference.First(s => s.Id == 0).Time, Is.GreaterThan(0.01), "exact mode keeps it");
    }

    private static List<(int Id, double Time)> Run(double dt, string timing)
    {
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("precise-timing.json")))!.AsObject();
        json["dt"] = dt;
        json["timing"] = timing;
        var experiment = Services.GetRequiredService<ExperimentReader>().Read(json.ToJsonString(), "precise-timing.json");
        using var simulation = Services.GetRequiredService<ModelBuilder>().Build(experiment).Simulator;
        var spikes = new List<(int, double)>();
        int detector = simulation.Populations.ToList().FindIndex(p => p.Name == "detector");
        simulation.AddObserver(new Collector(detector, spikes));
        simulation.Run(experiment.Steps);
        return spikes;
    }

    private sealed class Collector(int population, List<(int, double)> spikes) : IStepObserver
    {
        public void AfterStep(double t, IReadOnlyList<SpikeList> all)
        {
            var s = all[population];
            for (int k = 0; k < s.Count; k++) spikes.Add((s.Ids[k], s.Times[k]));
        }
    }
}
