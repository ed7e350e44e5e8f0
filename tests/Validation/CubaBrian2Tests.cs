using System.Text.Json;
using BioSim.IO.Experiments;
using BioSim.Workflows;
using BioSim.Workflows.Runs;
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

        var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var experiment = services.GetRequiredService<ExperimentReader>().ReadFile(TestPaths.Example("cuba.json"));
        var builder = services.GetRequiredService<ModelBuilder>();
        var rates = new List<double>();
        var cvs = new List<double>();
        foreach (ulong seed in new ulong[] { 1, 2, 3 })
        {
            var sim = builder.Build(experiment with { Seed = seed }).Simulator;
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

    /// <summary>
    /// The reference is generated, not typed in: Brian2 (Debian python3-brian, run with /usr/bin/python3) runs
    /// tests/reference/brian2_cuba.py live for seed 2 with the numpy target (no C++ compiler needed, ~10 s) and must
    /// reproduce the committed tests/data/brian2_cuba_reference_numpy_target.json exactly (same spike count), and
    /// its rate lies within 10% of BioSim's on the same parameters (seed 12345: 5.87 Hz).
    /// </summary>
    [Test]
    public void Brian2ReferenceIsReproducedLive()
    {
        using var committed = JsonDocument.Parse(File.ReadAllText(TestPaths.Data("brian2_cuba_reference_numpy_target.json")));
        var seed2 = committed.RootElement.GetProperty("per_seed").EnumerateArray().Single(r => r.GetProperty("seed").GetInt32() == 2);
        string output = Path.Combine(Path.GetTempPath(), $"brian2-cuba-{Guid.NewGuid():N}.json");
        try
        {
            var (code, _, stderr) = IO.ExternalTools.Run("/usr/bin/python3",
                [Path.Combine(TestPaths.Root, "tests", "reference", "brian2_cuba.py"), "--seed", "2", "--target", "numpy", "-o", output]);
            Assert.That(code, Is.EqualTo(0), $"Brian2 failed (install python3-brian; .ci/setup does):\n{stderr}");
            using var live = JsonDocument.Parse(File.ReadAllText(output));
            var run = live.RootElement.GetProperty("per_seed")[0];
            Assert.That(run.GetProperty("spikes").GetInt64(), Is.EqualTo(seed2.GetProperty("spikes").GetInt64()));
            Assert.That(run.GetProperty("rate_hz").GetDouble(), Is.EqualTo(5.8735).Within(10).Percent);
        }
        finally
        {
            File.Delete(output);
        }
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
