using BioSim.Engine.Numerics;
using BioSim.Engine.Plugins;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;
using BioSim.Plasticity;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Rules;
using BioSim.Tests.IO;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity;

[TestFixture, Category("Unit")]
public sealed class CreditAssignmentTests
{
    private const int Batch = 5;
    private static readonly LayerSpec[] Layers = [new(7, new Tanh()), new(6, new Logistic()), new(4, new Identity())];

    /// <summary>GAIT-prop inverts every layer: square, leaky-ReLU (the paper's slope 0.1) and a linear output.</summary>
    private static readonly LayerSpec[] SquareLayers = [new(5, new LeakyRelu(0.1)), new(5, new LeakyRelu(0.1)), new(5, new LeakyRelu(0.1)), new(5, new Identity())];

    /// <summary>The dendritic microcircuit's cells have no bias, one rate function (softplus) and a linear output (potentials).</summary>
    private static readonly LayerSpec[] MicrocircuitLayers = [new(7, new Softplus(), Bias: false), new(6, new Softplus(), Bias: false), new(4, new Identity(), Bias: false)];

    /// <summary>The contract network for <paramref name="rule"/>: the square one for rules that need invertible layers (GAIT-prop
    /// and ITP), the microcircuit's for dendritic-error.</summary>
    private static LayerSpec[] LayersFor(string rule) => rule == "dendritic-error" ? MicrocircuitLayers
        : Catalogue.CreateRule(rule) is GaitProp ? SquareLayers : Layers;

    /// <summary>Rules whose only difference from backprop is the error signal; their naive loops are here (GAIT-prop's are in GaitPropTests).</summary>
    public static IEnumerable<string> ErrorSignalRuleNames() => RuleNames().Where(n => Catalogue.CreateRule(n) is ErrorSignalRule);

    private static readonly ServiceProvider Services = new ServiceCollection().AddPlasticity().BuildServiceProvider();
    private static Catalogue Catalogue => Services.GetRequiredService<Catalogue>();

    /// <summary>Every credit-assignment rule in the catalogue, token-model rules included (what "known:" lists).</summary>
    public static IEnumerable<string> AllRuleNames() => new ServiceCollection().AddPlasticity().BuildServiceProvider().GetRequiredService<Catalogue>().Names<ICreditAssignmentRule>();

    public static IEnumerable<string> RuleNames() => new ServiceCollection().AddPlasticity().BuildServiceProvider().GetRequiredService<Catalogue>().Names<ICreditAssignmentRule>()
        .Where(n => Catalogue.CreateRule(n) is not ITokenModelRule); // rules of the token model: tests/Plasticity/Token

    public static IEnumerable<TestCaseData> Products()
    {
        yield return new TestCaseData("managed").SetArgDisplayNames("managed");
        yield return new TestCaseData("openblas").SetArgDisplayNames("OpenBLAS");
    }

    private static IMatrixProduct Product(string kind) => ExternalTools.MatrixProduct(kind);   // fails naming libopenblas0 when OpenBLAS is missing

    private static (Network Net, NetworkTape Tape, double[] X, double[] Y) Setup(IMatrixProduct product, ILoss loss, LayerSpec[]? layers = null)
    {
        var net = new Network(5, layers ?? Layers, product);
        net.Initialise(3);
        var tape = net.CreateTape(Batch);
        var rng = new RandomStream(11, "test", "data");
        var x = new double[Batch * 5];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextGaussian();
        int k = net.OutputSize;
        var y = new double[Batch * k];
        for (int r = 0; r < Batch; r++)
        {
            if (loss is SoftmaxCrossEntropy) y[r * k + (int)rng.NextUInt32((uint)k)] = 1;
            else for (int j = 0; j < k; j++) y[r * k + j] = rng.NextGaussian();
        }
        net.Forward(x, Batch, tape);
        loss.Evaluate(net, tape, y);
        return (net, tape, x, y);
    }

    private static double F(string act, double z) => act switch
    {
        "tanh" => Math.Tanh(z),
        "logistic" => 1 / (1 + Math.Exp(-z)),
        _ => z,
    };

