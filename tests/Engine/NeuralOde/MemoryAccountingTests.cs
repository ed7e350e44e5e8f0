using BioSim.Engine.NeuralOde;
using BioSim.Engine.Ode;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.NeuralOde;
using NUnit.Framework;

namespace BioSim.Tests.Engine.NeuralOde;

/// <summary>
/// Memory against the number of steps N (RK4, s = 4, an MLP 2 → 32 → 32 → 2 whose tape holds L = 133 doubles,
/// N = 100 … 800 on the same interval). Each method counts the doubles it keeps for the backward pass
/// (<see cref="GradientResult.RetainedFloats"/>); the managed bytes allocated during the call are measured as
/// well. The assertions are on slopes in N, never on times:
/// backprop through the solver keeps s · L tape doubles per step (plus t_n, h_n): slope s·L + 2 exactly;
/// checkpointing and the symplectic adjoint keep the state and (t_n, h_n): slope d + 2 exactly, with an
/// N-independent part O(s·d + L + P); the continuous adjoint keeps only the schedule (slope 2).
/// The allocated bytes must follow: ≥ 0.9 · 8 · s · L per step for backprop, ≤ 8 · (d + 2) + 64 per step (list
/// growth of the schedule) for the symplectic adjoint.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class MemoryAccountingTests
{
    private static readonly int[] StepCounts = [100, 200, 400, 800];

    [Test]
    public void RetainedFloatsGrowWithTheExpectedSlopes()
    {
        var field = new MlpVectorField(2, [32, 32], new Tanh(), timeInput: true);
        field.InitializeRandom(1);
        int s = ButcherTableau.RK4.Stages, d = field.Dimension, tape = field.TapeLength;
        IGradientMethod[] methods = [new BackpropThroughSolver(), new CheckpointedBackprop(), new SymplecticAdjoint(), new ContinuousAdjoint()];
        var slopes = new Dictionary<string, (double Floats, double Bytes, double Intercept)>();
        foreach (IGradientMethod method in methods)
        {
            var floats = new double[StepCounts.Length];
            var bytes = new double[StepCounts.Length];
            for (int r = 0; r < StepCounts.Length; r++)
            {
                var problem = NeuralOdeFixtures.Problem(SolverSettings.Fixed(ButcherTableau.RK4, 2.0 / StepCounts[r]));
                var gp = new double[field.ParameterCount];
                method.Compute(field, problem, gp, default); // warm-up (JIT)
                long before = GC.GetAllocatedBytesForCurrentThread();
                GradientResult result = method.Compute(field, problem, gp, default);
                bytes[r] = GC.GetAllocatedBytesForCurrentThread() - before;
                floats[r] = result.RetainedFloats;
                Assert.That(result.Steps, Is.EqualTo(StepCounts[r]));
            }
            double slope = Slope(floats), byteSlope = Slope(bytes);
            double intercept = floats[0] - slope * StepCounts[0];
            slopes[method.Name] = (slope, byteSlope, intercept);
            TestContext.Out.WriteLine($"{method.Name,-20} retained doubles {string.Join(", ", floats)}: slope {slope:F2}/step, intercept {intercept:F0}; allocated {string.Join(", ", bytes.Select(b => $"{b / 1024:F0} KiB"))}: slope {byteSlope:F1} B/step");
        }
        Assert.That(slopes["backprop"].Floats, Is.EqualTo(s * tape + 2).Within(1e-9));
        Assert.That(slopes["checkpoint"].Floats, Is.EqualTo(d + 2).Within(1e-9));
        Assert.That(slopes["symplectic-adjoint"].Floats, Is.EqualTo(d + 2).Within(1e-9));
        Assert.That(slopes["continuous-adjoint"].Floats, Is.EqualTo(2).Within(1e-9));
        long bound = 4L * s * d + tape + field.ParameterCount + d + 5 * d; // stage machinery + loss gradients
        Assert.That(slopes["symplectic-adjoint"].Intercept, Is.LessThanOrEqualTo(bound));
        Assert.That(slopes["backprop"].Bytes, Is.GreaterThan(0.9 * 8 * s * tape));
        Assert.That(slopes["symplectic-adjoint"].Bytes, Is.LessThan(8 * (d + 2) + 64));
    }

    private static double Slope(double[] values)
    {
        double mx = 0, my = 0;
        for (int i = 0; i < values.Length; i++)
        {
            mx += StepCounts[i];
            my += values[i];
        }
        mx /= values.Length;
        my /= values.Length;
        double sxy = 0, sxx = 0;
        for (int i = 0; i < values.Length; i++)
        {
            sxy += (StepCounts[i] - mx) * (values[i] - my);
            sxx += (StepCounts[i] - mx) * (StepCounts[i] - mx);
        }
        return sxy / sxx;
    }
}
