using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using BioSim.Engine.Numerics;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;
using NUnit.Framework;

namespace BioSim.Tests.Validation;

/// <summary>
/// The Fashion-MNIST setting — 784-256-256-10 tanh network (linear output), softmax cross-entropy, SGD with
/// momentum 0.9, η 0.01, batch 32, 5 epochs over the whole training set, PyTorch's default initialisation, test
/// accuracy on the whole test set — against PyTorch training the same network with the same three rules:
/// tests/data/fashion_rules_torch.json, written by tests/reference/fashion_rules_torch.py (float64; its docstring
/// gives the rules' feedback laws, BioSim's). BioSim's random streams are not PyTorch's, so a BioSim seed is one more
/// draw from the distribution the reference's seeds sample, and each BioSim value must lie within mean ± K·sd of the
/// reference's, K = 4: with n reference seeds, (x − mean)/(sd·√(1 + 1/n)) of a new draw is t-distributed with n − 1
/// degrees of freedom, so for n = 5 a draw of the same distribution falls outside with probability about 2 %.
/// <para>
/// Reference (PyTorch 1.13, seeds 1–5, 2026-12-07): BP 0.8634 ± 0.0067, FA 0.8478 ± 0.0040, DFA 0.8604 ± 0.0055 (sd);
/// paired BP − FA 0.0156 ± 0.0054 (min 0.0064, max 0.0195). BioSim (OpenBLAS, same day): seed 1 BP 0.8678, FA 0.8509,
/// DFA 0.8637; seed 2 BP 0.8562, FA 0.8496. (The values this test used to assert, 0.873 / 0.858 / 0.858 ± 0.012 from
/// the issue, had no script behind them; BP and FA sit a point above PyTorch's means.)
/// </para>
/// <para>
/// Cost: one training run is 36–90 s on 2 shared cores with OpenBLAS; each (rule, seed) is trained once per test run
/// and shared by the tests below (five runs in all: BP, FA, DFA with seed 1, BP and FA with seed 2), plus ~30 s of
/// PyTorch for ReferenceIsWhatPyTorchWrites.
/// </para>
/// </summary>
[TestFixture]
public sealed class FashionMnistRulesTests
{
    /// <summary>Width of the accepted band in reference standard deviations (see the class summary).</summary>
    private const double K = 4;

    /// <summary>
    /// Rerun of the reference's first epoch against the committed value: 0.005, 50 of the 10 000 test images. The same
    /// machine reproduces it exactly; another CPU's GEMM kernels round differently, and 1875 SGD steps can carry that
    /// into a few predictions. Half the seed-to-seed sd of the epoch-1 accuracy (backprop: 0.8387, 0.8126, 0.8274,
    /// 0.8267, 0.8140; sd 0.011), so a change of what the script computes (seeding, a feedback law) shows.
    /// </summary>
    private const double TorchSliceTolerance = 0.005;

    private static readonly Lazy<JsonDocument> Reference = new(() => JsonDocument.Parse(File.ReadAllText(TestPaths.Data("fashion_rules_torch.json"))));

    private static readonly ConcurrentDictionary<(string Rule, ulong Seed), Lazy<double>> Accuracies = new();

    private static (double Mean, double Sd, int Seeds) Band(string key, string? rule = null)
    {
        var root = Reference.Value.RootElement;
        var s = rule is null ? root.GetProperty(key) : root.GetProperty(key).GetProperty(rule);
        Assert.That(root.GetProperty("setting").GetProperty("epochs").GetInt32(), Is.EqualTo(5), "the reference's epochs");
        Assert.That(root.GetProperty("setting").GetProperty("train_samples").GetInt32(), Is.EqualTo(60_000), "the reference's training set");
        return (s.GetProperty("mean").GetDouble(), s.GetProperty("sd").GetDouble(), s.GetProperty("per_seed").GetArrayLength());
    }

    private static ICreditAssignmentRule Create(string rule) => rule switch
    {
        "backprop" => new Backpropagation(),
        "feedback-alignment" => new FeedbackAlignment(),
        "direct-feedback-alignment" => new DirectFeedbackAlignment(),
        _ => throw new ArgumentException(rule, nameof(rule)),
    };

    /// <summary>The final test accuracy of <paramref name="rule"/> with <paramref name="seed"/>, trained once per test run.</summary>
    private static double Accuracy(string rule, ulong seed) =>
        Accuracies.GetOrAdd((rule, seed), k => new Lazy<double>(() => Train(Create(k.Rule), 5, k.Seed))).Value;

