using BioSim.Circuits.Microcircuit;
using BioSim.Engine.Simulation;
using BioSim.Plasticity.Dendritic;
using NUnit.Framework;
using static BioSim.Tests.Microcircuit.MicrocircuitSetups;

namespace BioSim.Tests.Microcircuit;

/// <summary>
/// Issue 15, learning with the full dynamics (dt 0.1 ms, 100 ms per sample, τ_w 30 ms, the dendritic error rule running
/// every step). The bounds are the issue's: the self-predicting state learned from random lateral weights within 50
/// patterns (mean |v_A| at least five-fold lower; Sacramento et al. 2018, Fig. S1, learning rates η^IP 0.0011875,
/// η^PI 0.0005 in 1/ms), and a 30-20-10 student learning a random 30-20-10 teacher (test error at least ten-fold lower)
/// while the apical potentials stay small. Measured values (seeded, deterministic) are in the comments.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class MicrocircuitLearningTests
{
    private const double Dt = 0.1;
    private const int StepsPerSample = 1000;

    [Test]
    public void TheSelfPredictingStateIsLearnedWithinFiftyPatterns()
    {
        var c = new CorticalMicrocircuit("mc", new MicrocircuitParameters { layers = [30, 20, 10] }, 7);
        c.UseSamples(new SampleTable(Uniform(7, "patterns", 50 * 30), 30));
        c.Attach(new DendriticErrorRule().Create(new DendriticErrorParameters { eta_IP = [0.0011875], eta_PI = [0.0005] }));
        using var sim = new Simulator([c], [], Dt);
        // 10 ms into the first pattern: the somata have settled (τ ≤ 1 ms) and the weights have barely moved.
        sim.Run(100);
        double initial = MeanAbsoluteApical(c);
        sim.Run(StepsPerSample - 100);
        double last = 0;
        for (int k = 1; k < 50; k++)
        {
            sim.Run(StepsPerSample);
            if (k >= 45) last += MeanAbsoluteApical(c) / 5;
        }
        // Measured: 0.24 → 0.0057 (42-fold).
        TestContext.Out.WriteLine($"mean |v_A|: {initial:G4} at 10 ms, {last:G4} at the end of patterns 46-50");
        Assert.That(initial, Is.GreaterThan(0.05), "random lateral weights leave a sizeable apical potential");
        Assert.That(last, Is.LessThanOrEqualTo(initial / 5), "mean |v_A| falls at least five-fold within 50 patterns");
        Assert.That(c.Forward(1), Is.EqualTo(new CorticalMicrocircuit("mc", c.Parameters, 7).Forward(1)), "η^PP = 0 leaves the forward weights alone");
    }

    [Test]
    public void AStudentLearnsARandomTeacherAndKeepsTheSelfPredictingState()
    {
        const int samples = 300, tests = 50;
        var teacher = new CorticalMicrocircuit("teacher", new MicrocircuitParameters { layers = [30, 20, 10], initial_scale = 3.0 }, 101);
        var x = Uniform(3, "train", samples * 30);
        var y = new double[samples * 10];
        for (int s = 0; s < samples; s++) FeedforwardPotentials(teacher, x.AsSpan(s * 30, 30))[2].CopyTo(y, s * 10);
        var xTest = Uniform(4, "test", tests * 30);
        var yTest = new double[tests * 10];
        for (int s = 0; s < tests; s++) FeedforwardPotentials(teacher, xTest.AsSpan(s * 30, 30))[2].CopyTo(yTest, s * 10);

        var c = new CorticalMicrocircuit("student", new MicrocircuitParameters { layers = [30, 20, 10], initial_scale = 3.0 }, 7);
        SelfPredictingState.Apply(c);
        c.UseSamples(new SampleTable(x, 30, y, 10));
        c.Attach(new DendriticErrorRule().Create(new DendriticErrorParameters
        {
            eta_PP = [0.003, 0.0015], eta_IP = [0.00475], eta_PI = [0.002],
        }));
        // The test error of the feedforward pass the circuit computes with its apical potentials at zero.
        double TestError()
        {
            double e = 0;
            for (int s = 0; s < tests; s++)
            {
                var u = FeedforwardPotentials(c, xTest.AsSpan(s * 30, 30))[2];
                for (int i = 0; i < 10; i++) e += (u[i] - yTest[s * 10 + i]) * (u[i] - yTest[s * 10 + i]);
            }
            return e / tests;
        }
        using var sim = new Simulator([c], [], Dt);
        double before = TestError();
        double worstApical = 0;
        for (int k = 0; k < samples / 20; k++)
        {
            sim.Run(20 * StepsPerSample);
            worstApical = Math.Max(worstApical, MeanAbsoluteApical(c));
        }
        double after = TestError();
        // Measured: 11.75 → 0.755 (15.6-fold), mean |v_A| ≤ 0.0183. The test targets' variance is 0.46: after 300 samples the
        // student has mostly learned the targets' mean; beating the best constant predictor takes thousands (see the report).
        TestContext.Out.WriteLine($"test error {before:G4} → {after:G4}; largest mean |v_A| at the 20-sample marks {worstApical:G3}");
        Assert.That(after, Is.LessThanOrEqualTo(before / 10), "test error falls at least ten-fold");
        Assert.That(worstApical, Is.LessThan(0.05), "the self-predicting state is kept while learning");
    }

    /// <summary>
    /// Hidden-layer credit assignment as the paper's Fig. 2 shows it: from the same initial weights, a student whose top-down
    /// weights are the transposed forward weights (backprop-like, kept fixed) against a shallow learner (hidden weights
    /// frozen, η^PP_1 = 0), 1000 samples each. The issue asks for "clearly below"; the bound is 10 % lower (measured:
    /// 0.447 against 0.569, 21 % lower; benchmarks/Microcircuit/MicrocircuitRegression prints the learning curves of both and of fixed random
    /// top-down weights over 2000 samples).
    /// </summary>
    [Test]
    public void WithTransposedTopDownWeightsTheHiddenLayerLearnsBeyondAShallowLearner()
    {
        const int samples = 1000, tests = 50;
        var p = new MicrocircuitParameters { layers = [30, 20, 10], initial_scale = 3 };
        var teacher = new CorticalMicrocircuit("teacher", p, 101);
        var x = Uniform(3, "train", samples * 30);
        var y = new double[samples * 10];
        for (int s = 0; s < samples; s++) teacher.FeedforwardPass(x.AsSpan(s * 30, 30), y.AsSpan(s * 10, 10));
        var xTest = Uniform(4, "test", tests * 30);
        var yTest = new double[tests * 10];
        for (int s = 0; s < tests; s++) teacher.FeedforwardPass(xTest.AsSpan(s * 30, 30), yTest.AsSpan(s * 10, 10));
        double Train(bool shallow)
        {
            var c = new CorticalMicrocircuit("student", p, 7);
            var b = c.TopDown(1);
            var w2 = c.Forward(2);
            for (int i = 0; i < 20; i++)
            {
                for (int j = 0; j < 10; j++) b[i * 10 + j] = w2[j * 20 + i];
            }
            SelfPredictingState.Apply(c);
            c.UseSamples(new SampleTable(x, 30, y, 10));
            c.Attach(new DendriticErrorRule().Create(new DendriticErrorParameters
            {
                eta_PP = [shallow ? 0 : 0.003, 0.0015], eta_IP = [0.00475], eta_PI = [0.002],
            }));
            using var sim = new Simulator([c], [], Dt);
            sim.Run(samples * (long)StepsPerSample);
            double e = 0;
            var u = new double[10];
            for (int s = 0; s < tests; s++)
            {
                c.FeedforwardPass(xTest.AsSpan(s * 30, 30), u);
                for (int i = 0; i < 10; i++) e += (u[i] - yTest[s * 10 + i]) * (u[i] - yTest[s * 10 + i]);
            }
            return e / tests;
        }
        double deep = Train(shallow: false), flat = Train(shallow: true);
        TestContext.Out.WriteLine($"test error after {samples} samples: transposed top-down {deep:G4}, shallow {flat:G4}");
        Assert.That(deep, Is.LessThanOrEqualTo(0.9 * flat));
    }
}
