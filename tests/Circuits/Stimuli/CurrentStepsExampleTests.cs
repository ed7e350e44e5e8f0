using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;
using BioSim.Tests.Cli;
using BioSim.Workflows.Runs;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Circuits.Stimuli;

/// <summary>
/// examples/current-steps.json (a staircase of 0, 100, …, 1000 pA, 500 ms per stair, onto one lif and one adex neuron)
/// through the run workflow, read back from its file: the f-I curve it draws.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class CurrentStepsExampleTests : TempDirectoryFixture
{
    /// <summary>
    /// LIF: on a stair of current I the neuron fires with period t_ref + τ_m ln((V_∞ − V_reset)/(V_∞ − V_th)),
    /// V_∞ = E_L + R_m I (the closed form), so a 500 ms stair holds 500/period spikes to within one (the first spike's
    /// latency depends on V at the stair's start); none below the rheobase (V_th − E_L)/R_m = 375 pA. AdEx (NEST
    /// defaults): its I-V curve loses its fixed points above (g_L + a)(V_T − E_L − Δ_T + Δ_T ln(1 + a/g_L)) = 627 pA
    /// (Touboul 2008), so it must fire on every stair from 700 pA and, far below it (≤ 500 pA), must not; its counts never
    /// fall as the current rises. The recorded device current "I" is the staircase.
    /// </summary>
    [Test]
    public void StairsGiveTheClosedFormLifRatesAndAnAdExRheobase()
    {
        var runner = StimulusExperiments.Services.GetRequiredService<ExperimentRunner>();
        var experiment = StimulusExperiments.Reader.ReadFile(TestPaths.Example("current-steps.json"));
        string output = Path.Combine(Dir, "steps.h5");
        runner.Run(experiment, output, threads: 1);
        using var file = Hdf5File.OpenReadOnly(output);
        var spikes = SonataFileReader.ReadSpikes(file).ToDictionary(s => s.Population, s => s.TimestampsMs);
        int[] Counts(string population) => [.. Enumerable.Range(0, 11).Select(k => spikes.TryGetValue(population, out var t) ? t.Count(x => x >= 500 * k && x < 500 * (k + 1)) : 0)];
        var lif = Counts("lif");
        var adex = Counts("adex");
        TestContext.Out.WriteLine($"lif: {string.Join(", ", lif)}; adex: {string.Join(", ", adex)}");
        const double tau = 10, el = -70, vth = -55, vreset = -70, tref = 2, r = 40;
        for (int k = 0; k <= 10; k++)
        {
            double current = 100 * k, vInf = el + r * 1e-3 * current;
            double expected = vInf > vth ? 500 / (tref + tau * Math.Log((vInf - vreset) / (vInf - vth))) : 0;
            Assert.That(lif[k], Is.EqualTo(expected).Within(1.0), $"lif at {current} pA");
            if (current <= 500) Assert.That(adex[k], Is.Zero, $"adex at {current} pA");
            if (current >= 700) Assert.That(adex[k], Is.GreaterThan(0), $"adex at {current} pA");
            if (k > 0) Assert.That(adex[k], Is.GreaterThanOrEqualTo(adex[k - 1]), $"adex at {current} pA");
        }
        var staircase = file.ReadDataset<double>("/report/staircase/data");
        Assert.That(staircase, Has.Length.EqualTo(5500));
        for (int n = 0; n < staircase.Length; n++) Assert.That(staircase[n], Is.EqualTo(100 * Math.Floor(n / 500.0)), $"sample {n}");
    }
}
