using BioSim.Engine.Random;
using BioSim.Plasticity.Estimators;
using BioSim.Plasticity.Optimisers;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity.Estimators;

/// <summary>
/// Gradient estimators for stochastic categorical units against exact expectations (issue 16, item 4). Expected values of
/// the pathwise estimators are computed exactly by summing over the K categories of the sample; the true gradient is
/// J(π)·f with f_i = f(e_i) (d/dθ Σ_i π_i f(e_i)), and independently <see cref="ExactExpectation"/>'s enumeration.
/// </summary>
[TestFixture]
public sealed class DiscreteEstimatorTests
{
    private const int K = 5;

    /// <summary>A random quadratic f(D) = DᵀAD + bᵀD of a 5-category one-hot D, and its gradient (A + Aᵀ)D + b.</summary>
    private static (Func<double[], double> F, Func<double[], double[]> Grad, double[] Theta) Quadratic(int seed)
    {
        var random = new Random(seed);
        double Next() => 2 * random.NextDouble() - 1;
        var a = new double[K, K];
        var b = new double[K];
        var theta = new double[K];
        for (int i = 0; i < K; i++)
        {
            b[i] = Next();
            theta[i] = 1.5 * Next();
            for (int j = 0; j < K; j++) a[i, j] = Next();
        }
        double F(double[] d)
        {
            double sum = 0;
            for (int i = 0; i < K; i++)
            {
                sum += b[i] * d[i];
                for (int j = 0; j < K; j++) sum += d[i] * a[i, j] * d[j];
            }
            return sum;
        }
        double[] Grad(double[] d)
        {
            var g = new double[K];
            for (int i = 0; i < K; i++)
            {
                g[i] = b[i];
                for (int j = 0; j < K; j++) g[i] += (a[i, j] + a[j, i]) * d[j];
            }
            return g;
        }
        return (F, Grad, theta);
    }

    private static double[] OneHot(int i)
    {
        var d = new double[K];
        d[i] = 1;
        return d;
    }

    /// <summary>E_D[estimator] = Σ_i π_i · Backward(D = e_i), exactly.</summary>
    private static double[] ExpectedEstimate(IDiscreteGradientEstimator estimator, double[] theta, Func<double[], double[]> grad)
    {
        var pi = new double[K];
        Categorical.Softmax(theta, pi);
        var expected = new double[K];
        var g = new double[K];
        for (int i = 0; i < K; i++)
        {
            estimator.Backward(theta, K, [i], grad(OneHot(i)), g);
            for (int j = 0; j < K; j++) expected[j] += pi[i] * g[j];
        }
        return expected;
    }

    private static double Norm(double[] x) => Math.Sqrt(x.Sum(v => v * v));

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void ReinMaxIsExactInExpectationForAQuadraticWhileStraightThroughIsBiased(int seed)
    {
        var (f, grad, theta) = Quadratic(seed);
        var pi = new double[K];
        Categorical.Softmax(theta, pi);
        // the true gradient, J(π)·(f(e_1), …, f(e_K))
        var truth = new double[K];
        Categorical.AddJacobianProduct(pi, Enumerable.Range(0, K).Select(i => f(OneHot(i))).ToArray(), 1.0, truth);
        var enumerated = new double[K];
        ExactExpectation.Gradient(theta, K, d => f(OneHot(d[0])), enumerated);
        Assert.That(enumerated, Is.EqualTo(truth).Within(1e-14), "two exact routes agree");

        double[] reinmax = ExpectedEstimate(new ReinMax(), theta, grad);
        double[] straight = ExpectedEstimate(new StraightThrough(), theta, grad);
        Assert.That(reinmax, Is.EqualTo(truth).Within(1e-12), "ReinMax: second-order accurate, exact for a quadratic f");
        double bias = Norm(straight.Zip(truth, (s, t) => s - t).ToArray()) / Norm(truth);
        TestContext.Out.WriteLine($"seed {seed}: straight-through relative bias {bias:P1}");
        Assert.That(bias, Is.GreaterThan(0.05), "straight-through's expectation is off by more than 5 %");
    }

