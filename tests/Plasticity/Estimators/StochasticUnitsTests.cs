using BioSim.Engine.Numerics;
using BioSim.Engine.Plugins;
using BioSim.IO.Compare;
using BioSim.IO.Experiments;
using BioSim.Plasticity;
using BioSim.Plasticity.Estimators;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Rules;
using BioSim.Tests.Cli;
using BioSim.Workflows;
using BioSim.Workflows.Compare;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity.Estimators;

/// <summary>
/// The gradient estimators reachable from a comparison file (issue 16, item 4: "usable by any network with stochastic
/// binary or categorical units"): the rule "stochastic-units" makes the hidden layers of the comparison's network
/// stochastic binary (K = 2) or K-category units and trains them through the estimator the file names, on the one
/// training loop. The reference of the gradient test is independent of the rule: E_h[loss] summed over every configuration
/// of the hidden units from the network's weights by hand, differentiated by central differences.
/// </summary>
[TestFixture]
public sealed class StochasticUnitsTests : TempDirectoryFixture
{
    private const int Batch = 2, Inputs = 3, Outputs = 2;

    /// <summary>(K, hidden width): 4 binary units, or 2 units of 5 categories (10 logits).</summary>
    private static int Width(int k) => k == 2 ? 4 : 10;

    private static (Network Net, double[] X, double[] Y) Setup(int k)
    {
        var net = new Network(Inputs, [new LayerSpec(Width(k), new Logistic()), new LayerSpec(Outputs, new Identity())], new ManagedMatrixProduct());
        net.Initialise(7);
        var random = new Random(3);
        for (int i = 0; i < net.Layers[0].Weights.Length; i++) net.Layers[0].Weights[i] = 2 * random.NextDouble() - 1;   // probabilities well away from ½
        double[] x = [.. Enumerable.Range(0, Batch * Inputs).Select(_ => 2 * random.NextDouble() - 1)];
        double[] y = [.. Enumerable.Range(0, Batch * Outputs).Select(_ => 2 * random.NextDouble() - 1)];
        return (net, x, y);
    }

    /// <summary>Per-row configurations of the hidden layer: 2^4 or 5^2.</summary>
    private static int Configurations(int k) => k == 2 ? 16 : 25;

    private static int[] Decode(int k, int c) => k == 2 ? [.. Enumerable.Range(0, 4).Select(u => (c >> u) & 1)] : [c % 5, c / 5];

    /// <summary>P(h = config) of row r, from z = W₁x + b₁ computed here by hand.</summary>
    private static double Probability(Network net, int k, double[] x, int r, int[] config)
    {
        var l1 = net.Layers[0];
        var z = new double[l1.Outputs];
        for (int j = 0; j < l1.Outputs; j++)
        {
            z[j] = l1.Bias![j];
            for (int i = 0; i < Inputs; i++) z[j] += l1.Weights[j * Inputs + i] * x[r * Inputs + i];
        }
        double p = 1;
        if (k == 2)
        {
            for (int j = 0; j < l1.Outputs; j++)
            {
                double s = 1 / (1 + Math.Exp(-z[j]));
                p *= config[j] == 1 ? s : 1 - s;
            }
            return p;
        }
        for (int u = 0; u < config.Length; u++)
        {
            double max = z.Skip(u * k).Take(k).Max(), sum = 0;
            for (int i = 0; i < k; i++) sum += Math.Exp(z[u * k + i] - max);
            p *= Math.Exp(z[u * k + config[u]] - max) / sum;
        }
        return p;
    }

