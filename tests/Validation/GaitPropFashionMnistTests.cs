using System.Diagnostics;
using BioSim.Engine.Numerics;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;
using NUnit.Framework;

namespace BioSim.Tests.Validation;

/// <summary>
/// GAIT-prop trained as in the published runs (Ahmad, van Gerven &amp; Ambrogioni 2020; official code run.py
/// and inv_net.py): 784-wide square layers with leaky ReLU (slope 0.1) throughout, the 784 pixels (scaled
/// to [0, 1]) as input without projection, an output layer of 784 units whose first 10 are the classes
/// and whose other 774 are auxiliary units with their own activity as target, MSE, orthogonal
/// initialisation with zero biases, γ = 1e-3, orthogonality penalty λ = 0.1, Adam without bias correction
/// (η 1e-4, β₁ 0.9, β₂ 0.99, ε 1e-8), batch 60. Shortened to fit the test budget: one hidden layer (the
/// paper: 1 to 5) and one pass (50 steps) over the first 3000 training images, tested on the first 2000 test images.
/// Backprop on the same network, data, seed and optimiser (λ = 0, as the official BP runs) is the anchor.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class GaitPropFashionMnistTests
{
    private const int Train = 3000, Test = 2000, Width = 784, Classes = 10, Batch = 60;

    private static (Dataset Train, Dataset Test)? _data;

    private static (Dataset Train, Dataset Test) Data()
    {
        var (train, test) = FashionMnistData.Load();
        return _data ??= (FashionMnistData.First(train, Train), FashionMnistData.First(test, Test));
    }

    private static (double TestAccuracy, double TrainLoss) Run(ICreditAssignmentRule rule, int hidden, int epochs, ulong seed)
    {
        var (train, test) = Data();
        var net = new Network(Width, [.. Enumerable.Range(0, hidden + 1).Select(_ => new LayerSpec(Width, new LeakyRelu(0.1)))], MatrixProducts.CreateDefault());
        GaitProp.InitialiseOrthogonal(net, seed);
        rule.Prepare(net, seed);
        var optimiser = new Adam(1e-4, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, biasCorrection: false);
        optimiser.Prepare(net);
        var trainer = new Trainer(net, rule, optimiser, new MeanSquaredError(taskOutputs: Classes), Batch);
        var clock = Stopwatch.StartNew();
        var (loss0, accuracy0) = trainer.Evaluate(test);
        var history = trainer.Train(train, test, new TrainingOptions { Epochs = epochs, BatchSize = Batch, Seed = seed });
        TestContext.Out.WriteLine($"{rule.GetType().Name}: before training test loss {loss0:F4}, accuracy {accuracy0:F4}");
        foreach (var e in history.Epochs)
            TestContext.Out.WriteLine($"{rule.GetType().Name} epoch {e.Epoch}: train loss {e.TrainLoss:F4}, test loss {e.TestLoss:F4}, test accuracy {e.TestAccuracy:F4}");
        TestContext.Out.WriteLine($"{rule.GetType().Name}: {clock.Elapsed.TotalSeconds:F1} s with {net.Product.Name}" + (rule is GaitProp ? $", inverses by {MatrixInverse.Name}" : ""));
        return (history.Epochs[^1].TestAccuracy, history.Epochs[^1].TrainLoss);
    }

    /// <summary>
    /// From an orthogonal start, without the orthogonality penalty, GAIT-prop's updates are backprop's to first
    /// order (GaitPropEquivalenceTests), so over 50 steps the two runs should stay together: the paper's
    /// "near-identical performance". Measured (OpenBLAS, seeds 1 and 2): test accuracy GAIT 0.7620 and 0.7360,
    /// backprop 0.7645 and 0.7360; mean train loss GAIT 0.2872 and 0.3309, backprop 0.2871 and 0.3307.
    /// Bounds: accuracies within 0.01 of each other, train losses within 1%, and GAIT above 0.70 (chance 0.10,
    /// 0.08 before training). Each run ~5 s (BP) and ~20 s (GAIT, dominated by the 784×784 inverses) with
    /// 2 shared cores at load ~29.
    /// </summary>
    [Test]
    public void TracksBackpropFromAnOrthogonalStart()
    {
        var (bpAccuracy, bpLoss) = Run(new Backpropagation(), hidden: 1, epochs: 1, seed: 1);
        var (gaitAccuracy, gaitLoss) = Run(new GaitProp { Gamma = 1e-3 }, hidden: 1, epochs: 1, seed: 1);
        Assert.That(gaitAccuracy, Is.GreaterThan(0.70), "GAIT-prop learns");
        Assert.That(gaitAccuracy, Is.EqualTo(bpAccuracy).Within(0.01), "test accuracy, GAIT-prop vs backprop");
        Assert.That(gaitLoss, Is.EqualTo(bpLoss).Within(1).Percent, "mean train loss, GAIT-prop vs backprop");
    }

    /// <summary>
    /// The published configuration with its orthogonality penalty λ = 0.1, which keeps the weights invertible
    /// over long runs at the price of a slower start. Measured (seeds 1 and 2): test accuracy 0.7255 and
    /// 0.7150 after 50 steps (backprop without the penalty: 0.7645, 0.7360); with 100 steps (6000 images)
    /// 0.7885 and 0.7675 (backprop 0.8010, 0.7840). Bound: above 0.65, six times chance. ~35 s.
    /// </summary>
    [Test]
    public void LearnsWithThePublishedOrthogonalityPenalty()
    {
        var (accuracy, _) = Run(new GaitProp { Gamma = 1e-3, Orthogonality = 0.1 }, hidden: 1, epochs: 1, seed: 1);
        Assert.That(accuracy, Is.GreaterThan(0.65));
    }
}
