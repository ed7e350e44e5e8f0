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
/// Reference: Song, Xu &amp; Lafferty (2021), "Convergence and Alignment of Gradient Descent with Random
/// Backpropagation Weights", NeurIPS 34. A two-layer net f(x) = (1/√p) Σ_r β_r tanh(w_rᵀx) on n unit-norm
/// inputs in d dimensions, trained by full-batch gradient descent on ½ Σ_i e_i² + (λ/2)‖β‖² where the
/// first layer receives the error through a fixed random b in place of β (feedback alignment). Their
/// results: without regularisation the error converges to zero exponentially fast (Thm. 1) but β does not
/// align with b, less so as p grows; regularisation makes β align with b (Thm. 3). Bounds from the issue
/// (n 50, d 20, p 1000, η 0.1): λ = 0 loss &lt; 1e-15 by 10 000 steps and cos∠(b, β) &lt; 0.3; λ = 0.01
/// cos &gt; 0.75; λ = 0.1 cos &gt; 0.85. Choices the issue leaves open, stated here: w_r, β_r, b_r ~ N(0, 1);
/// targets from a random tanh teacher (10 hidden units) scaled to unit RMS; the summed loss is our mean
/// MSE times n, so η = 0.1·n and the penalty λ/n are used on it. Measured (seed 1): λ = 0 loss 9e-23 and
/// cos 0.086; λ = 0.01 cos 0.766; λ = 0.1 cos 0.865 — near the bounds, so the bounds are the issue's, not ours.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class FeedbackAlignmentSongTests
{
    private const int N = 50, D = 20;

    private static Dataset Task()
    {
        var data = TeacherStudent.Tanh(D, 10, 1, N, 3, unitNormInputs: true);
        float[] y = data.Targets!;
        double rms = Math.Sqrt(y.Sum(v => (double)v * v) / N);
        var scaled = Array.ConvertAll(y, v => (float)(v / rms));
        return new Dataset("song-xu-lafferty", D, data.Inputs, scaled, 1);
    }

    private static (TrainingHistory History, double Cosine) Run(int p, double lambda, int steps, double eta = 0.1)
    {
        var product = MatrixProducts.CreateDefault();
        MatrixProducts.SetThreads(product, Environment.ProcessorCount);   // the same bits at any thread count (MatrixProductTests)
        var net = new Network(D, [new LayerSpec(p, new Tanh(), Bias: false), new LayerSpec(1, new Identity(), Bias: false, Scale: 1 / Math.Sqrt(p), L2: lambda / N)],
            product);
        foreach (var layer in net.Layers) net.Initialise(layer, new NormalDistribution(0, 1), 1);
        var fa = new FeedbackAlignment { Feedback = new NormalDistribution(0, 1) };
        fa.Prepare(net, 1);
        var optimiser = new SgdMomentum(eta * N);
        optimiser.Prepare(net);
        var trainer = new Trainer(net, fa, optimiser, new MeanSquaredError(), N);
        // One epoch = one full-batch step; the loss recorded is the one before the step.
        var history = trainer.Train(Task(), null, new TrainingOptions { Epochs = steps, BatchSize = N, Shuffle = false });
        double[] beta = net.Layers[1].Weights, b = fa.FeedbackWeights[0];
        double dot = 0, nb = 0, nbeta = 0;
        for (int r = 0; r < p; r++) { dot += b[r] * beta[r]; nb += b[r] * b[r]; nbeta += beta[r] * beta[r]; }
        return (history, dot / Math.Sqrt(nb * nbeta));
    }

    /// <summary>Exponential: every 1000 steps the loss falls by at least 10× until it reaches 1e-18 (measured ~60-100×).</summary>
    [Test]
    public void WithoutRegularisationTheLossFallsExponentiallyAndBetaStaysUnaligned()
    {
        var (history, cos) = Run(1000, 0.0, 10000);
        var loss = history.BatchLosses;
        TestContext.Out.WriteLine($"λ 0: loss {loss[^1]:E3} after {loss.Count} steps, cos∠(b, β) {cos:F3}");
        for (int s = 1000; s < loss.Count && loss[s - 1000] > 1e-18; s += 1000)
            Assert.That(loss[s], Is.LessThan(0.1 * loss[s - 1000]), $"steps {s - 1000} → {s}");
        Assert.That(loss[^1], Is.LessThan(1e-15));
        Assert.That(cos, Is.LessThan(0.3));
    }

    [TestCase(0.01, 0.75)]
    [TestCase(0.1, 0.85)]
    public void RegularisationAlignsBetaWithTheFeedbackWeights(double lambda, double minimum)
    {
        var (history, cos) = Run(1000, lambda, 10000);
        TestContext.Out.WriteLine($"λ {lambda}: loss {history.BatchLosses[^1]:E3}, cos∠(b, β) {cos:F3}");
        Assert.That(cos, Is.GreaterThan(minimum));
    }

    /// <summary>λ = 0: the alignment shrinks as p grows (100 → 1000 → 10 000). 2000 steps, by which the loss is
    /// below 1e-7 and the weights have nearly stopped moving, to keep p = 10 000 within a minute.</summary>
    [Test]
    public void WithoutRegularisationAlignmentShrinksWithWidth()
    {
        var cosines = new[] { 100, 1000, 10000 }.Select(p => Run(p, 0.0, 2000).Cosine).ToArray();
        TestContext.Out.WriteLine($"λ 0, p = 100, 1000, 10000: cos∠(b, β) = {string.Join(", ", cosines.Select(c => c.ToString("F3")))}");
        Assert.That(cosines[1], Is.LessThan(cosines[0]));
        Assert.That(cosines[2], Is.LessThan(cosines[1]));
    }

    [Test]
    public void DivergenceStopsTheRunNamingEpochBatchAndLayer()
    {
        var ex = Assert.Throws<TrainingDivergedException>(() => Run(100, 0.0, 1000, eta: 1000));
        TestContext.Out.WriteLine(ex!.Message);
        Assert.That(ex.Message, Does.Contain($"epoch {ex.Epoch}, batch 1").And.Contain("layer"));
        Assert.That(ex.History.BatchLosses, Has.Count.EqualTo(ex.Epoch), "the curve up to the failing step is kept");
    }
}
