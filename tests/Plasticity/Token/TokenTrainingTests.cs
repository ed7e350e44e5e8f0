using BioSim.Engine.Numerics;
using BioSim.Engine.Plugins;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;
using BioSim.IO.Compare;
using BioSim.IO.Experiments;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks.Token;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;
using BioSim.Workflows;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity.Token;

/// <summary>
/// Issue 18 item 1: the rule stochastic-backprop (its masks, its state, training the token model on the one loop) and its
/// comparison-file fields with their errors.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class TokenTrainingTests
{
    private static readonly IServiceProvider Services = BioSimServiceCollectionExtensions.BuildBioSimServices();

    /// <summary>
    /// 8 × 8 images of 4 classes: class q lights the q-th 4 × 4 quadrant (pixel values 0.6-1.0 there, 0-0.4 elsewhere, from a
    /// seeded stream). A linearly separable task: backprop and SBP (keep 0.5, random mask, block 1 of 2 masked) must both reach
    /// test accuracy ≥ 0.95 after 4 epochs of 256 images with Adam 0.01 (chance 0.25; measured 1.0 for both).
    /// </summary>
    [TestCase(false)]
    [TestCase(true)]
    public void BackpropAndSbpLearnALinearlySeparableImageTask(bool sbp)
    {
        var spec = new TokenModelSpec(ImageSide: 8, PatchSide: 2, Width: 8, Blocks: 2, Classes: 4);
        Dataset Data(int count, ulong seed)
        {
            var rng = new RandomStream(seed, "test", "quadrants");
            var x = new float[count * 64];
            var labels = new int[count];
            for (int s = 0; s < count; s++)
            {
                int q = (int)rng.NextUInt32(4);
                labels[s] = q;
                for (int p = 0; p < 64; p++)
                {
                    bool lit = (p / 8 / 4) * 2 + p % 8 / 4 == q;
                    x[s * 64 + p] = (float)((lit ? 0.6 : 0.0) + 0.4 * rng.NextDouble());
                }
            }
            return new Dataset("quadrants", 64, x, labels, 4);
        }
        var model = new TokenModel(spec, new ManagedMatrixProduct());
        model.Initialise(1);
        StochasticBackprop? rule = sbp ? new StochasticBackprop { Keep = 0.5, Mask = "random", Blocks = [1] } : null;
        rule?.Prepare(model, 1);
        var trainer = new TokenTrainer(model, rule, new Adam(0.01), 16);
        var retained = new List<long>();
        var history = trainer.Train(Data(256, 1), Data(128, 2), new TrainingOptions
        {
            Epochs = 4, BatchSize = 16, Seed = 1, BatchCompleted = (_, _, _) => retained.Add(trainer.Tape.Retained),
        });
        TestContext.Out.WriteLine($"sbp {sbp}: test accuracy {string.Join(", ", history.Epochs.Select(e => e.TestAccuracy))}");
        Assert.That(history.Epochs[^1].TestAccuracy, Is.GreaterThanOrEqualTo(0.95));
        if (sbp)
        {
            Assert.That(rule!.Iterations, Is.EqualTo(4 * 16));
            Assert.That(retained.Distinct(), Is.EqualTo(new[] { model.RetainedFormula(16, [8, 16]) }), "16 tokens, keep 0.5 → 8 kept in block 1");
        }
        else
        {
            Assert.That(retained.Distinct(), Is.EqualTo(new[] { model.RetainedFormula(16, [16, 16]) }));
        }
    }

    /// <summary>Contract: the same seed draws the same masks; a snapshot restores the iteration count, so a resumed run draws the
    /// masks an uninterrupted one would; grid masks use both start points of stride 2 at keep 0.5.</summary>
    [TestCase("grid")]
    [TestCase("random")]
    public void MasksAreSeededAndResumable(string kind)
    {
        var model = new TokenModel(new TokenModelSpec(), new ManagedMatrixProduct());
        StochasticBackprop Rule(ulong seed)
        {
            var r = new StochasticBackprop { Mask = kind };
            r.Prepare(model, seed);
            return r;
        }
        var a = Rule(4);
        var b = Rule(4);
        var first = Enumerable.Range(0, 20).Select(_ => a.NextMask().Kept).ToList();
        for (int i = 0; i < 20; i++) Assert.That(b.NextMask().Kept, Is.EqualTo(first[i]));
        Assert.That(first.Select(k => string.Join(",", k)).Distinct().Count(), kind == "grid" ? Is.EqualTo(2) : Is.GreaterThan(15));
        var snapshot = new StateSnapshot();
        a.SaveState(snapshot, "rule/");
        var next = a.NextMask().Kept;
        var c = Rule(4);
        c.LoadState(snapshot, "rule/");
        Assert.That(c.Iterations, Is.EqualTo(20));
        Assert.That(c.NextMask().Kept, Is.EqualTo(next));
        Assert.That(a.Masked.ToArray(), Is.EqualTo(new[] { true, true, true, false }), "default: every block but the last");
    }

    /// <summary>On a layered network the rule refuses to prepare, saying what it needs.</summary>
    [Test]
    public void RefusesLayeredNetworks()
    {
        var net = new BioSim.Plasticity.Networks.Network(4, [new BioSim.Plasticity.Networks.LayerSpec(2)], new ManagedMatrixProduct());
        var e = Assert.Throws<InvalidOperationException>(() => Services.GetRequiredService<Catalogue>().Get<ICreditAssignmentRule>("stochastic-backprop", "rule").Prepare(net, 1));
        Assert.That(e!.Message, Does.Contain("image-shaped network").And.Contain("\"type\": \"token\""));
    }

    private const string Valid = """
        { "task": {"type": "fashion-mnist"},
          "architecture": {"type": "token", "patch": 4, "width": 48, "blocks": 4},
          "optimiser": {"type": "adam"}, "lr": 0.002, "batch": 128, "epochs": 3, "seeds": [1, 2],
          "rules": ["backprop", {"name": "stochastic-backprop", "label": "sbp", "options": {"keep": 0.5, "mask": "grid", "blocks": [1, 2, 3]}}] }
        """;

    private static ComparisonExperiment Read(string json) => Services.GetRequiredService<ComparisonReader>().Read(json, "c.json");

    /// <summary>The issue's setting reads into the token model and the rule with its options.</summary>
    [Test]
    public void ReadsTheIssueSetting()
    {
        var e = Read(Valid);
        Assert.That(e.Architecture.Token, Is.EqualTo(new TokenModelSpec(28, 4, 48, 4, 10, 4)));
        Assert.That(e.Alignment, Is.False);
        var rule = (StochasticBackprop)e.Rules[1].Create(Services.GetRequiredService<Catalogue>());
        Assert.That((rule.Keep, rule.Mask, rule.Blocks), Is.EqualTo((0.5, "grid", new[] { 1, 2, 3 })));
        Assert.That(Read(File.ReadAllText(TestPaths.Example("compare-sbp.json"))).Rules.Select(r => r.Name), Is.EqualTo(new[] { "backprop", "stochastic-backprop" }));
    }

    /// <summary>Errors name the file, the field and the fix.</summary>
    [TestCase("\"keep\": 0.5", "\"keep\": 0", "c.json: rules[1].options.keep: The keep ratio must lie in (0, 1]")]
    [TestCase("\"keep\": 0.5", "\"keep\": 1.2", "rules[1].options.keep: The keep ratio must lie in (0, 1]")]
    [TestCase("\"mask\": \"grid\"", "\"mask\": \"checker\"", "rules[1].options.mask: The mask must be \"grid\" or \"random\"")]
    [TestCase("[1, 2, 3]", "[0, 2]", "rules[1].options: block 0 does not exist; the token model has blocks 1 to 4")]
    [TestCase("[1, 2, 3]", "[1.5]", "rules[1].options.blocks: must be an array of integers")]
    [TestCase("{\"type\": \"token\", \"patch\": 4, \"width\": 48, \"blocks\": 4}", "{\"layers\": [256, 10]}",
        "c.json: rules[1].name: stochastic-backprop masks spatial positions, so it needs an image-shaped network")]
    [TestCase("\"patch\": 4", "\"patch\": 5", "architecture.patch: 5 does not divide the image side 28")]
    [TestCase("\"rules\": [\"backprop\"", "\"rules\": [\"feedback-alignment\"", "rules[0]: the token model trains with backprop and stochastic-backprop only")]
    [TestCase("\"epochs\": 3", "\"epochs\": 3, \"precision\": \"float32\"", "precision: the token model trains in float64 only")]
    [TestCase("\"epochs\": 3", "\"epochs\": 3, \"alignment\": true", "alignment: the alignment probes measure layered networks")]
    public void ErrorsNameFileFieldAndFix(string from, string to, string message)
    {
        string json = Valid.Replace(from, to, StringComparison.Ordinal);
        Assert.That(json, Is.Not.EqualTo(Valid));
        var e = Assert.Throws<ExperimentException>(() => Read(json));
        Assert.That(e!.Message, Does.Contain(message));
    }
}
