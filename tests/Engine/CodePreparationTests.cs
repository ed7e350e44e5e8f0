using System.Text.Json.Nodes;
using BioSim.Circuits.Neurons.Lif;
using BioSim.Circuits.Projections;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;
using BioSim.Workflows;
using BioSim.Workflows.Runs;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Engine;

/// <summary>
/// The step's methods compiled before the first step (<see cref="IPreparesCode"/>): every preparation names methods that exist
/// (a renamed method fails here instead of silently compiling at its first call again), and a run whose code was prepared
/// gives the same spikes as one whose code compiled at first call (compiled code computes what the first call would).
/// </summary>
[TestFixture]
public sealed class CodePreparationTests
{
    private static readonly LifParameters Lif = new() { tau_m = 20, E_L = -60, V_th = -50, V_reset = -60, t_ref = 5 };

    [TestCase(0), TestCase(1), TestCase(2), TestCase(3)]
    public void EveryPreparationNamesMethodsThatExist(int receptors)
    {
        var specs = Enumerable.Range(0, receptors).Select(k => new ReceptorSpec($"r{k}", ReceptorSpec.ExpCurrent, 5 + k)).ToArray();
        foreach (var timing in new[] { SpikeTiming.Grid, SpikeTiming.Exact })
        {
            foreach (int bits in new[] { 0, 256, 512, 1 })
            {
                var population = new LifPopulation("p", 8, Lif, specs) { VectorBits = bits };
                Assert.DoesNotThrow(() => population.PrepareCode(timing), $"{receptors} receptors, {timing}, {bits} bits");
            }
            Assert.DoesNotThrow(() => Simulator.PrepareCode(timing));
            Assert.DoesNotThrow(() => Projection.PrepareCode(timing));
        }
    }

    [Test]
    public void AMissingMethodIsAnError()
    {
        var e = Assert.Throws<MissingMethodException>(() => CodePreparation.Prepare(typeof(Simulator), "NoSuchMethod"))!;
        Assert.That(e.Message, Does.Contain("NoSuchMethod"));
        Assert.Throws<MissingMethodException>(() => CodePreparation.PrepareGeneric(typeof(Simulator), nameof(Simulator.Step), typeof(int)));
    }

    /// <summary>The model builder's preparation (CUBA, grid and exact timing; the populations', simulator's, projections' and the
    /// recorder's down to the HDF5 appends) completes without a fault, and the spikes of a run
    /// built with it equal those of the same run built again after every method is compiled (the second build's code is the
    /// first's; the comparison checks that preparing changes nothing a run computes, bit for bit).</summary>
    [TestCase("grid"), TestCase("exact")]
    public void TheBuildersPreparationCompletesAndChangesNoSpike(string timing)
    {
        var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var reader = services.GetRequiredService<ExperimentReader>();
        var builder = services.GetRequiredService<ModelBuilder>();
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("cuba.json")))!.AsObject();
        json["duration"] = 50.0;
        json["timing"] = timing;
        foreach (var projection in json["projections"]!.AsArray()) projection!["delay"] = 0.1; // exact timing needs delays ≥ dt
        var experiment = reader.Read(json.ToJsonString(), "cuba-prepared.json");

        (int, double)[] Spikes(out Task preparation)
        {
            var model = builder.Build(experiment);
            preparation = model.CodePreparation;
            var spikes = new List<(int, double)>();
            using var sim = model.Simulator;
            for (long n = 0; n < experiment.Steps; n++)
            {
                sim.Step();
                foreach (var list in sim.LastSpikes)
                    for (int i = 0; i < list.Count; i++) spikes.Add((list.Ids[i], list.Times[i]));
            }
            return spikes.ToArray();
        }

        var first = Spikes(out var firstPreparation);
        Assert.That(firstPreparation.Wait(TimeSpan.FromMinutes(2)), Is.True, "the preparation did not finish");
        Assert.That(firstPreparation.IsFaulted, Is.False, firstPreparation.Exception?.ToString());
        var second = Spikes(out var secondPreparation);
        secondPreparation.Wait(TimeSpan.FromMinutes(2));
        Assert.That(second.Length, Is.GreaterThan(100), "CUBA fires in its first 50 ms");
        Assert.That(second, Is.EqualTo(first));
    }
}
