using BioSim.Circuits.Microcircuit;
using BioSim.Engine.Simulation;
using BioSim.Plasticity.Dendritic;
using NUnit.Framework;
using static BioSim.Tests.Microcircuit.MicrocircuitSetups;

namespace BioSim.Tests.Microcircuit;

/// <summary>
/// Issue 15, speed: the fast paths of the microcircuit and the dendritic error rule change nothing beyond round-off.
/// They are: v_B,1 = W^PP_{1,0} r₀ kept while the input and those weights are unchanged; the changes of W^PP_{1,0} held
/// in a factored form over each sample (W = W₀ + α Δ₀ + c r₀ᵀ, Δ = p Δ₀ + b r₀ᵀ) and folded in when the input changes or
/// the weights are read; every other plastic matrix changed in one pass that also yields its product with the rates;
/// φ in SIMD lanes. The reference is the loop reimplementation of the equations in <see cref="NaiveMicrocircuit"/> (the
/// per-step rule, every weight changed every step). The circuit has two hidden layers so that rows of ≥ 16 columns
/// (input weights, 120), of 4 … 15 (10) and of &lt; 4 (3) all run, noise on, 3.5 samples with switches of input and
/// target, and the weights are read (folded) once in the middle of a sample. Tolerance: 1e-10 relative to each array's
/// largest value; the measured difference is printed (~1e-14).
/// </summary>
[TestFixture, Category("Unit")]
public sealed class MicrocircuitSpeedEquivalenceTests
{
    private const ulong Seed = 31;
    private const double Dt = 0.1;
    private static readonly int[] Layers = [120, 24, 10, 3];

    private static readonly DendriticErrorParameters Rule = new()
    {
        eta_PP = [0.0005, 0.01, 0.01], eta_IP = [0.01, 0.01], eta_PI = [0.005, 0.005], eta_down = [0.002, 0.002], tau_w = 30,
    };

    private static (CorticalMicrocircuit Circuit, double[] Inputs, double[] Targets) Build()
    {
        var p = new MicrocircuitParameters { layers = Layers, noise = 0.05, initial_scale = 1.5 };
        var inputs = Uniform(Seed, "inputs", 4 * Layers[0]);
        var targets = Uniform(Seed, "targets", 4 * Layers[^1], -1, 2);
        var c = new CorticalMicrocircuit("mc", p, Seed);
        c.UseSamples(new SampleTable(inputs, Layers[0], targets, Layers[^1]));
        return (c, inputs, targets);
    }

    private static double RelativeDifference(double[] a, double[] b)
    {
        double largest = 0, difference = 0;
        for (int i = 0; i < a.Length; i++)
        {
            largest = Math.Max(largest, Math.Abs(b[i]));
            difference = Math.Max(difference, Math.Abs(a[i] - b[i]));
        }
        return difference / largest;
    }

    /// <summary>With <paramref name="fixedTopDown"/> the top-down weights stay fixed (η^down = 0, feedback-alignment style), and
    /// the rule multiplies the tall 24 × 10 W^PP_{1,2} from a transposed copy.</summary>
    [TestCase(false)]
    [TestCase(true)]
    public void TheFastPathsAgreeWithThePerStepRuleOfTheEquations(bool fixedTopDown)
    {
        var rule = fixedTopDown ? Rule with { eta_down = [0, 0] } : Rule;
        var (c, inputs, targets) = Build();
        var fresh = new CorticalMicrocircuit("mc", c.Parameters, Seed);
        var naive = new NaiveMicrocircuit.Naive(c, rule, Seed);
        c.Attach(new DendriticErrorRule().Create(rule));
        int n0 = Layers[0], nL = Layers[^1], top = Layers.Length - 1;
        using (var sim = new Simulator([c], [], Dt))
        {
            for (long step = 0; step < 3500; step++)
            {
                if (step % 1000 == 0)
                {
                    int sample = (int)(step / 1000);
                    inputs.AsSpan(sample * n0, n0).CopyTo(naive.R0);
                    targets.AsSpan(sample * nL, nL).CopyTo(naive.Target);
                }
                naive.Step(step, Dt, nudged: true);
                sim.Step();
                if (step == 1700) _ = c.Forward(1);   // folds the factors in the middle of a sample
            }
        }
        double worst = 0;
        void Compare(double[] production, double[] reference, string what)
        {
            double d = RelativeDifference(production, reference);
            worst = Math.Max(worst, d);
            Assert.That(d, Is.LessThan(1e-10), what);
        }
        for (int l = 1; l <= top; l++)
        {
            Compare(c.Somatic(l), naive.U[l], $"u_{l}");
            Compare(c.Forward(l), naive.WPP[l], $"W_PP_{l}");
            Assert.That(c.Forward(l).Zip(fresh.Forward(l), (x, y) => Math.Abs(x - y)).Max(), Is.GreaterThan(1e-3), $"W_PP_{l} changed");
            if (l < top)
            {
                Compare(c.InterneuronSomatic(l), naive.UI[l], $"u_I_{l}");
                Compare(c.TopDown(l), naive.WDown[l], $"W_down_{l}");
                Compare(c.InterneuronToApical(l), naive.WPI[l], $"W_PI_{l}");
                Compare(c.PyramidalToInterneuron(l), naive.WIP[l], $"W_IP_{l}");
                double change = c.TopDown(l).Zip(fresh.TopDown(l), (x, y) => Math.Abs(x - y)).Max();
                if (fixedTopDown) Assert.That(change, Is.EqualTo(0), $"W_down_{l} fixed");
                else Assert.That(change, Is.GreaterThan(1e-4), $"W_down_{l} changed");
            }
        }
        TestContext.Out.WriteLine($"largest relative difference to the per-step loops over 3500 steps: {worst:E2}");
    }

