using BioSim.Engine.Numerics;
using BioSim.Engine.Random;
using BioSim.Plasticity.Cores;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity.Cores;

/// <summary>Cores trained as probabilities (issue 16, item 2): the gradient of the Gaussian-approximation network against
/// central finite differences, and the approximation against sampled binary networks.</summary>
[TestFixture]
public sealed class ProbabilisticCoreTests
{
    /// <summary>Two input cores on overlapping windows of a 12-value input, 5 neurons each, into an output core of 6 neurons
    /// (3 classes × 2); random c in (0.05, 0.95), leaks in [−1, 1], inputs in [0, 1].</summary>
    private static (ProbabilisticCoreNetwork Net, double[] X, int[] Labels) Tiny()
    {
        var stream = new RandomStream(8, "cores-test", "tiny");
        var first = CoreTopology.Random([0, 1, 2, 3, 4, 5, 6, 7], 5, ref stream);
        var second = CoreTopology.Random([4, 5, 6, 7, 8, 9, 10, 11], 5, ref stream);
        var output = CoreTopology.Random([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 6, ref stream);
        var net = new ProbabilisticCoreNetwork([[first, second], [output]], 12, 3, 2, new ManagedMatrixProduct());
        foreach (var core in new[] { first, second, output })
        {
            for (int k = 0; k < core.Axons * core.Neurons; k++) net.Parameters[core.Offset + k] = 0.05 + 0.9 * stream.NextDouble();
            for (int j = 0; j < core.Neurons; j++) net.Parameters[core.Offset + core.Axons * core.Neurons + j] = 2 * stream.NextDouble() - 1;
        }
        double[] x = [.. Enumerable.Range(0, 4 * 12).Select(_ => stream.NextDouble())];
        return (net, x, [0, 2, 1, 2]);
    }

    /// <summary>
    /// "Clip after each update" (item 2): SGD steps at a learning rate of 50 on the tiny network push many connection
    /// probabilities past 0 and 1 and leaks past ±255 in a single update; after every step each c lies in [0, 1] and each leak
    /// in [−255, 255], and some sit exactly on a bound (the clip acted, rather than the step being too small to matter).
    /// </summary>
    [Test]
    public void EveryUpdateIsClippedIntoTheAllowedRange()
    {
        var (net, x, labels) = Tiny();
        var data = new BioSim.Plasticity.Data.Dataset("tiny", 12, [.. x.Select(v => (float)v)], labels, 3);
        var problem = new CoreTrainingProblem(net, data, null, new BioSim.Plasticity.Optimisers.SgdMomentum(learningRate: 50));
        int onBound = 0;
        for (int step = 0; step < 5; step++)
        {
            problem.Step([0, 1, 2, 3]);
            for (int k = 0; k < net.Parameters.Length; k++)
            {
                bool leak = net.Layers.SelectMany(l => l).Any(c => k >= c.Offset + c.Axons * c.Neurons && k < c.Offset + c.Axons * c.Neurons + c.Neurons);
                double lo = leak ? -255 : 0, hi = leak ? 255 : 1;
                Assert.That(net.Parameters[k], Is.InRange(lo, hi), $"step {step}, parameter {k} ({(leak ? "leak" : "c")})");
                if (!leak && net.Parameters[k] is 0.0 or 1.0) onBound++;
            }
        }
        TestContext.Out.WriteLine($"{onBound} connection probabilities on a bound over 5 steps");
        Assert.That(onBound, Is.GreaterThan(10), "the steps reached past the bounds");
    }

    [Test]
    public void TheGradientEqualsCentralFiniteDifferences()
    {
        var (net, x, labels) = Tiny();
        net.LossAndGradient(x, labels);
        double[] analytic = [.. net.Gradient];
        double worst = 0;
        for (int k = 0; k < net.Parameters.Length; k++)
        {
            double keep = net.Parameters[k], h = 1e-5;
            net.Parameters[k] = keep + h;
            double up = net.LossAndGradient(x, labels);
            net.Parameters[k] = keep - h;
            double down = net.LossAndGradient(x, labels);
            net.Parameters[k] = keep;
            double numeric = (up - down) / (2 * h);
            double error = Math.Abs(numeric - analytic[k]) / Math.Max(1e-6, Math.Abs(numeric) + Math.Abs(analytic[k]));
            worst = Math.Max(worst, error);
            Assert.That(analytic[k], Is.EqualTo(numeric).Within(1e-7 + 1e-5 * Math.Abs(numeric)), $"parameter {k}");
        }
        TestContext.Out.WriteLine($"{net.Parameters.Length} parameters, worst relative error {worst:E2}");
        Assert.That(analytic.Count(g => Math.Abs(g) > 1e-4), Is.GreaterThan(net.Parameters.Length / 2), "most parameters matter");
    }

    /// <summary>The approximation describes the deployed model: for one core, the spike probability of each neuron
    /// estimated from 20 000 sampled binary crossbars and input spikes (integer input current plus the rounded leak ≥ α)
    /// lies within 0.08 of Φ((μ − α + ½)/√(σ² + floor)) with floor 1 (a Gaussian for a sum of 8 Bernoulli terms; measured
    /// worst difference 0.030).</summary>
    [Test]
    public void TheGaussianApproximationMatchesSampledBinaryNetworks()
    {
        var (net, x, _) = Tiny();
        var core = net.Layers[0][0];
        for (int j = 0; j < core.Neurons; j++) net.Parameters[core.Offset + core.Axons * core.Neurons + j] = Math.Round(net.Parameters[core.Offset + core.Axons * core.Neurons + j]);
        net.Forward(x.AsSpan(0, 12), 1);
        // the first layer's output for sample 0: the first 5 values of the second layer's input
        var stream = new RandomStream(9, "cores-test", "sampling");
        var counts = new int[core.Neurons];
        const int samples = 20_000;
        for (int s = 0; s < samples; s++)
        {
            for (int j = 0; j < core.Neurons; j++)
            {
                double current = net.Parameters[core.Offset + core.Axons * core.Neurons + j];
                for (int i = 0; i < core.Axons; i++)
                {
                    bool spike = stream.NextDouble() < x[core.Inputs[i]];
                    bool connected = stream.NextDouble() < net.Parameters[core.Offset + i * core.Neurons + j];
                    if (spike && connected) current += core.S[i * core.Neurons + j];
                }
                if (current >= net.Threshold) counts[j]++;
            }
        }
        double worst = 0;
        for (int j = 0; j < core.Neurons; j++)
        {
            double mu = net.Parameters[core.Offset + core.Axons * core.Neurons + j], variance = 0;
            for (int i = 0; i < core.Axons; i++)
            {
                double q = x[core.Inputs[i]] * net.Parameters[core.Offset + i * core.Neurons + j];
                mu += q * core.S[i * core.Neurons + j];
                variance += q * (1 - q) * core.S2[i * core.Neurons + j];
            }
            double predicted = 0.5 * MathNet.Numerics.SpecialFunctions.Erfc(-(mu - net.Threshold + 0.5) / Math.Sqrt(variance + 1) / Math.Sqrt(2));
            double measured = (double)counts[j] / samples;
            worst = Math.Max(worst, Math.Abs(predicted - measured));
        }
        TestContext.Out.WriteLine($"worst |P_gauss − P_sampled| = {worst:F4}");
        Assert.That(worst, Is.LessThan(0.08));
    }
}

/// <summary>
/// The 5-core network of Esser et al. (2015) on Fashion-MNIST (Debian dataset-fashion-mnist), trained as probabilities
/// through the one training loop (Adam, lr 0.01 halved every epoch, batch 64, 3 epochs): the probabilistic network's test accuracy reaches
/// the issue's 0.85 (measured 0.824 after one epoch, 0.853 after two, on machine B; about 30 s per epoch there under load).
/// </summary>
[TestFixture, Category("Validation")]
public sealed class CoreFashionTrainingTests
{
    [Test]
    public void FiveCoresTrainedAsProbabilitiesReach85PercentOnFashionMnist()
    {
        var (train, test) = BioSim.IO.Datasets.FashionMnist.Load();
        var net = new ProbabilisticCoreNetwork(CoreTopology.FiveCoreFrame(new RandomStream(1, "cores", "topology")), 784, 10, 25, MatrixProducts.CreateDefault());
        net.Initialise(new RandomStream(1, "cores", "init"));
        var problem = new CoreTrainingProblem(net, train, test, new BioSim.Plasticity.Optimisers.Adam(learningRate: 0.01));
        var history = BioSim.Plasticity.Training.TrainingLoop.Run(problem, new BioSim.Plasticity.Training.TrainingOptions
        {
            Epochs = 3, BatchSize = 64, Seed = 1, Schedule = new BioSim.Plasticity.Training.LearningRateSchedule([new(1, 0.5)]),
            EpochCompleted = e => TestContext.Progress.WriteLine($"epoch {e.Epoch}: train loss {e.TrainLoss:F4}, test accuracy {e.TestAccuracy:F4}"),
        });
        double shadow = history.Epochs[^1].TestAccuracy;
        Assert.That(shadow, Is.GreaterThanOrEqualTo(0.85));
        Assert.That(net.Parameters.All(p => p >= -255 && p <= 255), Is.True);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ensembles = CoreDeployment.Run(net, test, 64, [1, 4, 16, 64], seed: 1, threads: 2);
        foreach (var e in ensembles)
        {
            TestContext.Progress.WriteLine($"{e.Copies} copies: accuracy {e.TestAccuracy:F4}, {e.EnergyMicrojoulesPerImage:F3} µJ per image ({e.SynapticEventsPerImage:F0} events)");
        }
        TestContext.Progress.WriteLine($"deployment of 64 copies on {test.Count} images: {clock.Elapsed.TotalSeconds:F1} s");
        for (int k = 1; k < ensembles.Count; k++) Assert.That(ensembles[k].TestAccuracy, Is.GreaterThan(ensembles[k - 1].TestAccuracy), "ensembles improve strictly");
        Assert.That(ensembles[0].TestAccuracy, Is.LessThan(shadow - 0.05), "one copy is far below the probabilistic network");
        Assert.That(ensembles[^1].TestAccuracy, Is.GreaterThanOrEqualTo(shadow - 0.015), "64 copies are within 1.5 points of it");
    }
}
