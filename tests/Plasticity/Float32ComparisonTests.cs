using System.Text.Json;
using System.Text.Json.Nodes;
using BioSim.IO.Compare;
using BioSim.IO.Experiments;
using BioSim.Workflows;
using BioSim.Workflows.Compare;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity;

/// <summary>"precision": "float32" in a comparison file (issue 18 item 4): read, refused for rules without a float32
/// implementation, and run by <c>biosim compare</c>'s workflow with a bit-identical resume.</summary>
[TestFixture, Category("Unit")]
public sealed class Float32ComparisonTests
{
    private static readonly string Dir = Path.Combine(Path.GetTempPath(), $"biosim-f32-compare-{Environment.ProcessId}");

    [TearDown]
    public void Clean()
    {
        if (Directory.Exists(Dir)) Directory.Delete(Dir, recursive: true);
    }

    private static JsonObject Teacher(string precision)
    {
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("compare-teacher.json")), documentOptions: options)!.AsObject();
        json["precision"] = precision;
        json["seeds"] = new JsonArray(1);
        json["task"]!["train_samples"] = 200;
        json["batch"] = 10;
        json["lr"] = 0.05;
        json["epochs"] = 3;
        return json;
    }

    /// <summary>A rule without a float32 implementation is refused when the file is read, naming the file, rules[i], the
    /// rule and both fixes; an unknown precision names the allowed values.</summary>
    [Test]
    public void RulesWithoutFloat32AreRefusedAtLoad()
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var reader = services.GetRequiredService<ComparisonReader>();
        var json = Teacher("float32");
        json["rules"]!.AsArray().Add("stochastic-units");
        var e = Assert.Throws<ExperimentException>(() => reader.Read(json.ToJsonString(), "f32.json"))!;
        TestContext.Out.WriteLine(e.Message);
        Assert.That(e.Message, Does.Contain("f32.json").And.Contain("rules[2]").And.Contain("'stochastic-units' has no float32 implementation")
            .And.Contain("backprop, feedback-alignment, direct-feedback-alignment, gait-prop, itp, correlative-infomax").And.Contain("\"precision\": \"float64\""));
        json = Teacher("float16");
        e = Assert.Throws<ExperimentException>(() => reader.Read(json.ToJsonString(), "f16.json"))!;
        Assert.That(e.Message, Does.Contain("precision").And.Contain("allowed: float64, float32"));
        Assert.That(reader.Read(Teacher("float32").ToJsonString(), "ok.json").SinglePrecision, Is.True);
        Assert.That(reader.Read(Teacher("float64").ToJsonString(), "ok.json").SinglePrecision, Is.False);
    }

    /// <summary>
    /// A float32 comparison (Lillicrap's linear teacher, backprop and FA, 3 epochs) run straight, and run 1 epoch then resumed
    /// from its checkpoints to 3: the same batch losses, epoch results and alignment probes, bit for bit. Both learn (test
    /// loss falls), and the summary and the curves file say float32.
    /// </summary>
    [Test]
    public void Float32ComparisonResumesBitForBit()
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var reader = services.GetRequiredService<ComparisonReader>();
        var comparison = services.GetRequiredService<RuleComparison>();
        var experiment = reader.Read(Teacher("float32").ToJsonString(), "teacher-f32.json");
        var straight = comparison.Run(experiment, Path.Combine(Dir, "straight"), resume: false, progress: null, CancellationToken.None);
        comparison.Run(experiment with { Epochs = 1 }, Path.Combine(Dir, "split"), resume: false, progress: null, CancellationToken.None);
        var resumed = comparison.Run(experiment, Path.Combine(Dir, "split"), resume: true, progress: null, CancellationToken.None);
        for (int i = 0; i < straight.Runs.Count; i++)
        {
            var (a, b) = (straight.Runs[i], resumed.Runs[i]);
            Assert.That(b.BatchLosses, Is.EqualTo(a.BatchLosses), a.Label);
            Assert.That(b.Epochs, Is.EqualTo(a.Epochs), a.Label);
            Assert.That(b.Alignment, Is.EqualTo(a.Alignment), a.Label);
            Assert.That(a.Epochs[^1].TestLoss, Is.LessThan(a.Epochs[0].TestLoss), a.Label);
        }
        Assert.That(File.ReadAllText(straight.SummaryFile), Does.Contain("3 epochs, float32, seeds 1"));
        using var h5 = BioSim.IO.Hdf5.Hdf5File.OpenReadOnly(straight.CurvesFile);
        Assert.That(h5.GetStringAttribute("precision"), Is.EqualTo("float32"));
    }
    /// <summary>
    /// examples/compare-itp.json (backprop, GAIT-prop, ITP on four square leaky-ReLU layers, mse with 54 auxiliary output units,
    /// Adam without bias correction; seed 1) in float32: run straight for 2 epochs and as 1 epoch resumed to 2, the same bits
    /// (the layer inverses go through the checkpoint as the float64 rule's state). Reference for the values: the same file in
    /// float64; every rule's test loss after 2 epochs agrees to 1e-5 relative (float32 rounding over 40 Adam steps of
    /// lr 1e-4 moves the weights by ~1e-7 against steps of ~1e-4; measured ≤ 2e-7, printed).
    /// </summary>
    [Test]
    public void TargetPropagationInFloat32ResumesAndMatchesFloat64()
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var reader = services.GetRequiredService<ComparisonReader>();
        var comparison = services.GetRequiredService<RuleComparison>();
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("compare-itp.json")), documentOptions: options)!.AsObject();
        json["seeds"] = new JsonArray(1);
        json["alignment"] = false;
        var f64 = comparison.Run(reader.Read(json.ToJsonString(), "itp-f64.json"), Path.Combine(Dir, "f64"), resume: false, progress: null, CancellationToken.None);
        json["precision"] = "float32";
        var experiment = reader.Read(json.ToJsonString(), "itp-f32.json");
        var straight = comparison.Run(experiment, Path.Combine(Dir, "straight"), resume: false, progress: null, CancellationToken.None);
        comparison.Run(experiment with { Epochs = 1 }, Path.Combine(Dir, "split"), resume: false, progress: null, CancellationToken.None);
        var resumed = comparison.Run(experiment, Path.Combine(Dir, "split"), resume: true, progress: null, CancellationToken.None);
        Assert.That(straight.Runs.Select(r => r.Label), Is.EqualTo(new[] { "backprop", "gait-prop", "itp" }));
        for (int i = 0; i < straight.Runs.Count; i++)
        {
            var (a, b, d) = (straight.Runs[i], resumed.Runs[i], f64.Runs[i]);
            Assert.That(b.BatchLosses, Is.EqualTo(a.BatchLosses), a.Label);
            Assert.That(b.Epochs, Is.EqualTo(a.Epochs), a.Label);
            double loss32 = a.Epochs[^1].TestLoss, loss64 = d.Epochs[^1].TestLoss;
            TestContext.Out.WriteLine($"{a.Label}: test loss after 2 epochs float32 {loss32:G9}, float64 {loss64:G9}, relative {Math.Abs(loss32 / loss64 - 1):E2}");
            Assert.That(loss32, Is.EqualTo(loss64).Within(1e-5 * loss64), a.Label);
            Assert.That(loss32, Is.LessThan(a.Epochs[0].TestLoss), $"{a.Label}: the test loss falls from epoch 1 to 2");
        }
    }
}
