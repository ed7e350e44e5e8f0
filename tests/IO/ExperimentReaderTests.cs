using System.Text.Json.Nodes;
using BioSim.Circuits.Neurons.Lif;
using BioSim.Engine.Random;
using BioSim.IO.Experiments;
using BioSim.Workflows;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.IO;

[TestFixture, Category("Unit")]
public sealed class ExperimentReaderTests
{
    private static readonly ExperimentReader Reader =
        BioSimServiceCollectionExtensions.BuildBioSimServices().GetRequiredService<ExperimentReader>();

    private static string Cuba(Action<JsonObject> change)
    {
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("cuba.json")))!.AsObject();
        change(json);
        return json.ToJsonString();
    }

    [Test]
    public void CubaIsReadWithTypedParameters()
    {
        var e = Reader.ReadFile(TestPaths.Example("cuba.json"));
        Assert.That((e.Name, e.Seed, e.Dt, e.Duration, e.Steps), Is.EqualTo(("cuba", 12345UL, 0.1, 1000.0, 10000L)));
        var lif = (LifParameters)e.Populations[0].Parameters;
        Assert.That((lif.tau_m, lif.E_L, lif.V_th, lif.V_reset, lif.t_ref, lif.R_m), Is.EqualTo((20.0, -49.0, -50.0, -60.0, 5.0, 1.0)));
        Assert.That(e.Populations[0].Initial["V"], Is.EqualTo(new UniformDistribution(-60, -50)));
        Assert.That(e.Projections.Select(p => p.Name), Is.EqualTo(new[] { "exc->exc:exc", "exc->inh:exc", "inh->exc:inh", "inh->inh:inh" }));
        Assert.That(e.Record.Compression, Is.EqualTo(0));
    }

    private static readonly object[] BadFields =
    [
        new object[] { (Action<JsonObject>)(j => j.Remove("seed")), "seed", "missing" },
        new object[] { (Action<JsonObject>)(j => j["seed"] = -1), "seed", "non-negative integer" },
        new object[] { (Action<JsonObject>)(j => j["duration"] = 100.05), "duration", "multiple of dt" },
        new object[] { (Action<JsonObject>)(j => j["populations"]![0]!["size"] = 0), "populations[0].size", "integer in [1" },
        new object[] { (Action<JsonObject>)(j => j["populations"]![1]!["name"] = "exc"), "populations[1].name", "unique" },
        new object[] { (Action<JsonObject>)(j => j["populations"]![0]!["parameters"]!["t_ref"] = "5"), "populations[0].parameters.t_ref", "wrong type" },
        new object[] { (Action<JsonObject>)(j => j["populations"]![0]!["receptors"]![0]!["tau"] = 0.0), "populations[0].receptors[0].tau", "positive" },
        new object[] { (Action<JsonObject>)(j => j["populations"]![0]!["receptors"]![0]!["model"] = "exp-conductance"), "populations[0].receptors[0].E", "reversal potential" },
        new object[] { (Action<JsonObject>)(j => j["populations"]![0]!["initial"]!["V"] = JsonNode.Parse("{\"gamma\": [1, 2]}")), "populations[0].initial.V.gamma", "unknown distribution" },
        new object[] { (Action<JsonObject>)(j => j["projections"]![0]!["source"] = "thalamus"), "projections[0].source", "exc, inh" },
        new object[] { (Action<JsonObject>)(j => j["projections"]![0]!["connectivity"]!["rule"] = "small-world"), "projections[0].connectivity.rule", "fixed-probability" },
        new object[] { (Action<JsonObject>)(j => j["projections"]![0]!["connectivity"]!.AsObject().Remove("p")), "projections[0].connectivity", "p" },
        new object[] { (Action<JsonObject>)(j => j["projections"]![0]!["delay"] = -1.0), "projections[0].delay", "≥ 0" },
        new object[] { (Action<JsonObject>)(j => j["projections"]![0]!["weight"] = JsonNode.Parse("{\"normal\": [1, -2]}")), "projections[0].weight.normal", "standard deviation" },
        new object[] { (Action<JsonObject>)(j => j["record"]!["state"]![0]!["node_ids"] = JsonNode.Parse("[0, 3200]")), "record.state[0].node_ids[1]", "[0, 3199]" },
        new object[] { (Action<JsonObject>)(j => j["record"]!["compression"] = 12), "record.compression", "[0, 9]" },
        new object[] { (Action<JsonObject>)(j => j["colour"] = "blue"), "colour", "unknown field" },
    ];

    /// <summary>Each invalid field is reported with the file, its JSON path and what is allowed.</summary>
    [TestCaseSource(nameof(BadFields))]
    public void InvalidFieldIsNamedWithItsPath(Action<JsonObject> change, string path, string hint)
    {
        var e = Assert.Throws<ExperimentException>(() => Reader.Read(Cuba(change), "bad.json"));
        Assert.That(e!.FieldPath, Is.EqualTo(path), e.Message);
        Assert.That(e.Message, Does.StartWith("bad.json: " + path + ":").And.Contain(hint));
    }
}
