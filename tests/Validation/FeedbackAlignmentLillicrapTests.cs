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
/// Reference: Lillicrap, Cownden, Tweed &amp; Akerman (2016), "Random synaptic feedback weights support
/// error backpropagation for deep learning", Nat. Commun. 7:13276, Fig. 2a-b: a linear 30-20-10 network
/// learns a linear teacher y* = T x (x ~ N(0, I), T ~ U[−1, 1]) from single samples with η = 0.005,
/// W ~ U[−0.01, 0.01] and a fixed B ~ U[−0.5, 0.5]. Feedback alignment drives the normalised error
/// ‖e‖²/‖y*‖² towards zero and the hidden signal B e comes to within ~20-45° of backprop's Wᵀe
/// ("alignment"), whereas under backprop training the random B stays far (~90°) from Wᵀ. Bounds from the
/// issue: FA error &lt; 1e-3 after 1000 steps, angle in [20°, 45°]; under BP the angle stays &gt; 60°.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class FeedbackAlignmentLillicrapTests
{
    private const int Steps = 1000;

    private static (double Error, double Angle) Run(string rule, ulong seed)
    {
        var product = new ManagedMatrixProduct();
        var net = new Network(30, [new LayerSpec(20, new Identity(), Bias: false), new LayerSpec(10, new Identity(), Bias: false)], product);
        foreach (var layer in net.Layers) net.Initialise(layer, new UniformDistribution(-0.01, 0.01), seed);
        var fa = new FeedbackAlignment { Feedback = new UniformDistribution(-0.5, 0.5) };
        fa.Prepare(net, seed);
        ICreditAssignmentRule trained = rule == "fa" ? fa : new Backpropagation();
        var optimiser = new SgdMomentum(0.005);
        optimiser.Prepare(net);
        var trainer = new Trainer(net, trained, optimiser, new MeanSquaredError(), 1);
        var train = TeacherStudent.Linear(30, 10, Steps, seed, out _);
        var test = TeacherStudent.Linear(30, 10, Steps + 200, seed, out _); // same teacher and stream: the last 200 rows are unseen
        var x = new double[30]; var y = new double[10];
        for (int s = 0; s < Steps; s++)
        {
            train.Gather([s], x, y);
            trainer.Step(x, y, 1);
        }
        // Normalised error and the hidden signals of both rules on 200 unseen samples.
        double err = 0, norm = 0, dot = 0, nBp = 0, nFa = 0;
        var tape = net.CreateTape(1);
        var loss = new MeanSquaredError();
        for (int s = Steps; s < Steps + 200; s++)
        {
            test.Gather([s], x, y);
            net.Forward(x, 1, tape);
            loss.Evaluate(net, tape, y);
            for (int j = 0; j < 10; j++) { double e = tape.Output[j] - y[j]; err += e * e; norm += y[j] * y[j]; }
            fa.PropagateErrors(net, tape);
            var faSignal = tape.Delta[1].ToArray();
            new Backpropagation().PropagateErrors(net, tape);
            var bpSignal = tape.Delta[1];
            for (int j = 0; j < 20; j++) { dot += faSignal[j] * bpSignal[j]; nFa += faSignal[j] * faSignal[j]; nBp += bpSignal[j] * bpSignal[j]; }
        }
        double angle = Math.Acos(dot / Math.Sqrt(nFa * nBp)) * 180 / Math.PI;
        return (err / norm, angle);
    }

    [TestCase(1UL)]
    [TestCase(2UL)]
    public void FeedbackAlignmentLearnsAndAligns(ulong seed)
    {
        var (error, angle) = Run("fa", seed);
        TestContext.Out.WriteLine($"FA, seed {seed}: normalised error {error:E3}, angle(B e, Wᵀ e) = {angle:F1}°");
        Assert.That(error, Is.LessThan(1e-3));
        Assert.That(angle, Is.InRange(20.0, 45.0));
    }

    [TestCase(1UL)]
    [TestCase(2UL)]
    public void UnderBackpropTheRandomFeedbackStaysUnaligned(ulong seed)
    {
        var (error, angle) = Run("bp", seed);
        TestContext.Out.WriteLine($"BP, seed {seed}: normalised error {error:E3}, angle(B e, Wᵀ e) = {angle:F1}°");
        Assert.That(angle, Is.GreaterThan(60.0));
    }
}