    [Test]
    public void SavingSnapshotsInTheMiddleOfSamplesDoesNotChangeABit()
    {
        double[] Run(bool save)
        {
            var (c, _, _) = Build();
            c.Attach(new DendriticErrorRule().Create(Rule));
            using (var sim = new Simulator([c], [], Dt))
            {
                for (int step = 0; step < 2600; step++)
                {
                    sim.Step();
                    if (save && step % 137 == 5) _ = sim.Snapshot();
                }
            }
            var all = new List<double>();
            foreach (string name in c.VariableNames) all.AddRange(c.Variable(name));
            for (int l = 1; l <= c.OutputLayer; l++)
            {
                all.AddRange(c.Forward(l));
                if (l < c.OutputLayer) all.AddRange([.. c.TopDown(l), .. c.InterneuronToApical(l), .. c.PyramidalToInterneuron(l)]);
            }
            return [.. all];
        }
        var straight = Run(save: false);
        var saving = Run(save: true);
        Assert.That(saving, Has.Length.EqualTo(straight.Length));
        for (int i = 0; i < straight.Length; i++)
        {
            Assert.That(BitConverter.DoubleToInt64Bits(saving[i]), Is.EqualTo(BitConverter.DoubleToInt64Bits(straight[i])), $"value {i}");
        }
    }

    /// <summary>v_B,1 must follow W^PP_{1,0} r₀ after weights or input are changed by hand in the middle of a sample, with
    /// the rule deferring the input weights' changes and without a rule (where v_B,1 is kept between input changes).
    /// Reference: the product taken by loops from the arrays the circuit hands out; 1e-12 relative.</summary>
    [TestCase(true)]
    [TestCase(false)]
    public void WeightsAndInputChangedByHandTakeEffect(bool plastic)
    {
        var (c, _, _) = Build();
        if (plastic) c.Attach(new DendriticErrorRule().Create(Rule));
        using var sim = new Simulator([c], [], Dt);
        sim.Run(1500);
        void Check(string what)
        {
            var w = c.Forward(1);
            var r0 = c.Rates(0);
            var expected = new double[Layers[1]];
            for (int i = 0; i < expected.Length; i++)
            {
                for (int j = 0; j < r0.Length; j++) expected[i] += w[i * r0.Length + j] * r0[j];
            }
            sim.Step();   // no rule: v_B,1 of the step's end is the product with the weights read above
            if (plastic)
            {
                // The rule changed the weights over that step: compare with the product of the changed weights.
                w = c.Forward(1);
                Array.Clear(expected);
                for (int i = 0; i < expected.Length; i++)
                {
                    for (int j = 0; j < r0.Length; j++) expected[i] += w[i * r0.Length + j] * r0[j];
                }
            }
            Assert.That(RelativeDifference(c.Basal(1), expected), Is.LessThan(1e-12), what);
        }
        var weights = c.Forward(1);
        for (int k = 0; k < weights.Length; k += 7) weights[k] += 0.25;
        Check("after changing W_PP_1_0 by hand");
        c.SetInput(Uniform(Seed, "other input", Layers[0]));
        Check("after SetInput");
        c.Rates(0)[3] = 0.9;
        c.Refresh();
        Check("after writing r_0 and Refresh");
    }

    /// <summary>A tall matrix of short rows (W^PP_{1,2}, 24 × 10 here) is kept transposed by the rule: scaled by hand in the
    /// middle of a sample through the array the circuit hands out, the change must take effect at the next step. Reference:
    /// after that step, the top-down part of v_A,1 is the product, by loops, of the weights the circuit then hands out (the
    /// step's change included) with r₂, to 1e-12 relative; and those weights are about half the ones before the edit (the
    /// rule's change over one step is below 1e-3 of them).</summary>
    [Test]
    public void TopDownWeightsChangedByHandTakeEffect()
    {
        var (c, _, _) = Build();
        c.Attach(new DendriticErrorRule().Create(Rule));
        using var sim = new Simulator([c], [], Dt);
        sim.Run(1500);
        var w = c.TopDown(1);
        var before = (double[])w.Clone();
        for (int k = 0; k < w.Length; k++) w[k] *= 0.5;
        sim.Step();
        var after = c.TopDown(1);
        var r2 = c.Rates(2);
        int n1 = Layers[1], n2 = Layers[2];
        var expected = new double[n1];
        for (int i = 0; i < n1; i++)
        {
            for (int j = 0; j < n2; j++) expected[i] += after[i * n2 + j] * r2[j];
        }
        Assert.That(RelativeDifference(c.ApicalTopDown(1), expected), Is.LessThan(1e-12), "v_A,1's top-down part");
        double largest = before.Max(Math.Abs);
        for (int k = 0; k < w.Length; k++) Assert.That(after[k], Is.EqualTo(0.5 * before[k]).Within(1e-3 * largest), $"W_PP_1_2[{k}]");
    }
}
