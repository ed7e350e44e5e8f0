using System.Diagnostics;
using System.Text.Json;
using BioSim.Engine.Numerics;
using BioSim.Engine.Random;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;
using NUnit.Framework;

namespace BioSim.Tests.Validation;

/// <summary>
/// Correlative infomax on Fashion-MNIST in the official setting of Bozkurt, Pehlevan &amp; Erdogan (2023)
/// (Supervised-CorInfoMax, CorInfoMax_FashionMNIST_Simulation_V1.py: 784-500-10 clip rates, batch 20, η_ff (0.3, 0.22),
/// η_fb 0.07, ε 0.15, λ 0.99999, g 0.3, 30 free / 10 nudged iterations, random-sign β, Xavier-uniform weights, no
/// biases; prediction by the free phase), cut to fit CI: the first 4000 training images (200 minibatches) for one
/// epoch, tested on the first 1000 test images. Chance is 0.10; the authors' notebook
/// (FashionMNIST_ContrastiveHopfieldCorInfoMax_Train.ipynb) reaches 0.827 after one full epoch of 3000 minibatches.
/// <para>
/// Reference: tests/data/biosim_corinfomax_subset.json, written by tests/reference/biosim_corinfomax_subset.py, which
/// runs this configuration through the CLI (`biosim compare`) for seeds 0–9: 0.549 ± 0.042 (sd; min 0.491, max 0.617;
/// the CLI's seed 0 gives the test's 0.582 bit for bit). The band is mean ± K·sd with K = 3: with n = 10 seeds,
/// (x − mean)/(sd·√(1 + 1/n)) of another draw (a change of the code that keeps the distribution) is
/// t-distributed with 9 degrees of freedom, so a draw of the same distribution falls outside with probability about
/// 2 %, while a rule that does not learn (0.045 before training) or learns markedly slower fails.
/// </para>
/// <para>
/// Outside check of that reference: tests/data/corinfomax_fashion_subset.json, written by
/// tests/reference/corinfomax_fashion_subset.py, runs the authors' own code (commit e5fb839, float64) on the same cut
/// for seeds 0–4: 0.515 ± 0.110 (min 0.353, max 0.613). Its spread is wider than BioSim's (2.6× in sd on 5 seeds),
/// its mean agrees: the test requires the two means to lie within 3 standard errors of their difference
/// (measured 0.034 against 3 × 0.050), so a BioSim reference regenerated after a change of the rule's behaviour must
/// still agree with the authors' code. About 60 s on 2 cores under a load average of 29.
/// </para>
/// </summary>
[TestFixture]
public sealed class CorrelativeInfomaxFashionMnistTests
{
    /// <summary>Width of the accepted band in reference standard deviations (see the class summary).</summary>
    private const double K = 3;

    [Test, Category("Validation")]
    public void LearnsFashionMnistFromASubsetInOneEpoch()
    {
        var (train, test) = FashionMnistData.Load();
        const int samples = 4000, tests = 1000;
        var subset = FashionMnistData.First(train, samples);
        var testSubset = FashionMnistData.First(test, tests);
        var net = new Network(784, [new LayerSpec(500, new UnitClip(), Bias: false), new LayerSpec(10, new UnitClip(), Bias: false)], MatrixProducts.CreateDefault());
        foreach (var layer in net.Layers)
        {
            double a = Math.Sqrt(6.0 / (layer.Inputs + layer.Outputs));
            net.Initialise(layer, new UniformDistribution(-a, a), 0);
        }
        var rule = new CorrelativeInfomax { ForwardRates = [0.3, 0.22], FeedbackRates = [0.07] };
        rule.Prepare(net, 0);
        var sgd = new SgdMomentum(1.0);
        sgd.Prepare(net);
        var trainer = new Trainer(net, rule, sgd, new MeanSquaredError(), 20);
        var clock = Stopwatch.StartNew();
        var (_, before) = trainer.Evaluate(testSubset, 1000);
        var history = trainer.Train(subset, testSubset, new TrainingOptions { Epochs = 1, BatchSize = 20, Seed = 0 });
        double accuracy = history.Epochs[^1].TestAccuracy;
        TestContext.Out.WriteLine($"correlative-infomax: test accuracy {before:F4} before, {accuracy:F4} after {samples} samples; {clock.Elapsed.TotalSeconds:F1} s with {net.Product.Name}");
        using var reference = JsonDocument.Parse(File.ReadAllText(TestPaths.Data("biosim_corinfomax_subset.json")));
        var root = reference.RootElement;
        var task = root.GetProperty("comparison").GetProperty("task");
        Assert.That((task.GetProperty("train_samples").GetInt32(), task.GetProperty("test_samples").GetInt32()), Is.EqualTo((samples, tests)), "the reference's subset");
        var stats = root.GetProperty("test_accuracy");
        double mean = stats.GetProperty("mean").GetDouble(), sd = stats.GetProperty("sd").GetDouble();
        int n = stats.GetProperty("per_seed").GetArrayLength();
        TestContext.Out.WriteLine($"reference (BioSim CLI, {n} seeds): {mean:F4} ± {sd:F4}; band [{mean - K * sd:F4}, {mean + K * sd:F4}]");
        Assert.That(accuracy, Is.EqualTo(mean).Within(K * sd));
        // The reference's seed 0 is this run (the CLI drives the same code): measured equal, 0.5820, with OpenBLAS's
        // Prescott kernel on 1 thread and its Haswell kernel (OPENBLAS_CORETYPE=Haswell) on 2; 0.005 (5 of the 1000 test
        // images) leaves room for another kernel's rounding to flip a few predictions.
        int seed0 = root.GetProperty("seeds").EnumerateArray().Select(x => x.GetInt32()).ToList().IndexOf(0);
        Assert.That(seed0, Is.GreaterThanOrEqualTo(0), "the reference holds seed 0");
        Assert.That(accuracy, Is.EqualTo(stats.GetProperty("per_seed")[seed0].GetDouble()).Within(0.005), "the reference's own seed 0");

        using var authors = JsonDocument.Parse(File.ReadAllText(TestPaths.Data("corinfomax_fashion_subset.json")));
        var theirs = authors.RootElement.GetProperty("test_accuracy");
        var setting = authors.RootElement.GetProperty("setting");
        Assert.That((setting.GetProperty("train_samples").GetInt32(), setting.GetProperty("test_samples").GetInt32()), Is.EqualTo((samples, tests)), "the authors' code's subset");
        double meanA = theirs.GetProperty("mean").GetDouble(), sdA = theirs.GetProperty("sd").GetDouble();
        int nA = theirs.GetProperty("per_seed").GetArrayLength();
        double standardError = Math.Sqrt(sd * sd / n + sdA * sdA / nA);
        TestContext.Out.WriteLine($"authors' code ({nA} seeds): {meanA:F4} ± {sdA:F4}; means differ by {Math.Abs(mean - meanA):F4}, standard error {standardError:F4}");
        Assert.That(mean, Is.EqualTo(meanA).Within(3 * standardError), "BioSim's reference mean against the authors' code's");
    }
}
