using BioSim.Engine.Ode;
using NUnit.Framework;

namespace BioSim.Tests.Engine.Ode;

[TestFixture, Category("Unit")]
public sealed class ExplicitRungeKuttaTests
{
    private static IEnumerable<ButcherTableau> AllTableaux() => ButcherTableau.All;

    /// <summary>STYLE.md: no allocation inside a step. Measured with the thread's allocation counter over
    /// 1000 steps after a warm-up (which lets the JIT finish tiering).</summary>
    [TestCaseSource(nameof(AllTableaux))]
    public void StepDoesNotAllocate(ButcherTableau tableau)
    {
        const int n = 1001;
        var system = new LinearDecay(n);
        var stepper = new ExplicitRungeKutta(tableau, n);
        double[] y = new double[n], yOut = new double[n], err = tableau.HasErrorEstimate ? new double[n] : [];
        Array.Fill(y, 1.0);
        void Run(int steps)
        {
            double t = 0;
            for (int i = 0; i < steps; i++)
            {
                stepper.Step(system, t, y, 1e-3, yOut, err);
                (y, yOut) = (yOut, y);
                t += 1e-3;
            }
        }
        Run(2000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(1000);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    /// <summary>FSAL: after the first step, each accepted step of Dormand-Prince costs 6 evaluations (7 stages,
    /// the first reused), Bogacki-Shampine 3; a retry from the same point reuses the first stage too.</summary>
    [TestCase("dopri5", 7, 6)]
    [TestCase("bs3", 4, 3)]
    [TestCase("rk4", 4, 4)]
    public void FirstStageIsReused(string name, int first, int later)
    {
        var tableau = ButcherTableau.All.Single(t => t.Name == name);
        var system = new Counting(new NonlinearProblem());
        var stepper = new ExplicitRungeKutta(tableau, 3);
        double[] y = NonlinearProblem.Initial, y1 = new double[3], y2 = new double[3];
        stepper.Step(system, 0, y, 0.1, y1, default);
        Assert.That(system.Calls, Is.EqualTo(first));
        stepper.Step(system, 0.1, y1, 0.1, y2, default);
        Assert.That(system.Calls, Is.EqualTo(first + later));
        // Retry of the second step with a smaller h (as after a rejection): k0 = f(0.1, y1) is reused.
        stepper.Step(system, 0.1, y1, 0.05, y2, default);
        Assert.That(system.Calls, Is.EqualTo(first + later + tableau.Stages - 1));
        Assert.That(stepper.Evaluations, Is.EqualTo(system.Calls));
    }

    /// <summary>The cache must not serve a derivative for a different state at the same time.</summary>
    [Test]
    public void CacheIsNotUsedForADifferentState()
    {
        var tableau = ButcherTableau.DormandPrince54;
        var system = new NonlinearProblem();
        var cached = new ExplicitRungeKutta(tableau, 3);
        var fresh = new ExplicitRungeKutta(tableau, 3);
        double[] y = NonlinearProblem.Initial, y1 = new double[3], other = [0.5, 0.2, 0.3], a = new double[3], b = new double[3];
        cached.Step(system, 0, y, 0.1, y1, default);
        cached.Step(system, 0.1, other, 0.1, a, default);
        fresh.Step(system, 0.1, other, 0.1, b, default);
        Assert.That(a, Is.EqualTo(b));
    }

    [Test]
    public void ErrorEstimateWithoutAnEmbeddedPairIsRefused()
    {
        var stepper = new ExplicitRungeKutta(ButcherTableau.RK4, 3);
        var ex = Assert.Throws<ArgumentException>(() => stepper.Step(new NonlinearProblem(), 0, NonlinearProblem.Initial, 0.1, new double[3], new double[3]));
        Assert.That(ex!.Message, Does.Contain("'rk4' has no embedded solution"));
    }

    [Test]
    public void DimensionMismatchIsRefused()
    {
        var stepper = new ExplicitRungeKutta(ButcherTableau.RK4, 2);
        Assert.Throws<ArgumentException>(() => stepper.Step(new NonlinearProblem(), 0, NonlinearProblem.Initial, 0.1, new double[3], default));
    }

    /// <summary>For y' = −y one RK4 step multiplies by the stability polynomial 1 − h + h²/2 − h³/6 + h⁴/24 (HNW I, IV.2).</summary>
    [Test]
    public void Rk4StepOnLinearDecayIsTheStabilityPolynomial()
    {
        var stepper = new ExplicitRungeKutta(ButcherTableau.RK4, 1);
        double h = 0.3;
        double[] y = [2.0], yOut = new double[1];
        stepper.Step(new LinearDecay(1), 0, y, h, yOut, default);
        double r = 1 - h + h * h / 2 - h * h * h / 6 + h * h * h * h / 24;
        Assert.That(yOut[0], Is.EqualTo(2 * r).Within(1e-15));
    }
}