    /// <summary>
    /// Polynomial programming (Liu et al. 2023, §6): 128 binary variables z (2-category units, z = 1 for category 1), loss
    /// mean_i (z_i − 0.45)², Adam on the logits, one sample per step. The optimum is z = 0, loss 0.45² = 0.2025; straight-through's
    /// expected gradient 2(π₁ − 0.45) vanishes at π₁ = 0.45, where the expected loss is 0.2025 + 0.1·0.45 = 0.2475.
    /// </summary>
    [TestCase("reinmax", 0.2025)]
    [TestCase("straight-through", 0.2475)]
    public void PolynomialProgrammingEndsAtTheOptimumWithReinMaxAndAtItsFixedPointWithStraightThrough(string name, double expectedLoss)
    {
        const int units = 128;
        IDiscreteGradientEstimator estimator = name == "reinmax" ? new ReinMax() : new StraightThrough();
        var theta = new double[units * 2];
        var adam = new Adam(learningRate: 0.02);
        adam.Prepare(theta.Length);
        var stream = new RandomStream(42, "polynomial-programming", name);
        var sample = new int[units];
        var upstream = new double[units * 2];
        var gradient = new double[units * 2];
        for (int step = 0; step < 3000; step++)
        {
            Categorical.SampleLayer(theta, 2, sample, ref stream);
            for (int u = 0; u < units; u++) upstream[2 * u + 1] = 2 * (sample[u] - 0.45) / units;
            estimator.Backward(theta, 2, sample, upstream, gradient);
            adam.Step(theta, gradient);
        }
        var pi = new double[2];
        double loss = 0;
        for (int u = 0; u < units; u++)
        {
            Categorical.Softmax(theta.AsSpan(2 * u, 2), pi);
            loss += (pi[1] * 0.55 * 0.55 + pi[0] * 0.45 * 0.45) / units;
        }
        TestContext.Out.WriteLine($"{name}: expected loss {loss:F5}");
        Assert.That(loss, Is.EqualTo(expectedLoss).Within(0.02 * expectedLoss));
    }

    /// <summary>Score-function estimates of ∂E[f]/∂θ for 5 categories with costs c (f(D) = c_D, offset by 3 so that a baseline
    /// matters), from 20 000 independent samples: their mean lies within 3 standard errors of the true J(π)c in every
    /// component, with no baseline, with a running-mean baseline and with leave-one-out over batches of 4; the baselines
    /// cut the variance (measured: see output); a baseline made from the sample's own cost is biased (mean at half the
    /// gradient, measured 9.5 standard errors away in its worst component; asked: more than 5).</summary>
    [Test]
    public void ScoreFunctionEstimatesAreUnbiasedAndBaselinesCutTheirVariance()
    {
        const int samples = 20_000;
        var random = new Random(11);
        double[] theta = [.. Enumerable.Range(0, K).Select(_ => random.NextDouble() * 2 - 1)];
        double[] cost = [.. Enumerable.Range(0, K).Select(_ => 3 + random.NextDouble())];
        var pi = new double[K];
        Categorical.Softmax(theta, pi);
        var truth = new double[K];
        Categorical.AddJacobianProduct(pi, cost, 1.0, truth);

        (double[] Mean, double[] Se, double Variance) Estimate(string baselineKind)
        {
            var stream = new RandomStream(5, "score-function", baselineKind);
            var moving = new MovingAverageBaseline(0.99);
            var sum = new double[K];
            var sumSq = new double[K];
            var g = new double[K];
            var batchCosts = new double[4];
            var batchBaselines = new double[4];
            var batchSamples = new int[4];
            for (int n = 0; n < samples; n += 4)
            {
                for (int s = 0; s < 4; s++)
                {
                    batchSamples[s] = Categorical.Sample(pi, ref stream);
                    batchCosts[s] = cost[batchSamples[s]];
                }
                if (baselineKind == "leave-one-out") LeaveOneOutBaseline.Compute(batchCosts, batchBaselines);
                for (int s = 0; s < 4; s++)
                {
                    var graph = new SurrogateLoss();
                    int node = graph.AddStochastic(theta, K, [batchSamples[s]]);
                    graph.AddCost(batchCosts[s], node);
                    double b = baselineKind switch
                    {
                        "none" => 0,
                        "moving-average" => moving.Value,
                        "leave-one-out" => batchBaselines[s],
                        _ => 0.5 * batchCosts[s], // depends on the sample itself
                    };
                    graph.Gradient(node, b, g);
                    moving.Observe(batchCosts[s]);
                    for (int i = 0; i < K; i++)
                    {
                        sum[i] += g[i];
                        sumSq[i] += g[i] * g[i];
                    }
                }
            }
            var mean = sum.Select(v => v / samples).ToArray();
            var variance = sumSq.Select((v, i) => v / samples - mean[i] * mean[i]).ToArray();
            return (mean, variance.Select(v => Math.Sqrt(v / samples)).ToArray(), variance.Sum());
        }

        var none = Estimate("none");
        var moving = Estimate("moving-average");
        var looBatch = Estimate("leave-one-out");
        var biased = Estimate("own-cost");
        TestContext.Out.WriteLine($"total variance: none {none.Variance:G4}, moving average {moving.Variance:G4}, leave-one-out {looBatch.Variance:G4}, own cost {biased.Variance:G4}");
        foreach (var (label, e) in new[] { ("none", none), ("moving average", moving), ("leave-one-out", looBatch) })
        {
            for (int i = 0; i < K; i++)
            {
                Assert.That(Math.Abs(e.Mean[i] - truth[i]), Is.LessThanOrEqualTo(3 * e.Se[i]), $"{label}, component {i}: unbiased within 3 standard errors");
            }
        }
        Assert.That(moving.Variance, Is.LessThan(0.1 * none.Variance), "a running-mean baseline cuts the variance (costs offset by 3)");
        Assert.That(looBatch.Variance, Is.LessThan(0.1 * none.Variance), "so does leave-one-out");
        double worst = Enumerable.Range(0, K).Max(i => Math.Abs(biased.Mean[i] - truth[i]) / biased.Se[i]);
        Assert.That(worst, Is.GreaterThan(5), "a baseline that depends on the sampled value biases the estimate");
        for (int i = 0; i < K; i++)
        {
            Assert.That(biased.Mean[i], Is.EqualTo(0.5 * truth[i]).Within(3 * biased.Se[i]), $"component {i}: (1 − ½)·f·∇log p has mean ½ of the gradient");
        }
    }