    /// <summary>E_h[mse] = mean over rows of Σ_config P(config)·½‖W₂h + b₂ − t‖², by hand.</summary>
    private static double ExpectedLoss(Network net, int k, double[] x, double[] y)
    {
        var l2 = net.Layers[1];
        double total = 0;
        for (int r = 0; r < Batch; r++)
        {
            for (int c = 0; c < Configurations(k); c++)
            {
                int[] config = Decode(k, c);
                var h = new double[Width(k)];
                if (k == 2) for (int j = 0; j < h.Length; j++) h[j] = config[j];
                else for (int u = 0; u < config.Length; u++) h[u * k + config[u]] = 1;
                double loss = 0;
                for (int o = 0; o < Outputs; o++)
                {
                    double out_ = l2.Bias![o];
                    for (int j = 0; j < h.Length; j++) out_ += l2.Weights[o * h.Length + j] * h[j];
                    loss += 0.5 * (out_ - y[r * Outputs + o]) * (out_ - y[r * Outputs + o]);
                }
                total += Probability(net, k, x, r, config) * loss;
            }
        }
        return total / Batch;
    }

    private static StochasticUnits Rule(ServiceProvider services, string estimator, int k)
    {
        var rule = (StochasticUnits)services.GetRequiredService<Catalogue>().CreateRule("stochastic-units");
        rule.Estimator = estimator;
        rule.Categories = k;
        return rule;
    }

    /// <summary>
    /// The rule's update averaged exactly over every joint configuration of the two rows' hidden units (weights P(config)),
    /// against central differences (h = 1e-5) of E_h[loss] computed by hand: with one stochastic layer below a linear output and
    /// the mse loss the loss is quadratic in h, so ReinMax's expected update is the exact gradient (Liu et al. 2023), and so is
    /// the score-function surrogate's with the leave-one-out baseline of the other row (Schulman et al. 2015; the baseline does
    /// not depend on the row's own draw); tolerance 1e-7 of the largest entry (central differences of a smooth function at
    /// h = 1e-5: error ~1e-10; measured 2e-11). Straight-through's expected update of the hidden layer (W₁, b₁) is off by more than 5 % (measured: see output).
    /// Binary units and 5-category units.
    /// </summary>
    [TestCase("reinmax", 2)]
    [TestCase("score-function", 2)]
    [TestCase("straight-through", 2)]
    [TestCase("reinmax", 5)]
    [TestCase("score-function", 5)]
    [TestCase("straight-through", 5)]
    public void ExpectedUpdateAgainstTheExactGradient(string estimator, int k)
    {
        using var services = new ServiceCollection().AddPlasticity().BuildServiceProvider();
        var (net, x, y) = Setup(k);
        var rule = Rule(services, estimator, k);
        rule.Prepare(net, 1);
        var loss = new MeanSquaredError();
        var tape = net.CreateTape(Batch);
        var g = new ParameterGradients(net);
        double[][] expected = [.. net.Layers.SelectMany(l => new[] { new double[l.Weights.Length], new double[l.Bias!.Length] })];
        int units = k == 2 ? 4 : 2;
        for (int c0 = 0; c0 < Configurations(k); c0++)
        {
            for (int c1 = 0; c1 < Configurations(k); c1++)
            {
                int[] a = Decode(k, c0), b = Decode(k, c1);
                double p = Probability(net, k, x, 0, a) * Probability(net, k, x, 1, b);
                net.Forward(x, Batch, tape);
                rule.SetSample(net, tape, loss, y, [.. a, .. b]);
                loss.Evaluate(net, tape, y);
                rule.ComputeUpdates(net, tape, g);
                for (int l = 0; l < 2; l++)
                {
                    for (int i = 0; i < g.Weights[l].Length; i++) expected[2 * l][i] += p * g.Weights[l][i];
                    for (int i = 0; i < g.Bias[l]!.Length; i++) expected[2 * l + 1][i] += p * g.Bias[l]![i];
                }
            }
        }
        Assert.That(units * (k == 2 ? 1 : k), Is.EqualTo(Width(k)));
        var exact = new List<double>();
        const double h = 1e-5;
        foreach (var layer in net.Layers)
        {
            foreach (double[] values in new[] { layer.Weights, layer.Bias! })
            {
                for (int i = 0; i < values.Length; i++)
                {
                    double keep = values[i];
                    values[i] = keep + h;
                    double up = ExpectedLoss(net, k, x, y);
                    values[i] = keep - h;
                    double down = ExpectedLoss(net, k, x, y);
                    values[i] = keep;
                    exact.Add((up - down) / (2 * h));
                }
            }
        }
        double[] estimate = [.. expected.SelectMany(v => v)];
        double scale = exact.Max(Math.Abs), error = estimate.Zip(exact, (e, t) => Math.Abs(e - t)).Max();
        // the estimators differ only in the hidden layer's (W₁, b₁) update; the output layer's is pathwise at the sample for all
        int hidden = net.Layers[0].Weights.Length + net.Layers[0].Bias!.Length;
        double relative = Math.Sqrt(estimate.Take(hidden).Zip(exact.Take(hidden), (e, t) => (e - t) * (e - t)).Sum() / exact.Take(hidden).Sum(t => t * t));
        TestContext.Out.WriteLine($"{estimator}, K = {k}: largest |E[update] − exact| = {error:G3} (largest entry {scale:G3}); relative L2 error of the hidden layer's {relative:P2}");
        if (estimator == "straight-through") Assert.That(relative, Is.GreaterThan(0.05), "straight-through's expected update is biased");
        else Assert.That(error, Is.LessThanOrEqualTo(1e-7 * scale), $"{estimator}: the expected update is the exact gradient");
    }