    internal static double Train(ICreditAssignmentRule rule, int epochs, ulong seed)
    {
        var (train, test) = FashionMnistData.Load();
        var product = MatrixProducts.CreateDefault();
        // Every core for the products: OpenBLAS and the managed kernel give the same bits at any thread count
        // (tests/Plasticity/MatrixProductTests), so the asserted accuracies do not depend on it.
        MatrixProducts.SetThreads(product, Environment.ProcessorCount);
        var net = new Network(784, [new LayerSpec(256, new Tanh()), new LayerSpec(256, new Tanh()), new LayerSpec(10, new Identity())], product);
        net.Initialise(seed);
        rule.Prepare(net, seed);
        var optimiser = new SgdMomentum(0.01, 0.9);
        optimiser.Prepare(net);
        var trainer = new Trainer(net, rule, optimiser, new SoftmaxCrossEntropy(), 32);
        var clock = Stopwatch.StartNew();
        var history = trainer.Train(train, test, new TrainingOptions { Epochs = epochs, BatchSize = 32, Seed = seed });
        foreach (var e in history.Epochs)
            TestContext.Out.WriteLine($"{rule.GetType().Name} seed {seed} epoch {e.Epoch}: train loss {e.TrainLoss:F4}, test loss {e.TestLoss:F4}, test accuracy {e.TestAccuracy:F4}");
        TestContext.Out.WriteLine($"{rule.GetType().Name} seed {seed}: {clock.Elapsed.TotalSeconds:F1} s with {net.Product.Name}");
        return history.Epochs[^1].TestAccuracy;
    }

    /// <summary>
    /// The reference is what the script writes: the full run takes ~40 min of CPU (5 seeds × 3 rules × 5 epochs), so
    /// this reruns a slice, the first epoch of seed 1 of each rule (~30 s, one thread), which is the first epoch of the
    /// committed runs (same data order, same steps), and compares the test accuracy after it with the committed one.
    /// Measured (2026-12-07, torch 1.13, this machine): backprop's 0.8387 reproduced with one and with two threads.
    /// </summary>
    [Test, Category("Validation")]
    public void ReferenceIsWhatPyTorchWrites()
    {
        using var fresh = ReferenceScripts.Regenerate("fashion_rules_torch.py", "--seeds", "1", "--epochs", "1", "--threads", "1");
        var committed = Reference.Value.RootElement.GetProperty("test_accuracy_by_epoch");
        foreach (var rule in fresh.RootElement.GetProperty("test_accuracy_by_epoch").EnumerateObject())
        {
            double mine = rule.Value.GetProperty("1")[0].GetDouble(), theirs = committed.GetProperty(rule.Name).GetProperty("1")[0].GetDouble();
            TestContext.Out.WriteLine($"{rule.Name} seed 1, epoch 1: regenerated {mine:F4}, committed {theirs:F4}");
            Assert.That(mine, Is.EqualTo(theirs).Within(TorchSliceTolerance), rule.Name);
        }
        Assert.That(fresh.RootElement.GetProperty("test_accuracy_by_epoch").EnumerateObject().Count(), Is.EqualTo(3), "rules rerun");
    }

    /// <summary>BioSim's seed 1 against PyTorch's seeds (see the class summary for K).</summary>
    [TestCase("backprop"), TestCase("feedback-alignment"), TestCase("direct-feedback-alignment")]
    [Category("Validation")]
    public void FiveEpochTestAccuracy(string rule)
    {
        var (mean, sd, n) = Band("final_test_accuracy", rule);
        double accuracy = Accuracy(rule, 1);
        TestContext.Out.WriteLine($"{rule}: BioSim seed 1 {accuracy:F4}; PyTorch {mean:F4} ± {sd:F4} (sd, {n} seeds), band ± {K * sd:F4}");
        Assert.That(accuracy, Is.EqualTo(mean).Within(K * sd), rule);
    }

    /// <summary>
    /// The "backprop beats feedback alignment by 0 to 3 points", seed by seed (the same seed for both rules,
    /// as in the reference's pairs): BP − FA of BioSim's seeds 1 and 2 within mean ± K·sd of PyTorch's paired
    /// differences, and inside [0, 0.03].
    /// </summary>
    [Test, Category("Validation")]
    public void BackpropBeatsFeedbackAlignmentByLessThanThreePoints([Values(1UL, 2UL)] ulong seed)
    {
        var (mean, sd, n) = Band("backprop_minus_feedback_alignment");
        double bp = Accuracy("backprop", seed), fa = Accuracy("feedback-alignment", seed);
        TestContext.Out.WriteLine($"seed {seed}: BP {bp:F4} − FA {fa:F4} = {bp - fa:F4}; PyTorch {mean:F4} ± {sd:F4} (sd, {n} seeds), band ± {K * sd:F4}");
        Assert.That(bp - fa, Is.EqualTo(mean).Within(K * sd), "BP − FA against PyTorch's paired differences");
        Assert.That(bp - fa, Is.InRange(0.0, 0.03), "BP − FA");
    }
}