    /// <summary>The surrogate's gradient is the derivative of its value with the costs held fixed (central differences), and a
    /// node is charged only the costs downstream of it: two independent layers, cost 1 depends on the first, cost 2 on
    /// both; the per-node estimates, averaged exactly over both layers' samples, equal the exact gradients.</summary>
    [Test]
    public void TheSurrogateLossDifferentiatesToItsGradientAndChargesOnlyDownstreamCosts()
    {
        double[] first = [0.3, -0.2, 0.5], second = [-0.4, 0.1, 0.2];
        double Cost1(int a) => a + 0.5;
        double Cost2(int a, int b) => (a - 1) * (b + 2) + 0.25 * b;
        var pa = new double[3];
        var pb = new double[3];
        Categorical.Softmax(first, pa);
        Categorical.Softmax(second, pb);
        var expectedFirst = new double[3];
        var expectedSecond = new double[3];
        var g = new double[3];
        for (int a = 0; a < 3; a++)
        {
            for (int b = 0; b < 3; b++)
            {
                var graph = new SurrogateLoss();
                int n1 = graph.AddStochastic(first, 3, [a]);
                int n2 = graph.AddStochastic(second, 3, [b]);
                graph.AddCost(Cost1(a), n1);
                graph.AddCost(Cost2(a, b), n1, n2);
                Assert.That(graph.Downstream(n2), Is.EqualTo(Cost2(a, b)), "node 2 is charged cost 2 only");
                graph.Gradient(n1, 0, g);
                for (int i = 0; i < 3; i++) expectedFirst[i] += pa[a] * pb[b] * g[i];
                var finite = new double[3];
                for (int i = 0; i < 3; i++)
                {
                    double h = 1e-6;
                    double[] up = [.. first], down = [.. first];
                    up[i] += h;
                    down[i] -= h;
                    double Surrogate(double[] t)
                    {
                        var s = new SurrogateLoss();
                        int m = s.AddStochastic(t, 3, [a]);
                        s.AddStochastic(second, 3, [b]);
                        s.AddCost(Cost1(a), m);
                        s.AddCost(Cost2(a, b), m, 1);
                        return s.Value([0.0, 0.0]);
                    }
                    finite[i] = (Surrogate(up) - Surrogate(down)) / (2 * h);
                }
                Assert.That(g, Is.EqualTo(finite).Within(1e-8), "∂(surrogate)/∂θ with the costs fixed");
                graph.Gradient(n2, 0, g);
                for (int i = 0; i < 3; i++) expectedSecond[i] += pa[a] * pb[b] * g[i];
            }
        }
        var exactFirst = new double[3];
        var exactSecond = new double[3];
        double[] both = [.. first, .. second];
        var exactBoth = new double[6];
        ExactExpectation.Gradient(both, 3, d => Cost1(d[0]) + Cost2(d[0], d[1]), exactBoth);
        Assert.That(expectedFirst, Is.EqualTo(exactBoth[..3]).Within(1e-12));
        Assert.That(expectedSecond, Is.EqualTo(exactBoth[3..]).Within(1e-12));
    }
}
