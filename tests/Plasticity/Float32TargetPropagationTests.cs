using BioSim.Engine.Numerics;
using BioSim.Engine.Random;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;
using BioSim.Tests.IO;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity;

/// <summary>
/// Issue 18 item 4: GAIT-prop and ITP in float32 (<see cref="PrecisionTrainer{T}"/>). The generic trainer with T = double
/// is the float64 rule operation for operation (same bits); float32 agrees with float64 to a tolerance set by float32's
/// ε, on four layers, where the lowest layer's target step is O(γ³) = 1e-9 of the activity.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class Float32TargetPropagationTests
{
    private const int Width = 24, Depth = 4, Batch = 12, Classes = 10;

    public static IEnumerable<TestCaseData> Cases()
    {
        yield return new TestCaseData("managed", "gait-prop", 0.1).SetArgDisplayNames("managed", "gait-prop", "λ 0.1");
        yield return new TestCaseData("managed", "gait-prop", 0.0).SetArgDisplayNames("managed", "gait-prop", "λ 0");
        yield return new TestCaseData("managed", "itp", 0.0).SetArgDisplayNames("managed", "itp", "λ 0");
        yield return new TestCaseData("openblas", "gait-prop", 0.1).SetArgDisplayNames("openblas", "gait-prop", "λ 0.1");
        yield return new TestCaseData("openblas", "itp", 0.1).SetArgDisplayNames("openblas", "itp", "λ 0.1");
    }

    /// <summary>Four square leaky-ReLU (0.1) layers of 24 units, 10 task outputs and 14 auxiliary ones (mse), orthogonal weights
    /// perturbed by 5% (so W⁻¹ ≠ Wᵀ) and biases of 0.1, γ = 1e-3, Adam without bias correction (the paper's optimiser). Every
    /// weight, bias and input is a float value, so float32 and float64 start from the same numbers.</summary>
    private static (Trainer Trainer, float[] X, float[] Y) Setup(string kernel, string rule, double orthogonality)
    {
        var net = new Network(Width, [.. Enumerable.Range(0, Depth).Select(_ => new LayerSpec(Width, new LeakyRelu(0.1)))],
            ExternalTools.MatrixProduct(kernel));   // fails naming libopenblas0 when OpenBLAS is missing
        GaitProp.InitialiseOrthogonal(net, 7);
        var rng = new RandomStream(7, "test", "float32-gait");
        foreach (var layer in net.Layers)
        {
            for (int i = 0; i < layer.Weights.Length; i++) layer.Weights[i] = (float)(layer.Weights[i] + 0.05 * rng.NextGaussian() / Math.Sqrt(Width));
            for (int i = 0; i < layer.Bias!.Length; i++) layer.Bias[i] = (float)(0.1 * rng.NextGaussian());
        }
        GaitProp r = rule == "itp" ? new IncrementalTargetPropagation { Orthogonality = orthogonality } : new GaitProp { Orthogonality = orthogonality };
        r.Prepare(net, 1);
        var optimiser = new Adam(1e-3, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, biasCorrection: false);
        optimiser.Prepare(net);
        var trainer = new Trainer(net, r, optimiser, new MeanSquaredError(taskOutputs: Classes), Batch);
        var x = new float[Batch * Width];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        var y = new float[Batch * Classes];
        for (int row = 0; row < Batch; row++) y[row * Classes + (int)rng.NextUInt32(Classes)] = 1;
        return (trainer, x, y);
    }

    private static double MaxDifference(ReadOnlySpan<float> a, double[] b)
    {
        double worst = 0;
        for (int i = 0; i < b.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        return worst;
    }

    /// <summary>
    /// One minibatch's updates. Reference: the float64 rule's <see cref="GaitProp.ComputeUpdates"/> on the float64 tape (itself
    /// checked against naive loops from the paper's equations in GaitPropTests and IncrementalTargetPropagationTests). The
    /// generic trainer with T = double gives the same bits; float32 agrees per tensor to 2e-5 × its largest |entry|: float32
    /// rounds the forward pass (ε = 6e-8 per operation, sums of 24 terms), W⁻¹ (rounded from double) and the rescaled errors,
    /// a few ε per layer through four layers (ITP's lower layers, whose errors carry 1/f′ = 10 per layer, the most); measured
    /// ≤ 4e-7 for GAIT-prop and ≤ 3e-6 for ITP (printed). The lowest layer's target step is γ³ ≈ 1e-9 of
    /// the activity: taking f⁻¹(y) − f⁻¹(y − step) as the difference of the two rounded floats would leave no digit of it.
    /// </summary>
    [TestCaseSource(nameof(Cases))]
    public void Float32AndGenericFloat64MatchTheFloat64Rule(string kernel, string rule, double orthogonality)
    {
        var (trainer, x, y) = Setup(kernel, rule, orthogonality);
        double[] xd = Array.ConvertAll(x, v => (double)v), yd = Array.ConvertAll(y, v => (double)v);
        trainer.Network.Forward(xd, Batch, trainer.Tape);
        double loss64 = trainer.Loss.Evaluate(trainer.Network, trainer.Tape, yd);
        trainer.Rule.ComputeUpdates(trainer.Network, trainer.Tape, trainer.Gradients);
        var f64 = new PrecisionTrainer<double>(trainer);
        Assert.That(f64.ComputeUpdates(xd, yd, Batch), Is.EqualTo(loss64), "generic double loss bit for bit");
        var f32 = new PrecisionTrainer<float>(trainer);
        double loss32 = f32.ComputeUpdates(x, y, Batch);
        Assert.That(loss32, Is.EqualTo(loss64).Within(1e-5).Percent, "float32 loss");
        for (int l = 1; l <= Depth; l++)
        {
            double[] reference = trainer.Gradients.Weights[l - 1], bias = trainer.Gradients.Bias[l - 1]!;
            Assert.That(f64.WeightGradient(l).ToArray(), Is.EqualTo(reference), $"{rule}: generic double W{l} bit for bit");
            Assert.That(f64.BiasGradient(l).ToArray(), Is.EqualTo(bias), $"{rule}: generic double b{l} bit for bit");
            double scale = reference.Max(Math.Abs), worst = MaxDifference(f32.WeightGradient(l), reference);
            double biasScale = bias.Max(Math.Abs), biasWorst = MaxDifference(f32.BiasGradient(l), bias);
            TestContext.Out.WriteLine($"{rule} λ {orthogonality} ({kernel}) W{l}: float32 vs float64 max |Δ| = {worst:E2} of {scale:E2}; b{l}: {biasWorst:E2} of {biasScale:E2}");
            Assert.That(scale, Is.GreaterThan(0), $"W{l} has an update");
            Assert.That(worst, Is.LessThanOrEqualTo(2e-5 * scale), $"{rule}: float32 W{l} against float64");
            Assert.That(biasWorst, Is.LessThanOrEqualTo(2e-5 * biasScale), $"{rule}: float32 b{l} against float64");
        }
    }

    /// <summary>
    /// Five optimiser steps on the same minibatch, each followed by the refresh of the layer inverses. Reference: the float64
    /// <see cref="Trainer.Step"/> (rule, Adam without bias correction, <see cref="GaitProp.AfterUpdate"/>). T = double ends
    /// with the same weights and the same inverses, bit for bit; float32's weights are within 1e-6 of float64's (the steps
    /// move each weight by ≤ 5 × lr = 5e-3, and Adam's step is insensitive to the updates' relative error of ~1e-6;
    /// measured ≤ 1e-7, printed), and float32's inverses, pushed into the rule, are within 1e-5 of the float64 rule's.
    /// </summary>
    [TestCase("gait-prop")]
    [TestCase("itp")]
    public void StepsWithInverseRefreshMatchTheFloat64Trainer(string rule)
    {
        const int steps = 5;
        var (t64, x, y) = Setup("managed", rule, 0.1);
        var (tGeneric, _, _) = Setup("managed", rule, 0.1);
        var (t32, _, _) = Setup("managed", rule, 0.1);
        double[] xd = Array.ConvertAll(x, v => (double)v), yd = Array.ConvertAll(y, v => (double)v);
        var generic = new PrecisionTrainer<double>(tGeneric);
        var single = new PrecisionTrainer<float>(t32);
        for (int s = 0; s < steps; s++)
        {
            double loss = t64.Step(xd, yd, Batch);
            Assert.That(generic.Step(xd, yd, Batch), Is.EqualTo(loss), $"step {s + 1}: generic double loss");
            single.Step(x, y, Batch);
        }
        generic.Push();
        single.Push();
        var inverses64 = ((GaitProp)t64.Rule).Inverses;
        var (initial, _, _) = Setup("managed", rule, 0.1);
        for (int l = 1; l <= Depth; l++)
        {
            var w64 = t64.Network.Layers[l - 1].Weights;
            Assert.That(tGeneric.Network.Layers[l - 1].Weights, Is.EqualTo(w64), $"{rule}: generic double W{l} after {steps} steps");
            Assert.That(tGeneric.Network.Layers[l - 1].Bias, Is.EqualTo(t64.Network.Layers[l - 1].Bias), $"{rule}: generic double b{l}");
            double worst = MaxDifference(Array.ConvertAll(t32.Network.Layers[l - 1].Weights, v => (float)v), w64);
            double moved = 0;
            double[] start = initial.Network.Layers[l - 1].Weights;
            for (int i = 0; i < w64.Length; i++) moved = Math.Max(moved, Math.Abs(w64[i] - start[i]));
            TestContext.Out.WriteLine($"{rule} W{l}: float32 vs float64 after {steps} steps max |Δ| = {worst:E2} (weights moved ≤ {moved:E2})");
            Assert.That(moved, Is.GreaterThan(1e-4), $"W{l} moved");
            Assert.That(worst, Is.LessThanOrEqualTo(1e-6), $"{rule}: float32 W{l} after {steps} steps");
            if (l >= 2)
            {
                Assert.That(((GaitProp)tGeneric.Rule).Inverses[l - 1], Is.EqualTo(inverses64[l - 1]), $"{rule}: generic double W{l}⁻¹ bit for bit");
                double invWorst = MaxDifference(Array.ConvertAll(((GaitProp)t32.Rule).Inverses[l - 1], v => (float)v), inverses64[l - 1]);
                Assert.That(invWorst, Is.LessThanOrEqualTo(1e-5), $"{rule}: float32 W{l}⁻¹");
            }
        }
    }

    /// <summary>With the identity activation ITP and GAIT-prop hand down the same targets (f′ = 1, so k = γ in both): the float32
    /// trainer gives them the same bits, as the float64 rules do (IncrementalTargetPropagationTests).</summary>
    [Test]
    public void ItpIsGaitPropWithTheIdentityInFloat32()
    {
        float[][] updates = new float[2][];
        for (int which = 0; which < 2; which++)
        {
            var net = new Network(Width, [.. Enumerable.Range(0, Depth).Select(_ => new LayerSpec(Width, new Identity()))], new ManagedMatrixProduct());
            GaitProp.InitialiseOrthogonal(net, 3);
            foreach (var layer in net.Layers) for (int i = 0; i < layer.Weights.Length; i++) layer.Weights[i] = (float)layer.Weights[i];
            GaitProp rule = which == 0 ? new GaitProp() : new IncrementalTargetPropagation();
            rule.Prepare(net, 1);
            var optimiser = new Adam(1e-3);
            optimiser.Prepare(net);
            var f32 = new PrecisionTrainer<float>(new Trainer(net, rule, optimiser, new MeanSquaredError(taskOutputs: Classes), Batch));
            var (_, x, y) = Setup("managed", "gait-prop", 0);
            f32.ComputeUpdates(x, y, Batch);
            updates[which] = f32.WeightGradient(1).ToArray();
        }
        Assert.That(updates[1], Is.EqualTo(updates[0]));
        Assert.That(updates[0].Max(Math.Abs), Is.GreaterThan(0f));
    }
}
