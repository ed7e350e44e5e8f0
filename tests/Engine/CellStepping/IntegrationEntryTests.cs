using System.Text.Json;
using BioSim.IO.Experiments;
using BioSim.Tests.Cli;
using BioSim.Workflows;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Engine.CellStepping;

/// <summary>
/// A population's <c>"integration"</c> entry in an experiment file: <c>{"method": "adaptive", "rtol", "atol"}</c> switches
/// its cells to their own adaptive steps, the run summary reports the steps taken (text and <c>--json</c>), and bad values
/// stop the run with one line naming the file and the field.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class IntegrationEntryTests : TempDirectoryFixture
{
    private static readonly ExperimentReader Reader = BioSimServiceCollectionExtensions.BuildBioSimServices().GetRequiredService<ExperimentReader>();

    private const string Experiment = """
        {"name": "hh-adaptive", "seed": 1, "dt": 0.1, "duration": 50.0, "timing": "exact",
         "populations": [
           {"name": "drive", "size": 4, "model": "lif", "parameters": {"tau_m": 10.0, "E_L": -70.0, "V_th": -50.0, "V_reset": -70.0, "t_ref": 2.0, "I_e": 25.0},
            "receptors": [], "initial": {"V": {"uniform": [-70.0, -52.0]}}},
           {"name": "cells", "size": 4, "model": "hh", "parameters": {"I_e": 150.0},
            "receptors": [{"name": "exc", "model": "exp-current", "tau": 2.0}],
            "integration": {"method": "adaptive", "rtol": 1e-6, "atol": 1e-6}}],
         "projections": [{"source": "drive", "target": "cells", "receptor": "exc", "connectivity": {"rule": "one-to-one"}, "weight": 40.0, "delay": 1.0137}],
         "record": {"spikes": ["cells"]}}
        """;

    /// <summary>biosim run with --json: the hh population's summary carries its adaptive step count (13 per cell per ms
    /// measured at rtol 1e-6 with this drive: far more than 0, less than the 1000 a 0.001 ms fixed step takes).</summary>
    [Test]
    public void RunReportsTheAdaptiveSteps()
    {
        string file = Path.Combine(Dir, "hh.json");
        File.WriteAllText(file, Experiment);
        var (code, stdout, stderr) = BiosimProcess.Run("run", file, "-o", Path.Combine(Dir, "out.h5"), "--json");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("adaptive steps"));
        string json = stdout.Split('\n').Last(l => l.TrimStart().StartsWith('{'));
        using var doc = JsonDocument.Parse(json);
        var populations = doc.RootElement.GetProperty("populations").EnumerateArray().ToArray();
        Assert.That(populations[0].GetProperty("adaptive_steps").ValueKind, Is.EqualTo(JsonValueKind.Null), "lif keeps its fixed step");
        long steps = populations[1].GetProperty("adaptive_steps").GetInt64();
        TestContext.Out.WriteLine($"hh: {steps} adaptive steps, {steps / 4.0 / 50:F1} per cell per ms; {populations[1].GetProperty("spikes").GetInt64()} spikes");
        Assert.That(steps / 4.0 / 50, Is.InRange(2.0, 200.0));
        Assert.That(populations[1].GetProperty("spikes").GetInt64(), Is.GreaterThan(0));
    }

    [TestCase("\"method\": \"adaptive\"", "\"method\": \"rk45\"", "populations[1].integration.method: unknown method 'rk45'; allowed: adaptive, fixed")]
    [TestCase("\"rtol\": 1e-6", "\"rtol\": 0", "populations[1].integration.rtol: must lie in (0, 1), got 0")]
    [TestCase("\"atol\": 1e-6", "\"atol\": -1e-6", "populations[1].integration.atol: must be positive and finite, got -1E-06")]
    [TestCase("\"atol\": 1e-6", "\"atl\": 1e-6", "populations[1].integration")]
    public void BadEntriesNameFileAndField(string from, string to, string expected)
    {
        Assert.That(Experiment, Does.Contain(from));
        var e = Assert.Throws<ExperimentException>(() => Reader.Read(Experiment.Replace(from, to, StringComparison.Ordinal), "bad.json"))!;
        TestContext.Out.WriteLine(e.Message);
        Assert.That(e.Message, Does.StartWith("bad.json: " + expected));
        Assert.That(e.Message, Does.Not.Contain('\n'));
    }

    /// <summary>The CLI's line and exit code (2) for a bad entry, and for a model that has no adaptive steps (lif); the one
    /// other line on stderr is the run's banner, written before the model is built.</summary>
    [TestCase("\"rtol\": 1e-6", "\"rtol\": -0.5", "populations[1].integration.rtol: must lie in (0, 1), got -0.5")]
    [TestCase("\"receptors\": [], \"initial\"", "\"receptors\": [], \"integration\": {\"method\": \"adaptive\"}, \"initial\"",
        "populations[0].integration: model 'lif' does not take adaptive steps per cell (adex, hh and lif-cond do); remove \"integration\"")]
    public void CliStopsWithOneLine(string from, string to, string expected)
    {
        string file = Path.Combine(Dir, "bad.json");
        File.WriteAllText(file, Experiment.Replace(from, to, StringComparison.Ordinal));
        var (code, _, stderr) = BiosimProcess.Run("run", file, "-o", Path.Combine(Dir, "out.h5"));
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("bad.json: " + expected));
        Assert.That(stderr.Split('\n').Count(l => l.Contains("error", StringComparison.Ordinal)), Is.EqualTo(1), stderr);
    }
}
