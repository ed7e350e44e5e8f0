using BioSim.Engine.Numerics;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity;

/// <summary>
/// The per-epoch learning-rate schedule and the one place that applies it (<see cref="Trainer.ScaleRates"/>).
/// Reference for the official schedule: the per-epoch decay of the Supervised-CorInfoMax code
/// (CorInfoMax_FashionMNIST_Simulation_V1.py), written in benchmarks/Plasticity/CorInfoMaxFashion.cs as
/// <c>Math.Pow(e &lt; 20 ? 0.95 : e &lt; 25 ? 0.9 : 0.8, e)</c> for the 0-based epoch e; the same expression here must
/// give the same bits, since both are one Math.Pow of the same arguments.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class LearningRateScheduleTests
{
    [Test]
    public void TheOfficialCorInfoMaxScheduleGivesTheBenchmarksFactors()
    {
        var schedule = new LearningRateSchedule([new(1, 0.95), new(21, 0.9), new(26, 0.8)]);
        for (int e = 0; e < 60; e++)
            Assert.That(schedule.Factor(e + 1), Is.EqualTo(Math.Pow(e < 20 ? 0.95 : e < 25 ? 0.9 : 0.8, e)), $"0-based epoch {e}");
        Assert.That(LearningRateSchedule.CorInfoMaxFashion.Segments, Is.EqualTo(schedule.Segments));
        // Hand values at the segment edges: the exponent is the epoch, not the epochs spent in the segment.
        Assert.That(schedule.Factor(1), Is.EqualTo(1.0));
        Assert.That(schedule.Factor(20), Is.EqualTo(0.377353602).Within(1e-9)); // 0.95^19
        Assert.That(schedule.Factor(21), Is.EqualTo(0.121576655).Within(1e-9)); // 0.9^20
        Assert.That(schedule.Factor(26), Is.EqualTo(0.00377789319).Within(1e-11)); // 0.8^25
    }

    [Test]
    public void BadSegmentsAreRejectedByNumber()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => _ = new LearningRateSchedule([new(2, 0.9)]))!.Message, Does.StartWith("segment 1 starts at epoch 2"));
        Assert.That(Assert.Throws<ArgumentException>(() => _ = new LearningRateSchedule([new(1, 0.9), new(1, 0.8)]))!.Message, Does.StartWith("segment 2 starts at epoch 1, not after"));
        Assert.That(Assert.Throws<ArgumentException>(() => _ = new LearningRateSchedule([new(1, 0.0)]))!.Message, Does.StartWith("segment 1: the factor per epoch must be positive"));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.CorInfoMaxFashion.Factor(0));
    }

    /// <summary>
    /// One mechanism for every rule: a rule with rates of its own (correlative infomax) takes the factor and the
    /// optimiser keeps rate 1 (no rate scaled twice); any other rule's optimiser takes it. A scaled SGD step equals a
    /// step of an SGD built with the scaled rate (bit for bit: both compute η·s once), and Adam's step scales by s.
    /// </summary>
    [Test]
    public void ScaleRatesGoesToTheRuleThatOwnsRatesOrElseToTheOptimiser()
    {
        var net = new Network(3, [new LayerSpec(4, new UnitClip(), Bias: false), new LayerSpec(2, new UnitClip(), Bias: false)], new ManagedMatrixProduct());
        net.Initialise(1);
        var infomax = new CorrelativeInfomax();
        var sgd = new SgdMomentum(1.0);
        new Trainer(net, infomax, sgd, new MeanSquaredError(), 4).ScaleRates(0.25);
        Assert.That((infomax.RateScale, sgd.RateScale), Is.EqualTo((0.25, 1.0)));
        var adam = new Adam(0.01);
        new Trainer(net, new Backpropagation(), adam, new MeanSquaredError(), 4).ScaleRates(0.25);
        Assert.That(adam.RateScale, Is.EqualTo(0.25));

        double Step(IOptimiser o, double scale)
        {
            var one = new Network(1, [new LayerSpec(1, new Identity(), Bias: false)], new ManagedMatrixProduct());
            o.Prepare(one);
            o.RateScale = scale;
            var g = new ParameterGradients(one);
            g.Weights[0][0] = 2.0;
            o.Step(one, g);
            return one.Layers[0].Weights[0];
        }
        Assert.That(Step(new SgdMomentum(0.1 * 0.3), 1.0), Is.EqualTo(Step(new SgdMomentum(0.1), 0.3)));
        Assert.That(Step(new Adam(0.01), 0.3), Is.EqualTo(0.3 * Step(new Adam(0.01), 1.0)).Within(1e-17));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SgdMomentum(0.1).RateScale = 0);
    }
}
