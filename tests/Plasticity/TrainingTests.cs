using BioSim.Engine.Numerics;
using BioSim.Engine.Simulation;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;
using BioSim.Tests.IO;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity;

[TestFixture, Category("Unit")]
public sealed class TrainingTests
{
    private static Network Net(IMatrixProduct? product = null, Activation? output = null)
    {
        var net = new Network(8, [new LayerSpec(12, new Tanh()), new LayerSpec(9, new LeakyRelu()), new LayerSpec(3, output ?? new Identity())], product ?? new ManagedMatrixProduct());
        net.Initialise(4);
        return net;
    }

    /// <summary>Closed forms for one parameter with constant gradient g = 2 (PyTorch conventions):
    /// SGD-momentum: v_t = Σ μ^i g, so θ after 3 steps = −η g (1 + (1+μ) + (1+μ+μ²));
    /// Adam with bias correction: m̂ = v̂^{1/2} = g, step η·g/(g+ε) ≈ η; without: m_1 = (1−β₁)g, v_1 = (1−β₂)g²,
    /// first step η (1−β₁)/√(1−β₂) = 3.162η; RMSprop: first step η g/(√(1−α) g + ε) = 10η.</summary>
    [Test]
    public void OptimisersFollowTheirClosedForms()
    {
        double Run(IOptimiser o, int steps)
        {
            var net = new Network(1, [new LayerSpec(1, new Identity(), Bias: false)], new ManagedMatrixProduct());
            o.Prepare(net);
            var g = new ParameterGradients(net);
            g.Weights[0][0] = 2.0;
            for (int s = 0; s < steps; s++) o.Step(net, g);
            return net.Layers[0].Weights[0];
        }
        Assert.That(Run(new SgdMomentum(0.1, 0.9), 3), Is.EqualTo(-0.1 * 2 * (1 + 1.9 + 2.71)).Within(1e-14));
        Assert.That(Run(new Adam(0.01), 1), Is.EqualTo(-0.01 * 2 / (2 + 1e-8)).Within(1e-15));
        Assert.That(Run(new Adam(0.01), 5), Is.EqualTo(-0.05 * 2 / (2 + 1e-8)).Within(1e-14));
        Assert.That(Run(new Adam(0.01, biasCorrection: false), 1), Is.EqualTo(-0.01 * 0.1 * 2 / (Math.Sqrt(0.001 * 4) + 1e-8)).Within(1e-15));
        Assert.That(Run(new RmsProp(0.01), 1), Is.EqualTo(-0.01 * 2 / (Math.Sqrt(0.01 * 4) + 1e-8)).Within(1e-15));
    }

    [Test]
    public void LayerSizeMismatchNamesTheLayer()
    {
        var net = Net();
        var trainer = new Trainer(net, new Backpropagation(), new SgdMomentum(0.1), new MeanSquaredError(), 4);
        var wrongInputs = TeacherStudent.Linear(7, 3, 10, 1, out _);
        var ex = Assert.Throws<ArgumentException>(() => trainer.Train(wrongInputs, null, new TrainingOptions()));
        Assert.That(ex!.Message, Does.Contain("7 inputs").And.Contain("layer 1 (8 → 12)"));
        var wrongOutputs = TeacherStudent.Linear(8, 2, 10, 1, out _);
        ex = Assert.Throws<ArgumentException>(() => trainer.Train(wrongOutputs, null, new TrainingOptions()));
        Assert.That(ex!.Message, Does.Contain("layer 3 (9 → 3)"));
        var bad = Assert.Throws<ArgumentException>(() => new Network(8, [new LayerSpec(4, new Tanh()), new LayerSpec(0)], new ManagedMatrixProduct()));
        Assert.That(bad!.Message, Does.Contain("layer 2"));
    }

    /// <summary>Same seed, same bits; the seed decides the data order.</summary>
    [Test]
    public void TrainingIsReproducibleAndSeeded()
    {
        double[] Weights(ulong seed)
        {
            var net = Net();
            var rule = new FeedbackAlignment();
            rule.Prepare(net, 1);
            var opt = new Adam(0.01);
            opt.Prepare(net);
            var data = TeacherStudent.Tanh(8, 5, 3, 100, 2);
            new Trainer(net, rule, opt, new MeanSquaredError(), 16).Train(data, null, new TrainingOptions { Epochs = 2, BatchSize = 16, Seed = seed });
            return net.Layers[0].Weights;
        }
        Assert.That(Weights(5), Is.EqualTo(Weights(5)));
        Assert.That(Weights(5), Is.Not.EqualTo(Weights(6)));
    }

    /// <summary>Training state — weights, optimiser moments and rule state — round-trips through a snapshot: continuing from it gives the same bits.</summary>
    [Test]
    public void ResumingFromASnapshotGivesTheSameBits()
    {
        var data = TeacherStudent.Tanh(8, 5, 3, 64, 2);
        var x = new double[16 * 8]; var y = new double[16 * 3];
        data.Gather(Enumerable.Range(0, 16).ToArray(), x, y);
        (Network, DirectFeedbackAlignment, Adam, Trainer) Make(ulong ruleSeed)
        {
            var net = Net();
            var rule = new DirectFeedbackAlignment();
            rule.Prepare(net, ruleSeed);
            var opt = new Adam(0.01);
            opt.Prepare(net);
            return (net, rule, opt, new Trainer(net, rule, opt, new MeanSquaredError(), 16));
        }
        var (netA, ruleA, optA, a) = Make(1);
        for (int s = 0; s < 3; s++) a.Step(x, y, 16);
        var snapshot = new StateSnapshot();
        netA.SaveState(snapshot, "net/"); ruleA.SaveState(snapshot, "rule/"); optA.SaveState(snapshot, "opt/");
        var (netB, ruleB, optB, b) = Make(2);
        netB.LoadState(snapshot, "net/"); ruleB.LoadState(snapshot, "rule/"); optB.LoadState(snapshot, "opt/");
        for (int s = 0; s < 3; s++) { a.Step(x, y, 16); b.Step(x, y, 16); }
        for (int l = 0; l < 3; l++) Assert.That(netB.Layers[l].Weights, Is.EqualTo(netA.Layers[l].Weights));
    }

    /// <summary>Hot loop: a training step allocates nothing once the buffers exist (both kernels).</summary>
    [Test]
    public void TrainingStepAllocatesNothing([Values("managed", "openblas")] string kernel, [Values("backprop", "fa", "dfa")] string ruleName)
    {
        IMatrixProduct product = ExternalTools.MatrixProduct(kernel);   // fails naming libopenblas0 when OpenBLAS is missing
        var net = Net(product);
        ICreditAssignmentRule rule = ruleName switch { "backprop" => new Backpropagation(), "fa" => new FeedbackAlignment(), _ => new DirectFeedbackAlignment() };
        rule.Prepare(net, 1);
        var opt = new SgdMomentum(0.01, 0.9);
        opt.Prepare(net);
        var trainer = new Trainer(net, rule, opt, new SoftmaxCrossEntropy(), 16);
        var x = new double[16 * 8]; var y = new double[16 * 3];
        for (int r = 0; r < 16; r++) y[r * 3 + r % 3] = 1;
        trainer.Step(x, y, 16);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int s = 0; s < 10; s++) trainer.Step(x, y, 16);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }
}
