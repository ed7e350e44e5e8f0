using System.Text.Json;
using BioSim.IO;
using BioSim.IO.Experiments;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Validation;

/// <summary>
/// CUBA (examples/cuba.json) against Brian2 2.5.1 on the same network: the reference is
/// tests/data/brian2_cuba_reference.json, written by tests/reference/brian2_cuba.py (Brian2's
/// examples/CUBA.py, cython target, seeds 1–5; run it with /usr/bin/python3 to regenerate). The two
/// simulators draw different random networks, so the comparison is statistical: the mean rate of three
/// BioSim seeds within 10% of Brian2's five-seed mean (the issue's bound; Brian2's own seed-to-seed sd is
/// 2%), and the mean ISI coefficient of variation within 15% (Brian2: 0.524 ± 0.006).
/// </summary>
[TestFixture, Category("Validation")]
public sealed class CubaBrian2Tests
{
    [Test]
    public void RateAndIrregularityMatchBrian2()
    {
        using var reference = JsonDocument.Parse(File.ReadAllText(TestPaths.Data("brian2_cuba_reference.json")));
        var summary = reference.RootElement.GetProperty("summary");
        double brianRate = summary.GetProperty("rate_hz").GetProperty("mean").GetDouble();
        double brianCv = summary.GetProperty("cv_isi_mean").GetProperty("mean").GetDouble();

        var services = IoServiceCollectionExtensions.CreateDefaultServices();
        var experiment = services.GetRequiredService<ExperimentReader>().ReadFile(TestPaths.Example("cuba.json"));
        var builder = services.GetRequiredService<ModelBuilder>();
        var rates = new List<double>();
        var cvs = new List<double>();
        foreach (ulong seed in new ulong[] { 1, 2, 3 })
        {
            var sim = builder.Build(experiment with { Seed = seed }).Simulation;
            var trains = Enumerable.Range(0, 4000).Select(_ => new List<double>()).ToArray();
            long spikes = 0;
            for (long n = 0; n < experiment.Steps; n++)
            {
                sim.Step();
                int offset = 0;
                foreach (var s in sim.LastSpikes)
                {
                    for (int k = 0; k < s.Count; k++) trains[offset + s.Ids[k]].Add(s.Times[k]);
                    spikes += s.Count;
                    offset += 3200;
                }
            }
            rates.Add(spikes / 4000.0 / (experiment.Duration / 1000));
            cvs.Add(trains.Where(t => t.Count >= 3).Select(CoefficientOfVariation).Average());
        }
        double rate = rates.Average(), cv = cvs.Average();
        TestContext.Out.WriteLine($"BioSim rate {rate:0.000} Hz ({string.Join(", ", rates.Select(r => r.ToString("0.000")))}), CV {cv:0.000}; Brian2 {brianRate:0.000} Hz, CV {brianCv:0.000}");
        Assert.That(rate, Is.EqualTo(brianRate).Within(10).Percent);
        Assert.That(cv, Is.EqualTo(brianCv).Within(15).Percent);
    }

    private static double CoefficientOfVariation(List<double> times)
    {
        var isi = new double[times.Count - 1];
        for (int k = 1; k < times.Count; k++) isi[k - 1] = times[k] - times[k - 1];
        double mean = isi.Average();
        double variance = isi.Sum(x => (x - mean) * (x - mean)) / isi.Length;
        return Math.Sqrt(variance) / mean;
    }
}