    private static double Fp(string act, double z) => act switch
    {
        "tanh" => 1 - Math.Tanh(z) * Math.Tanh(z),
        "logistic" => F(act, z) * (1 - F(act, z)),
        _ => 1,
    };

    /// <summary>
    /// Reference: the papers' per-sample equations written as plain loops, independent of the batched code.
    /// Forward z_l = W_l h_{l−1} + b_l, h_l = f_l(z_l); output error e = ∂L/∂z_L (MSE: (h−y)f′/B;
    /// softmax-CE: (p − y)/B). Hidden errors: backprop δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ f′(z_l); feedback alignment
    /// (Lillicrap 2016, eq. in Fig. 1) δ_l = (B_{l+1} δ_{l+1}) ⊙ f′(z_l); direct feedback alignment (Nøkland
    /// 2016, eq. 3) δ_l = (B_l e) ⊙ f′(z_l). Updates ΔW_l = Σ_samples δ_l h_{l−1}ᵀ, Δb_l = Σ δ_l.
    /// </summary>
    private static (double[][] W, double[][] B) Naive(string rule, Network net, double[] x, double[] y, bool crossEntropy, IReadOnlyList<double[]> feedback)
    {
        int L = net.Layers.Count;
        var gw = net.Layers.Select(l => new double[l.Weights.Length]).ToArray();
        var gb = net.Layers.Select(l => new double[l.Outputs]).ToArray();
        for (int s = 0; s < Batch; s++)
        {
            var h = new double[L + 1][];
            var z = new double[L + 1][];
            h[0] = x.Skip(s * 5).Take(5).ToArray();
            for (int l = 1; l <= L; l++)
            {
                var layer = net.Layers[l - 1];
                z[l] = new double[layer.Outputs];
                h[l] = new double[layer.Outputs];
                for (int i = 0; i < layer.Outputs; i++)
                {
                    double sum = layer.Bias![i];
                    for (int j = 0; j < layer.Inputs; j++) sum += layer.Weights[i * layer.Inputs + j] * h[l - 1][j];
                    z[l][i] = sum;
                    h[l][i] = F(layer.Activation.Name, sum);
                }
            }
            var delta = new double[L + 1][];
            int k = net.OutputSize;
            delta[L] = new double[k];
            if (crossEntropy)
            {
                double m = z[L].Max(), sum = z[L].Sum(v => Math.Exp(v - m));
                for (int i = 0; i < k; i++) delta[L][i] = (Math.Exp(z[L][i] - m) / sum - y[s * k + i]) / Batch;
            }
            else
            {
                for (int i = 0; i < k; i++) delta[L][i] = (h[L][i] - y[s * k + i]) * Fp(net.Layers[L - 1].Activation.Name, z[L][i]) / Batch;
            }
            for (int l = L - 1; l >= 1; l--)
            {
                var layer = net.Layers[l - 1];
                var above = net.Layers[l];
                delta[l] = new double[layer.Outputs];
                for (int i = 0; i < layer.Outputs; i++)
                {
                    double sum = 0;
                    if (rule == "direct-feedback-alignment")
                        for (int j = 0; j < k; j++) sum += feedback[l - 1][i * k + j] * delta[L][j];
                    else if (rule == "feedback-alignment")
                        for (int j = 0; j < above.Outputs; j++) sum += feedback[l - 1][i * above.Outputs + j] * delta[l + 1][j];
                    else
                        for (int j = 0; j < above.Outputs; j++) sum += above.Weights[j * above.Inputs + i] * delta[l + 1][j];
                    delta[l][i] = sum * Fp(layer.Activation.Name, z[l][i]);
                }
            }
            for (int l = 1; l <= L; l++)
            {
                var layer = net.Layers[l - 1];
                for (int i = 0; i < layer.Outputs; i++)
                {
                    gb[l - 1][i] += delta[l][i];
                    for (int j = 0; j < layer.Inputs; j++) gw[l - 1][i * layer.Inputs + j] += delta[l][i] * h[l - 1][j];
                }
            }
        }
        return (gw, gb);
    }

