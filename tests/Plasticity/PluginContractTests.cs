using BioSim.Engine.Numerics;
using BioSim.Engine.Plugins;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;
using BioSim.Plasticity;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity;

/// <summary>
/// Contract tests over every name the catalogue holds for the plug-in kinds of plasticity (optimisers, losses,
/// activations, weight initialisations; learning rules are in <see cref="CreditAssignmentTests"/>): a plug-in added
/// with one registration line is covered here without a test of its own.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class PluginContractTests
{
    private static readonly Catalogue Catalogue = new ServiceCollection().AddPlasticity().BuildServiceProvider().GetRequiredService<Catalogue>();

    public static IEnumerable<string> OptimiserNames() => Catalogue.Names<IOptimiser>();

    public static IEnumerable<string> LossNames() => Catalogue.Names<ILoss>();

    public static IEnumerable<string> ActivationNames() => Catalogue.Names<Activation>();

    public static IEnumerable<string> InitialisationNames() => Catalogue.Names<IWeightInitialisation>();

    private static Network Square(Activation output, ulong seed = 5)
    {
        var net = new Network(6, [new LayerSpec(6, new Tanh()), new LayerSpec(6, output)], new ManagedMatrixProduct());
        net.Initialise(seed);
        return net;
    }

    private static void FillGradients(ParameterGradients g, uint step)
    {
        var rng = new RandomStream(23, "test", "gradient").ForElement(step);
        foreach (var w in g.Weights) for (int i = 0; i < w.Length; i++) w[i] = rng.NextGaussian();
        foreach (var b in g.Bias) if (b is not null) for (int i = 0; i < b.Length; i++) b[i] = rng.NextGaussian();
    }

    [Test]
    public void ActivationsByNameAndUnknownOnesListed()
    {
        Assert.That(Catalogue.Names<Activation>(), Is.EqualTo(new[] { "hard-sigmoid", "identity", "leaky-relu", "logistic", "relu", "softplus", "tanh", "unit-clip" }));
        var ex = Assert.Throws<UnknownPluginException>(() => Catalogue.CreateActivation("swish"));
        Assert.That(ex!.Message, Does.Contain("swish").And.Contain("hard-sigmoid, identity"));
        Assert.Throws<ArgumentException>(() => Catalogue.CreateActivation("tanh:2"));
        Assert.Throws<ArgumentException>(() => Catalogue.CreateActivation("leaky-relu:steep"));
    }

    /// <summary>Each activation's derivative against a central difference (h = 1e-6, error O(h²)) away from kinks;
    /// the registered name and the name the instance gives agree.</summary>
    [Test]
    public void ActivationDerivativesMatchFiniteDifferences([ValueSource(nameof(ActivationNames))] string name)
    {
        var f = Catalogue.CreateActivation(name);
        Assert.That(f.Name, Is.EqualTo(name));
        double[] z = [-3.7, -1.2, -0.4, 0.3, 0.9, 2.5];
        double[] h = new double[6], d = new double[6], hp = new double[6], hm = new double[6];
        f.Forward(z, h);
        f.Derivative(z, h, d);
        f.Forward(z.Select(v => v + 1e-6).ToArray(), hp);
        f.Forward(z.Select(v => v - 1e-6).ToArray(), hm);
        for (int i = 0; i < 6; i++) Assert.That(d[i], Is.EqualTo((hp[i] - hm[i]) / 2e-6).Within(1e-7), $"{name} at z = {z[i]}");
    }

    /// <summary>Each loss's output error δ_L = ∂L/∂z_L against a central difference of L in every z_L (h = 1e-6, error
    /// O(h²) on values of order 1, hence 1e-7), on a linear output layer (which every loss accepts) and targets that are a
    /// probability distribution per row (which every loss accepts).</summary>
    [Test]
    public void LossGradientsMatchFiniteDifferences([ValueSource(nameof(LossNames))] string name)
    {
        var loss = Catalogue.CreateLoss(name);
        Assert.That(loss.Name, Is.EqualTo(name));
        const int batch = 3;
        var net = Square(new Identity());
        var tape = net.CreateTape(batch);
        var rng = new RandomStream(7, "test", "loss");
        var x = new double[batch * 6];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextGaussian();
        var y = new double[batch * 6];
        for (int r = 0; r < batch; r++)
        {
            double sum = 0;
            for (int j = 0; j < 6; j++) sum += y[r * 6 + j] = rng.NextDouble() + 0.1;
            for (int j = 0; j < 6; j++) y[r * 6 + j] /= sum;
        }
        net.Forward(x, batch, tape);
        loss.Evaluate(net, tape, y);
        double[] delta = tape.Delta[2].AsSpan(0, batch * 6).ToArray();
        for (int i = 0; i < delta.Length; i++)
        {
            double z = tape.Z[2][i];
            tape.Z[2][i] = tape.H[2][i] = z + 1e-6;
            double up = loss.Evaluate(net, tape, y);
            tape.Z[2][i] = tape.H[2][i] = z - 1e-6;
            double down = loss.Evaluate(net, tape, y);
            tape.Z[2][i] = tape.H[2][i] = z;
            Assert.That(delta[i], Is.EqualTo((up - down) / 2e-6).Within(1e-7), $"{name}: ∂L/∂z[{i}]");
        }
    }

    /// <summary>An optimiser's state (moments, step count) through a snapshot: a second instance restored from it after
    /// three steps takes the next two steps to the same weights, bit for bit.</summary>
    [Test]
    public void OptimiserStateRoundTripsBitExactly([ValueSource(nameof(OptimiserNames))] string name)
    {
        Network a = Square(new Identity()), b = Square(new Identity(), seed: 6);
        var first = Catalogue.CreateOptimiser(name);
        first.Prepare(a);
        var g = new ParameterGradients(a);
        for (uint step = 0; step < 3; step++)
        {
            FillGradients(g, step);
            first.Step(a, g);
        }
        var snapshot = new StateSnapshot();
        a.SaveState(snapshot, "network/");
        first.SaveState(snapshot, "optimiser/");
        var second = Catalogue.CreateOptimiser(name);
        second.Prepare(b);
        b.LoadState(snapshot, "network/");
        second.LoadState(snapshot, "optimiser/");
        for (uint step = 3; step < 5; step++)
        {
            FillGradients(g, step);
            first.Step(a, g);
            second.Step(b, g);
        }
        for (int l = 0; l < a.Layers.Count; l++)
        {
            Assert.That(b.Layers[l].Weights, Is.EqualTo(a.Layers[l].Weights), $"{name}: W{l + 1}");
            Assert.That(b.Layers[l].Bias, Is.EqualTo(a.Layers[l].Bias), $"{name}: b{l + 1}");
        }
        Assert.That(a.Layers[0].Weights, Is.Not.EqualTo(Square(new Identity()).Layers[0].Weights), $"{name} did not move the weights");
        Assert.That(second.Description, Does.Contain(second.LearningRate.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>An initialisation draws the same weights from the same seed and others from another seed (on square layers,
    /// which every initialisation accepts).</summary>
    [Test]
    public void InitialisationsAreDeterministicFromTheirSeed([ValueSource(nameof(InitialisationNames))] string name)
    {
        var init = Catalogue.CreateInitialisation(name);
        Assert.That(init.Check(6, [6, 6]), Is.Null);
        Network Drawn(ulong seed)
        {
            var net = Square(new Identity(), seed: 1);
            Catalogue.CreateInitialisation(name).Initialise(net, seed);
            return net;
        }
        Network a = Drawn(8), b = Drawn(8), c = Drawn(9);
        for (int l = 0; l < a.Layers.Count; l++)
        {
            Assert.That(b.Layers[l].Weights, Is.EqualTo(a.Layers[l].Weights), $"{name}: W{l + 1}");
            Assert.That(b.Layers[l].Bias, Is.EqualTo(a.Layers[l].Bias), $"{name}: b{l + 1}");
            Assert.That(c.Layers[l].Weights, Is.Not.EqualTo(a.Layers[l].Weights), $"{name}: W{l + 1} does not depend on the seed");
            Assert.That(a.Layers[l].Weights.All(double.IsFinite), $"{name}: W{l + 1}");
        }
    }

    [Test]
    public void UnknownNamesListTheKnownOnes()
    {
        Assert.That(Assert.Throws<UnknownPluginException>(() => Catalogue.CreateOptimiser("lbfgs"))!.Message, Does.Contain("adam, rmsprop, sgd"));
        Assert.That(Assert.Throws<UnknownPluginException>(() => Catalogue.CreateLoss("hinge"))!.Message, Does.Contain("mse, softmax-cross-entropy"));
        Assert.That(Assert.Throws<UnknownPluginException>(() => Catalogue.CreateInitialisation("he"))!.Message, Does.Contain("orthogonal, pytorch"));
    }
}