    /// <summary>A comparison file with stochastic binary hidden units and every estimator, and one with 5-category units.</summary>
    private static string Comparison(int epochs, string rules, string hidden = "[20, 3]", string activation = "logistic") => $$"""
        {
          "name": "estimators",
          "task": {"type": "teacher-student", "teacher": "tanh", "inputs": 8, "hidden": 6, "outputs": 3, "train_samples": 200, "test_samples": 100, "seed": 5},
          "architecture": {"layers": {{hidden}}, "activation": "{{activation}}", "output_activation": "identity", "loss": "mse"},
          "optimiser": {"type": "adam"},
          "lr": 0.01,
          "batch": 10,
          "epochs": {{epochs}},
          "seeds": [2],
          "rules": [{{rules}}],
          "alignment": {"enabled": true, "probe": 8}
        }
        """;

    private const string AllEstimators = """
        {"name": "stochastic-units", "label": "reinmax", "options": {"estimator": "reinmax"}},
        {"name": "stochastic-units", "label": "straight-through", "options": {"estimator": "straight-through"}},
        {"name": "stochastic-units", "label": "score-function", "options": {"estimator": "score-function"}},
        {"name": "stochastic-units", "label": "categorical-5", "options": {"estimator": "reinmax", "categories": 5}}
        """;

    private static ComparisonResult Run(ServiceProvider services, string json, string output, bool resume) =>
        services.GetRequiredService<RuleComparison>().Run(services.GetRequiredService<ComparisonReader>().Read(json, "estimators.json"), output, resume, overwrite: false, null, CancellationToken.None);

    /// <summary>
    /// <c>biosim compare</c>'s workflow on a comparison file naming the estimators (tanh teacher 8-6-3, student 8-20-3 with 20
    /// stochastic binary hidden units, or 4 units of 5 categories; Adam, 10 epochs of 20 minibatches): every run trains, its
    /// mean-field test loss falling to below 0.6 of its first epoch's (measured: 0.30 → 0.031 ReinMax, 0.29 → 0.032 straight-through,
    /// 0.35 → 0.11 score function, 0.27 → 0.041 5-category ReinMax), the alignment probe (<c>"alignment"</c>) measures the
    /// sampled network's updates against backprop's, and two epochs straight equal one
    /// epoch then a resume to two bit for bit (the sample stream's position is part of the checkpoint).
    /// </summary>
    [Test]
    public void AComparisonFileTrainsStochasticUnitsWithEachEstimatorAndResumesBitForBit()
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var result = Run(services, Comparison(10, AllEstimators), Path.Combine(Dir, "ten"), resume: false);
        foreach (var run in result.Runs)
        {
            var first = run.Epochs[0].TestLoss;
            var last = run.Epochs[^1].TestLoss;
            TestContext.Out.WriteLine($"{run.Label}: test loss {first:F4} after epoch 1 → {last:F4} after epoch {run.Epochs.Count}");
            Assert.That(run.Diverged, Is.False, run.Label);
            Assert.That(run.Epochs, Has.Count.EqualTo(10), run.Label);
            Assert.That(last, Is.LessThan(0.6 * first).And.GreaterThan(0), $"{run.Label}: the stochastic network learns");
            Assert.That(run.UpdateCosine, Has.Count.EqualTo(11), $"{run.Label}: the alignment probe ran on the sampled network");
            Assert.That(run.UpdateCosine.SelectMany(c => c), Is.All.InRange(-1.0, 1.0), run.Label);
        }