    private static IReadOnlyList<double[]> FeedbackOf(ICreditAssignmentRule rule) => rule switch
    {
        FeedbackAlignment fa => fa.FeedbackWeights,
        DirectFeedbackAlignment dfa => dfa.FeedbackWeights,
        _ => [],
    };

    /// <summary>Tolerance 1e-13: the same sums in a different order, on values of order 1.</summary>
    [Test]
    public void EveryRuleMatchesItsNaiveLoopReimplementation([ValueSource(nameof(ErrorSignalRuleNames))] string name, [Values] bool crossEntropy)
    {
        ILoss loss = crossEntropy ? new SoftmaxCrossEntropy() : new MeanSquaredError();
        var (net, tape, x, y) = Setup(new ManagedMatrixProduct(), loss);
        var rule = Catalogue.CreateRule(name);
        rule.Prepare(net, 5);
        var grads = new ParameterGradients(net);
        rule.ComputeUpdates(net, tape, grads);
        var (gw, gb) = Naive(name, net, x, y, crossEntropy, FeedbackOf(rule));
        for (int l = 0; l < net.Layers.Count; l++)
        {
            Assert.That(grads.Weights[l], Is.EqualTo(gw[l]).Within(1e-13), $"{name}: ΔW of {net.Layers[l].Name}");
            Assert.That(grads.Bias[l], Is.EqualTo(gb[l]).Within(1e-13), $"{name}: Δb of {net.Layers[l].Name}");
        }
        Assert.That(grads.Weights[0].Any(v => v != 0), "the update is not trivially zero");
    }

    /// <summary>With B_{l+1} = W_{l+1}ᵀ, feedback alignment is backprop: the same products of the same numbers, so the same bits.</summary>
    [TestCaseSource(nameof(Products))]
    public void FeedbackAlignmentWithTransposedWeightsIsBackpropExactly(string product)
    {
        var (net, tape, _, _) = Setup(Product(product), new MeanSquaredError());
        var bp = new ParameterGradients(net);
        new Backpropagation().ComputeUpdates(net, tape, bp);
        var fa = new FeedbackAlignment();
        fa.Prepare(net, 1);
        for (int l = 1; l < net.Layers.Count; l++)
        {
            var w = net.Layers[l];
            var b = fa.FeedbackWeights[l - 1];
            for (int i = 0; i < w.Outputs; i++)
                for (int j = 0; j < w.Inputs; j++) b[j * w.Outputs + i] = w.Weights[i * w.Inputs + j];
        }
        var g = new ParameterGradients(net);
        fa.ComputeUpdates(net, tape, g);
        for (int l = 0; l < net.Layers.Count; l++)
        {
            Assert.That(g.Weights[l], Is.EqualTo(bp.Weights[l]), net.Layers[l].Name);
            Assert.That(g.Bias[l], Is.EqualTo(bp.Bias[l]), net.Layers[l].Name);
        }
    }

    [Test]
    public void ZeroErrorGivesZeroUpdate([ValueSource(nameof(ErrorSignalRuleNames))] string name)
    {
        var net = new Network(5, LayersFor(name), new ManagedMatrixProduct());
        net.Initialise(3);
        var tape = net.CreateTape(Batch);
        var x = new double[Batch * 5];
        var rng = new RandomStream(2, "test", "x");
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextGaussian();
        net.Forward(x, Batch, tape);
        var y = tape.Output.ToArray(); // targets equal to the outputs: e = 0
        new MeanSquaredError().Evaluate(net, tape, y);
        var rule = Catalogue.CreateRule(name);
        rule.Prepare(net, 1);
        var g = new ParameterGradients(net);
        for (int l = 0; l < g.Weights.Length; l++) g.Weights[l].AsSpan().Fill(double.NaN); // must be overwritten
        rule.ComputeUpdates(net, tape, g);
        for (int l = 0; l < net.Layers.Count; l++)
        {
            Assert.That(g.Weights[l], Is.All.EqualTo(0.0), $"{name}: ΔW of {net.Layers[l].Name}");
            Assert.That(g.Bias[l], Is.All.EqualTo(0.0), $"{name}: Δb of {net.Layers[l].Name}");
        }
    }

