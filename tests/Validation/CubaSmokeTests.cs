using BioSim.IO;
using BioSim.IO.Experiments;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Validation;

[TestFixture, Category("Validation")]
public sealed class CubaSmokeTests
{
    [Test]
    public void CubaRuns()
    {
        var services = IoServiceCollectionExtensions.CreateDefaultServices();
        var experiment = services.GetRequiredService<ExperimentReader>().ReadFile(TestPaths.Example("cuba.json"));
        var model = services.GetRequiredService<ModelBuilder>().Build(experiment);
        long spikes = 0;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (long n = 0; n < experiment.Steps; n++)
        {
            model.Simulation.Step();
            foreach (var s in model.Simulation.LastSpikes) spikes += s.Count;
        }
        TestContext.Out.WriteLine($"spikes {spikes}, rate {spikes / 4000.0:0.00} Hz, synapses {model.SynapseCount}, {sw.Elapsed.TotalSeconds:0.000} s");
        Assert.That(spikes, Is.GreaterThan(0));
    }
}
