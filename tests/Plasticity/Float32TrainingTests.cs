using System.Text.Json;
using BioSim.Engine.Numerics;
using BioSim.Engine.Simulation;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;
using BioSim.Tests.IO;
using BioSim.Tests.Validation;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity;

/// <summary>
/// Issue 18 item 4: float32 training of layered networks (<see cref="PrecisionTrainer{T}"/>) for backprop, feedback
/// alignment and direct feedback alignment, through both matrix kernels.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class Float32TrainingTests
{
    private static readonly int[] Sizes = [20, 16, 12, 5];
    private const int Batch = 8;

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (string kernel in new[] { "managed", "openblas" })
            foreach (string rule in new[] { "backprop", "feedback-alignment" })
                yield return new TestCaseData(kernel, rule).SetArgDisplayNames(kernel, rule);
    }

    private static ICreditAssignmentRule Rule(string name) => name switch
    {
        "backprop" => new Backpropagation(),
        "feedback-alignment" => new FeedbackAlignment(),
        _ => new DirectFeedbackAlignment(),
    };

    /// <summary>The network, batch and (for FA) feedback matrices of tests/reference/torch_float32_gradients.py, each value
    /// computed in double by the script's formula and rounded once to float (so float32 code sees the script's numbers).</summary>
    private static (Trainer Trainer, float[] X, float[] Y) Setup(string kernel, string rule)
    {
        var net = new Network(Sizes[0], [new LayerSpec(Sizes[1], new Tanh()), new LayerSpec(Sizes[2], new Tanh()), new LayerSpec(Sizes[3], new Identity())],
            ExternalTools.MatrixProduct(kernel));   // fails naming libopenblas0 when OpenBLAS is missing
        for (int l = 1; l <= 3; l++)
        {
            var layer = net.Layers[l - 1];
            for (int i = 0; i < layer.Weights.Length; i++) layer.Weights[i] = (float)(0.5 * Math.Sin(1.3 * i + l) / Math.Sqrt(layer.Inputs));
            for (int i = 0; i < layer.Bias!.Length; i++) layer.Bias[i] = (float)(0.1 * Math.Cos(0.9 * i + l));
        }
        var r = Rule(rule);
        r.Prepare(net, 1);
        if (r is FeedbackAlignment fa)
        {
            for (int l = 2; l <= 3; l++)
            {
                double[] b = fa.FeedbackWeights[l - 2];
                int below = Sizes[l - 1];
                for (int i = 0; i < b.Length; i++) b[i] = (float)(0.5 * Math.Cos(0.7 * i + l) / Math.Sqrt(below));
            }
        }
        var optimiser = new SgdMomentum(0.01, 0.9);
        optimiser.Prepare(net);
        var trainer = new Trainer(net, r, optimiser, new SoftmaxCrossEntropy(), Batch);
        var x = new float[Batch * Sizes[0]];
        for (int i = 0; i < x.Length; i++) x[i] = (float)Math.Cos(0.7 * i);
        var y = new float[Batch * Sizes[3]];
        for (int row = 0; row < Batch; row++) y[row * Sizes[3] + 3 * row % Sizes[3]] = 1;
        return (trainer, x, y);
    }

    /// <summary>
    /// Reference: PyTorch 1.13 float32 (tests/data/torch_float32_gradients.json, written by
    /// tests/reference/torch_float32_gradients.py): backprop by autograd, feedback alignment by float32 matmuls. Tolerance:
    /// per tensor, 1e-5 × its largest |entry| (float32 ε = 6e-8; sums of ≤ 20 products in another order and tanh/exp from
    /// another library differ by a few ε relative to the largest term); the loss to 1e-6 relative.
    /// </summary>
    [TestCaseSource(nameof(Cases))]
    public void UpdatesMatchPyTorchFloat32(string kernel, string rule)
    {
        var (trainer, x, y) = Setup(kernel, rule);
        var f32 = new PrecisionTrainer<float>(trainer);
        double loss = f32.ComputeUpdates(x, y, Batch);
        using var reference = JsonDocument.Parse(File.ReadAllText(TestPaths.Data("torch_float32_gradients.json")));
        Assert.That(loss, Is.EqualTo(reference.RootElement.GetProperty("loss").GetDouble()).Within(1e-6).Percent.Or.EqualTo(reference.RootElement.GetProperty("loss").GetDouble()).Within(2e-6));
        var expected = reference.RootElement.GetProperty(rule);
        for (int l = 1; l <= 3; l++)
        {
            Check(f32.WeightGradient(l), expected.GetProperty($"W{l}"), $"{rule} W{l} ({kernel})");
            Check(f32.BiasGradient(l), expected.GetProperty($"b{l}"), $"{rule} b{l} ({kernel})");
        }
    }

    private static void Check(ReadOnlySpan<float> actual, JsonElement expected, string what)
    {
        double[] e = [.. expected.EnumerateArray().Select(v => v.GetDouble())];
        Assert.That(actual.Length, Is.EqualTo(e.Length), what);
        double scale = e.Max(Math.Abs), worst = 0;
        for (int i = 0; i < e.Length; i++) worst = Math.Max(worst, Math.Abs(actual[i] - e[i]));
        TestContext.Out.WriteLine($"{what}: max |Δ| = {worst:E2} of max |g| = {scale:E2}");
        Assert.That(worst, Is.LessThanOrEqualTo(1e-5 * scale), what);
    }

    /// <summary>
    /// The generic trainer with T = double is the float64 trainer operation for operation: the same updates bit for bit
    /// (reference: <see cref="ICreditAssignmentRule.ComputeUpdates"/> of backprop, FA, DFA on the float64 tape). The float32
    /// updates agree with them to 1e-5 × the tensor's largest |entry| (float32 rounding of inputs, weights and sums).
    /// </summary>
    [TestCase("managed", "backprop")]
    [TestCase("managed", "feedback-alignment")]
    [TestCase("managed", "direct-feedback-alignment")]
    [TestCase("openblas", "direct-feedback-alignment")]
    public void Float32AndGenericFloat64MatchTheFloat64Rule(string kernel, string rule)
    {
        var (trainer, x, y) = Setup(kernel, rule);
        double[] xd = Array.ConvertAll(x, v => (double)v), yd = Array.ConvertAll(y, v => (double)v);
        trainer.Network.Forward(xd, Batch, trainer.Tape);
        trainer.Loss.Evaluate(trainer.Network, trainer.Tape, yd);
        trainer.Rule.ComputeUpdates(trainer.Network, trainer.Tape, trainer.Gradients);
        var f64 = new PrecisionTrainer<double>(trainer);
        f64.ComputeUpdates(xd, yd, Batch);
        var f32 = new PrecisionTrainer<float>(trainer);
        f32.ComputeUpdates(x, y, Batch);
        for (int l = 1; l <= 3; l++)
        {
            double[] reference = trainer.Gradients.Weights[l - 1];
            Assert.That(f64.WeightGradient(l).ToArray(), Is.EqualTo(reference), $"{rule}: generic double W{l} bit for bit");
            Assert.That(f64.BiasGradient(l).ToArray(), Is.EqualTo(trainer.Gradients.Bias[l - 1]), $"{rule}: generic double b{l} bit for bit");
            double scale = reference.Max(Math.Abs), worst = 0;
            var g = f32.WeightGradient(l);
            for (int i = 0; i < reference.Length; i++) worst = Math.Max(worst, Math.Abs(g[i] - reference[i]));
            TestContext.Out.WriteLine($"{rule} W{l}: float32 vs float64 max |Δ| = {worst:E2} of {scale:E2}");
            Assert.That(worst, Is.LessThanOrEqualTo(1e-5 * scale), $"{rule}: float32 W{l} against float64");
        }
    }

    private static (Trainer Trainer, Dataset Train, Dataset Test) Fashion(string rule, ulong seed)
    {
        var (train, test) = FashionMnistData.Load();
        train = FashionMnistData.First(train, 6000);
        test = FashionMnistData.First(test, 2000);
        var net = new Network(784, [new LayerSpec(64, new Tanh()), new LayerSpec(10, new Identity())], new ManagedMatrixProduct());
        net.Initialise(seed);
        var r = Rule(rule);
        r.Prepare(net, seed);
        var optimiser = new Adam(1e-3);
        optimiser.Prepare(net);
        return (new Trainer(net, r, optimiser, new SoftmaxCrossEntropy(), 64), train, test);
    }

    /// <summary>
    /// A short Fashion-MNIST run (784-64-10 tanh, Adam 1e-3, batch 64, 6000 training / 2000 test samples, 2 epochs, same
    /// seed, initial weights and data order): float32 reaches the float64 test accuracy within 1 point (the issue asks 0.5
    /// points for the mean of 5-epoch runs on the full set; a single short run on 2000 test samples has ±0.5 points from
    /// rounding-induced divergence of the trajectories alone, measured 0.0-0.4).
    /// </summary>
    [TestCase("backprop")]
    [TestCase("direct-feedback-alignment")]
    public void ShortFashionRunReachesTheFloat64Accuracy(string rule)
    {
        var options = new TrainingOptions { Epochs = 2, BatchSize = 64, Seed = 3 };
        var (t64, train, test) = Fashion(rule, 3);
        double a64 = t64.Train(train, test, options).Epochs[^1].TestAccuracy;
        var (t32, _, _) = Fashion(rule, 3);
        double a32 = new PrecisionTrainer<float>(t32).Train(train, test, options).Epochs[^1].TestAccuracy;
        TestContext.Out.WriteLine($"{rule}: float64 {a64:F4}, float32 {a32:F4}");
        Assert.That(a32, Is.EqualTo(a64).Within(0.01));
        Assert.That(a64, Is.GreaterThan(0.7), "the run learns (chance is 0.1; measured 0.81 backprop, 0.75 DFA)");
    }

    /// <summary>Checkpoint and resume in float32: 2 epochs straight equal, bit for bit, 1 epoch, a snapshot of the float64
    /// network, rule and optimiser (the float32 state written back exactly), fresh objects loaded from it, and epoch 2.</summary>
    [Test]
    public void ResumeIsBitIdentical()
    {
        var train = FashionMnistData.First(FashionMnistData.Load().Train, 1000);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 64, Seed = 5, Evaluate = false };
        var (straight, _, _) = Fashion("backprop", 5);
        new PrecisionTrainer<float>(straight).Train(train, null, options);

        var (first, _, _) = Fashion("backprop", 5);
        new PrecisionTrainer<float>(first).Train(train, null, options with { Epochs = 1 });
        var snapshot = new StateSnapshot();
        first.Network.SaveState(snapshot, "net/");
        first.Rule.SaveState(snapshot, "rule/");
        first.Optimiser.SaveState(snapshot, "opt/");
        var (resumed, _, _) = Fashion("backprop", 99);   // other initial weights: everything must come from the snapshot
        resumed.Network.LoadState(snapshot, "net/");
        resumed.Rule.LoadState(snapshot, "rule/");
        resumed.Optimiser.LoadState(snapshot, "opt/");
        new PrecisionTrainer<float>(resumed).Train(train, null, options with { FirstEpoch = 2 });
        for (int l = 0; l < 2; l++)
        {
            Assert.That(resumed.Network.Layers[l].Weights, Is.EqualTo(straight.Network.Layers[l].Weights), $"W{l + 1}");
            Assert.That(resumed.Network.Layers[l].Bias, Is.EqualTo(straight.Network.Layers[l].Bias), $"b{l + 1}");
        }
        Assert.That(straight.Network.Layers[0].Weights.All(w => (float)w == w), "the float64 record holds float32 values");
    }

    /// <summary>
    /// The activations softplus, hard-sigmoid and unit-clip and the optimiser RMSprop (those of the microcircuit and infomax
    /// comparison files): 20-16-12-8-5 with one of each and a linear output, softmax cross-entropy, backprop, RMSprop (lr 1e-3),
    /// 3 steps on one minibatch. Reference: the float64 <see cref="Trainer.Step"/>. T = double ends with the same weights bit for
    /// bit; float32's are within 1e-6 of them (3 steps of ≤ lr each, RMSprop's g/√v insensitive to the gradients' ~1e-6 relative
    /// float32 error; measured, printed).
    /// </summary>
    [Test]
    public void SoftplusHardSigmoidUnitClipAndRmsPropMatchTheFloat64Trainer()
    {
        const int steps = 3;
        int[] sizes = [20, 16, 12, 8, 5];
        Trainer Make()
        {
            var net = new Network(sizes[0], [new LayerSpec(sizes[1], new Softplus()), new LayerSpec(sizes[2], new HardSigmoid()),
                new LayerSpec(sizes[3], new UnitClip()), new LayerSpec(sizes[4], new Identity())], new ManagedMatrixProduct());
            for (int l = 1; l <= 4; l++)
            {
                var layer = net.Layers[l - 1];
                for (int i = 0; i < layer.Weights.Length; i++) layer.Weights[i] = (float)(2.0 * Math.Sin(1.3 * i + l) / Math.Sqrt(layer.Inputs));
                for (int i = 0; i < layer.Bias!.Length; i++) layer.Bias[i] = (float)(0.3 * Math.Cos(0.9 * i + l));
            }
            var rule = new Backpropagation();
            rule.Prepare(net, 1);
            var optimiser = new RmsProp(1e-3);
            optimiser.Prepare(net);
            return new Trainer(net, rule, optimiser, new SoftmaxCrossEntropy(), Batch);
        }
        var x = new float[Batch * sizes[0]];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(2 * Math.Cos(0.7 * i));
        var y = new float[Batch * sizes[4]];
        for (int row = 0; row < Batch; row++) y[row * sizes[4] + 3 * row % sizes[4]] = 1;
        double[] xd = Array.ConvertAll(x, v => (double)v), yd = Array.ConvertAll(y, v => (double)v);
        var (t64, tGeneric, t32) = (Make(), Make(), Make());
        var generic = new PrecisionTrainer<double>(tGeneric);
        var single = new PrecisionTrainer<float>(t32);
        for (int s = 0; s < steps; s++)
        {
            Assert.That(generic.Step(xd, yd, Batch), Is.EqualTo(t64.Step(xd, yd, Batch)), $"step {s + 1}: loss");
            single.Step(x, y, Batch);
        }
        generic.Push();
        single.Push();
        var start = Make();
        for (int l = 0; l < 4; l++)
        {
            double[] w64 = t64.Network.Layers[l].Weights, w32 = t32.Network.Layers[l].Weights, w0 = start.Network.Layers[l].Weights;
            Assert.That(tGeneric.Network.Layers[l].Weights, Is.EqualTo(w64), $"generic double W{l + 1} bit for bit");
            Assert.That(tGeneric.Network.Layers[l].Bias, Is.EqualTo(t64.Network.Layers[l].Bias), $"generic double b{l + 1} bit for bit");
            double worst = 0, moved = 0;
            for (int i = 0; i < w64.Length; i++) { worst = Math.Max(worst, Math.Abs(w32[i] - w64[i])); moved = Math.Max(moved, Math.Abs(w64[i] - w0[i])); }
            TestContext.Out.WriteLine($"W{l + 1} ({t64.Network.Layers[l].Activation.Name}): float32 vs float64 max |Δ| = {worst:E2}, moved ≤ {moved:E2}");
            Assert.That(moved, Is.GreaterThan(1e-4), $"W{l + 1} moved");
            Assert.That(worst, Is.LessThanOrEqualTo(1e-6), $"float32 W{l + 1}");
        }
    }

    /// <summary>Rules without a float32 implementation are refused by name.</summary>
    [Test]
    public void OtherRulesAreRefused()
    {
        var (trainer, _, _) = Setup("managed", "backprop");
        var other = new Trainer(trainer.Network, new StochasticBackprop(), trainer.Optimiser, trainer.Loss, Batch);
        var e = Assert.Throws<NotSupportedException>(() => _ = new PrecisionTrainer<float>(other))!;
        Assert.That(e.Message, Does.Contain("backprop, feedback-alignment, direct-feedback-alignment, gait-prop, itp, correlative-infomax").And.Contain("StochasticBackprop"));
    }
}