    /// <summary>Contract: a rule prepared twice with the same seed on the same weights gives the same updates, bit for bit.</summary>
    [Test]
    public void EveryRuleGivesTheSameBitsForTheSameSeed([ValueSource(nameof(RuleNames))] string name)
    {
        var (net, tape, _, y) = Setup(new ManagedMatrixProduct(), new MeanSquaredError(), LayersFor(name));
        var updates = new ParameterGradients[2];
        for (int run = 0; run < 2; run++)
        {
            var rule = Catalogue.CreateRule(name);
            rule.Prepare(net, 17);
            (rule as IInferenceRule)?.SetTargets(y, Batch);
            updates[run] = new ParameterGradients(net);
            rule.ComputeUpdates(net, tape, updates[run]);
        }
        for (int l = 0; l < net.Layers.Count; l++) Assert.That(updates[1].Weights[l], Is.EqualTo(updates[0].Weights[l]), $"layer {l + 1}");
    }

    /// <summary>Rule state (feedback matrices) survives a snapshot: restoring into a rule prepared with another seed gives the same updates bit for bit.</summary>
    [Test]
    public void RuleStateRoundTripsThroughSnapshot([ValueSource(nameof(RuleNames))] string name)
    {
        var (net, tape, _, y) = Setup(new ManagedMatrixProduct(), new MeanSquaredError(), LayersFor(name));
        var a = Catalogue.CreateRule(name);
        a.Prepare(net, 1);
        var snapshot = new StateSnapshot();
        a.SaveState(snapshot, "rule/");
        var b = Catalogue.CreateRule(name);
        b.Prepare(net, 99);
        b.LoadState(snapshot, "rule/");
        var ga = new ParameterGradients(net);
        var gb = new ParameterGradients(net);
        (a as IInferenceRule)?.SetTargets(y, Batch); // rules that nudge towards the targets themselves
        a.ComputeUpdates(net, tape, ga);
        (b as IInferenceRule)?.SetTargets(y, Batch);
        b.ComputeUpdates(net, tape, gb);
        for (int l = 0; l < net.Layers.Count; l++) Assert.That(gb.Weights[l], Is.EqualTo(ga.Weights[l]));
    }

    [Test]
    public void UnknownRuleListsTheKnownOnes()
    {
        var ex = Assert.Throws<UnknownPluginException>(() => Catalogue.CreateRule("hebb"));
        var every = AllRuleNames().ToArray();
        Assert.That(every, Does.Contain("stochastic-backprop").And.Contain("stochastic-units"));
        Assert.That(ex!.Message, Does.Contain("'hebb'").And.Contain("known: " + string.Join(", ", every) + "."));
    }

    [Test]
    public void RulesAreFreshInstances() =>
        Assert.That(Catalogue.CreateRule("feedback-alignment"), Is.Not.SameAs(Catalogue.CreateRule("feedback-alignment")));
}

[TestFixture, Category("Unit")]
public sealed class RuleShapeTests
{
    [Test]
    public void FeedbackPreparedForAnotherNetworkNamesTheLayer([Values("feedback-alignment", "direct-feedback-alignment")] string name)
    {
        var product = new ManagedMatrixProduct();
        var small = new Network(5, [new LayerSpec(7), new LayerSpec(6), new LayerSpec(4, new Identity())], product);
        var other = new Network(5, [new LayerSpec(7), new LayerSpec(8), new LayerSpec(4, new Identity())], product);
        other.Initialise(1);
        var rule = new ServiceCollection().AddPlasticity().BuildServiceProvider().GetRequiredService<Catalogue>().CreateRule(name);
        rule.Prepare(small, 1);
        var tape = other.CreateTape(2);
        other.Forward(new double[10], 2, tape);
        new MeanSquaredError().Evaluate(other, tape, new double[8]);
        var ex = Assert.Throws<InvalidOperationException>(() => rule.ComputeUpdates(other, tape, new ParameterGradients(other)));
        Assert.That(ex!.Message, Does.Contain("layer ").And.Contain(name));
    }
}