        string straight = Path.Combine(Dir, "straight"), resumed = Path.Combine(Dir, "resumed");
        var a = Run(services, Comparison(2, AllEstimators), straight, resume: false);
        Run(services, Comparison(1, AllEstimators), resumed, resume: false);
        var b = Run(services, Comparison(2, AllEstimators), resumed, resume: true);
        for (int i = 0; i < a.Runs.Count; i++)
        {
            Assert.That(b.Runs[i].BatchLosses, Is.EqualTo(a.Runs[i].BatchLosses), a.Runs[i].Label);
            Assert.That(b.Runs[i].Epochs.Select(e => e.TestLoss), Is.EqualTo(a.Runs[i].Epochs.Select(e => e.TestLoss)), a.Runs[i].Label);
        }
    }

    /// <summary><c>examples/compare-estimators.json</c> (the one a user starts from) reads: backprop and the stochastic units with
    /// each estimator, binary and 5-category.</summary>
    [Test]
    public void TheExampleNamesEveryEstimator()
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var experiment = services.GetRequiredService<ComparisonReader>().ReadFile(TestPaths.Example("compare-estimators.json"));
        var catalogue = services.GetRequiredService<Catalogue>();
        var rules = experiment.Rules.Select(r => r.Create(catalogue)).OfType<StochasticUnits>().ToList();
        Assert.That(rules.Select(r => (r.Estimator, r.Categories)),
            Is.EqualTo(new[] { ("reinmax", 2), ("straight-through", 2), ("score-function", 2), ("reinmax", 5) }));
    }

    /// <summary>Bad input in a comparison file: one line naming the file and the field, with what is allowed.</summary>
    [TestCase("""{"name": "stochastic-units", "options": {"estimator": "reinmix"}}""", "[20, 3]", "logistic",
        "estimators.json: rules[0].options.estimator: unknown gradient estimator 'reinmix'; known: reinmax, score-function, straight-through")]
    [TestCase("""{"name": "stochastic-units", "options": {"categories": 1}}""", "[20, 3]", "logistic",
        "estimators.json: rules[0].options.categories: a categorical unit needs at least 2 categories, got 1")]
    [TestCase("""{"name": "stochastic-units", "options": {"categories": 3}}""", "[20, 3]", "logistic",
        "estimators.json: rules[0]: stochastic-units: hidden layer 1 has 20 units, not a whole number of units of 3 categories; make it a multiple of 3.")]
    [TestCase("""{"name": "stochastic-units"}""", "[3]", "logistic",
        "estimators.json: rules[0]: stochastic-units: the network needs at least one hidden layer")]
    [TestCase("""{"name": "stochastic-units"}""", "[20, 3]", "tanh",
        "estimators.json: rules[0]: stochastic-units: hidden layer 1 has activation 'tanh'")]
    public void BadInputNamesTheFileAndTheField(string rule, string hidden, string activation, string message)
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var ex = Assert.Throws<ExperimentException>(() => services.GetRequiredService<ComparisonReader>().Read(Comparison(1, rule, hidden, activation), "estimators.json"));
        Assert.That(ex!.Message, Does.StartWith(message));
        Assert.That(ex.Message, Does.Not.Contain("\n"));
    }
}
