using BioSim.Engine.Ode;
using NUnit.Framework;

namespace BioSim.Tests.Engine.Ode;

[TestFixture, Category("Validation")]
public sealed class AdaptiveIntegratorTests
{
    private static readonly double[] Tolerances = [1e-4, 1e-6, 1e-8, 1e-10];

    private static IEnumerable<TestCaseData> PairsAndTolerances()
    {
        foreach (var tableau in new[] { ButcherTableau.DormandPrince54, ButcherTableau.BogackiShampine32 })
        {
            foreach (double rtol in Tolerances) yield return new TestCaseData(tableau, rtol);
        }
    }

    /// <summary>
    /// Global error on <see cref="NonlinearProblem"/> over [0, 10] (closed form) with atol = rtol: local
    /// error control per unit step gives a global error of the order of the tolerance times the number of
    /// error-amplifying time constants (here about one, since all components are stable or bounded), so
    /// the largest error over every accepted step must stay below 10·rtol. The measured ratios are printed.
    /// </summary>
    [TestCaseSource(nameof(PairsAndTolerances))]
    public void GlobalErrorIsWithinASmallMultipleOfTheTolerance(ButcherTableau tableau, double rtol)
    {
        var system = new NonlinearProblem();
        var integrator = new AdaptiveIntegrator(tableau, 3, new AdaptiveOptions { RelativeTolerance = rtol, AbsoluteTolerance = rtol });
        var record = new IntegrationRecord();
        double[] y = NonlinearProblem.Initial, exact = new double[3];
        var result = integrator.Integrate(system, 0, 10, y, record);
        NonlinearProblem.Exact(10, exact);
        double error = Fit.MaxAbsDifference(y, exact);
        TestContext.Out.WriteLine($"{tableau.Name} rtol {rtol:E0}: error {error:E2} ({error / rtol:F2}·rtol), {result.AcceptedSteps} accepted, {result.RejectedSteps} rejected, {result.Evaluations} evaluations");
        Assert.That(result.FinalTime, Is.EqualTo(10.0));
        Assert.That(error, Is.LessThan(10 * rtol));
        Assert.That(record.Steps, Has.Count.EqualTo(result.AcceptedSteps));
    }

    /// <summary>Tighter tolerances need more steps (for a method with error exponent k, roughly rtol^(−1/k)).</summary>
    [TestCase("dopri5")]
    [TestCase("bs3")]
    public void StepCountGrowsAsTheToleranceShrinks(string name)
    {
        var tableau = ButcherTableau.All.Single(t => t.Name == name);
        var counts = new List<long>();
        foreach (double rtol in Tolerances)
        {
            var integrator = new AdaptiveIntegrator(tableau, 3, new AdaptiveOptions { RelativeTolerance = rtol, AbsoluteTolerance = rtol });
            counts.Add(integrator.Integrate(new NonlinearProblem(), 0, 10, NonlinearProblem.Initial).AcceptedSteps);
        }
        TestContext.Out.WriteLine($"{name}: {string.Join(", ", counts)}");
        Assert.That(counts, Is.Ordered.Ascending);
        for (int i = 1; i < counts.Count; i++) Assert.That(counts[i], Is.GreaterThan(counts[i - 1]));
    }

    /// <summary>The recorded steps (t, h) replayed with a fresh stepper from the same start reproduce the
    /// final state bit for bit; the steps tile [t0, t1] exactly. This is what the neural-ODE adjoint relies on.</summary>
    [TestCase(10.0)]
    [TestCase(-3.0)]
    public void ReplayingTheAcceptedStepsReproducesTheStateBitForBit(double end)
    {
        var tableau = ButcherTableau.DormandPrince54;
        var system = new NonlinearProblem();
        var integrator = new AdaptiveIntegrator(tableau, 3, new AdaptiveOptions { RelativeTolerance = 1e-7, AbsoluteTolerance = 1e-9 });
        var record = new IntegrationRecord();
        double[] y = NonlinearProblem.Initial;
        integrator.Integrate(system, 0, end, y, record);

        var stepper = new ExplicitRungeKutta(tableau, 3);
        double[] replay = NonlinearProblem.Initial, next = new double[3];
        double t = 0;
        foreach (var step in record.Steps)
        {
            Assert.That(step.T, Is.EqualTo(t));
            stepper.Step(system, step.T, replay, step.H, next, default);
            (replay, next) = (next, replay);
            t = step.T + step.H;
        }
        Assert.That(t, Is.EqualTo(end).Within(1e-12));
        Assert.That(replay, Is.EqualTo(y));
    }

    /// <summary>After a warm-up, an integration without observer or events allocates nothing.</summary>
    [Test, Category("Unit")]
    public void IntegrationWithoutObserverDoesNotAllocate()
    {
        var system = new LinearDecay(17);
        var integrator = new AdaptiveIntegrator(ButcherTableau.DormandPrince54, 17);
        double[] y = new double[17];
        void Run()
        {
            Array.Fill(y, 1.0);
            integrator.Integrate(system, 0, 5, y);
        }
        for (int i = 0; i < 50; i++) Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run();
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    /// <summary>y' = y² from y(0) = 1 blows up at t = 1 (y = 1/(1 − t)); the step size must collapse there, and
    /// the error names the time, the step and component 2 (the blowing-up one among three). Reference: the closed form.</summary>
    [Test, Category("Unit")]
    public void StepSizeUnderflowSaysWhenAndWhichComponent()
    {
        var system = new BlowUp();
        var integrator = new AdaptiveIntegrator(ButcherTableau.DormandPrince54, 3);
        var ex = Assert.Throws<StepSizeUnderflowException>(() => integrator.Integrate(system, 0, 2, new double[] { 1, 1, 1 }));
        TestContext.Out.WriteLine(ex!.Message);
        Assert.That(ex.Message, Does.StartWith("Step size fell below 1e-12 at t = "));
        Assert.That(ex.Message, Does.Contain("component 2 has the largest error"));
        Assert.That(ex.Message, Does.Contain("h = "));
        Assert.That(ex.Component, Is.EqualTo(2));
        // The numerical blow-up time is shifted by the global error at the default rtol = 1e-6 (measured 3.5e-7).
        Assert.That(ex.Time, Is.EqualTo(1.0).Within(1e-5));
    }

    /// <summary>dy1/dt becomes NaN from t = 0.5 on: trial steps past 0.5 are rejected until the step size
    /// collapses, and the error names component 1 and t ≈ 0.5.</summary>
    [Test, Category("Unit")]
    public void NonFiniteStateSaysWhenAndWhichComponent()
    {
        var integrator = new AdaptiveIntegrator(ButcherTableau.DormandPrince54, 2);
        var ex = Assert.Throws<NonFiniteStateException>(() => integrator.Integrate(new NanAfterHalf(), 0, 1, new double[] { 0, 0 }));
        TestContext.Out.WriteLine(ex!.Message);
        Assert.That(ex.Message, Does.StartWith("The state became non-finite at t = 0.5 (component 1 is NaN"));
        Assert.That(ex.Component, Is.EqualTo(1));
        Assert.That(ex.Time, Is.EqualTo(0.5).Within(1e-9));
    }

    [Test, Category("Unit")]
    public void NonFiniteDerivativeAtTheStartIsReportedAtOnce()
    {
        var integrator = new AdaptiveIntegrator(ButcherTableau.BogackiShampine32, 2);
        var ex = Assert.Throws<NonFiniteStateException>(() => integrator.Integrate(new NanAfterHalf(), 0.75, 1, new double[] { 0, 0 }));
        Assert.That(ex!.Message, Does.StartWith("The derivative is non-finite at t = 0.75 (component 1 of dy/dt is NaN)"));
    }

    [Test, Category("Unit")]
    public void TableauWithoutErrorEstimateIsRefused()
    {
        var ex = Assert.Throws<ArgumentException>(() => _ = new AdaptiveIntegrator(ButcherTableau.RK4, 3));
        Assert.That(ex!.Message, Does.Contain("'rk4' has no embedded error estimate"));
    }

    [Test, Category("Unit")]
    public void InvalidOptionsAreRejectedByName()
    {
        var ex = Assert.Throws<ArgumentException>(() => _ = new AdaptiveIntegrator(ButcherTableau.DormandPrince54, 3, new AdaptiveOptions { RelativeTolerance = 0 }));
        Assert.That(ex!.ParamName, Is.EqualTo(nameof(AdaptiveOptions.RelativeTolerance)));
    }

    /// <summary>y = cos t (as the rotation y'' = −y) crosses zero first at π/2; with rtol = atol = 1e-12 the
    /// interpolant is accurate to about 1e-12 and the Illinois bracket is 1e-12 wide, so the located time
    /// must be within 1e-10 of π/2. The integration stops there (terminal event) with y ≈ (0, 1).</summary>
    [TestCase("dopri5")]
    [TestCase("bs3")]
    public void TerminalEventStopsAtTheCrossingOfCosine(string name)
    {
        var tableau = ButcherTableau.All.Single(t => t.Name == name);
        var integrator = new AdaptiveIntegrator(tableau, 2, new AdaptiveOptions { RelativeTolerance = 1e-12, AbsoluteTolerance = 1e-12 });
        var record = new IntegrationRecord();
        double[] y = [1, 0];
        var events = new[] { new OdeEvent(new ComponentEvent(0), EventDirection.Falling, Terminal: true) };
        var result = integrator.Integrate(new Rotation(), 0, 10, y, record, events);
        Assert.That(result.TerminalEvent, Is.Not.Null);
        double tEvent = result.TerminalEvent!.Value.Time;
        TestContext.Out.WriteLine($"{name}: event at {tEvent:R}, error {tEvent - Math.PI / 2:E2}, y = ({y[0]:E2}, {y[1]:R})");
        Assert.That(tEvent, Is.EqualTo(Math.PI / 2).Within(1e-10));
        Assert.That(result.FinalTime, Is.EqualTo(tEvent));
        Assert.That(result.TerminalEvent.Value.Direction, Is.EqualTo(-1));
        Assert.That(y[0], Is.EqualTo(0).Within(1e-10));
        Assert.That(y[1], Is.EqualTo(1).Within(1e-10));
        Assert.That(record.Events, Has.Count.EqualTo(1));
        Assert.That(record.Steps[^1].T + record.Steps[^1].H, Is.EqualTo(tEvent).Within(1e-15));
    }

    /// <summary>cos t on [0, 10] crosses zero at π/2 (falling), 3π/2 (rising) and 5π/2 (falling); non-terminal
    /// events are recorded in order and the integration runs to the end. A rising-only event sees 3π/2 only.</summary>
    [Test]
    public void NonTerminalEventsAreRecordedInOrder()
    {
        var integrator = new AdaptiveIntegrator(ButcherTableau.DormandPrince54, 2, new AdaptiveOptions { RelativeTolerance = 1e-12, AbsoluteTolerance = 1e-12 });
        var record = new IntegrationRecord();
        var events = new[]
        {
            new OdeEvent(new ComponentEvent(0)),
            new OdeEvent(new ComponentEvent(0), EventDirection.Rising),
        };
        var result = integrator.Integrate(new Rotation(), 0, 10, new double[] { 1, 0 }, record, events);
        Assert.That(result.FinalTime, Is.EqualTo(10.0));
        Assert.That(result.TerminalEvent, Is.Null);
        var both = record.Events.Where(e => e.EventIndex == 0).ToList();
        Assert.That(both.Select(e => e.Direction), Is.EqualTo(new[] { -1, 1, -1 }));
        for (int k = 0; k < 3; k++) Assert.That(both[k].Time, Is.EqualTo((2 * k + 1) * Math.PI / 2).Within(1e-10));
        var rising = record.Events.Where(e => e.EventIndex == 1).ToList();
        Assert.That(rising, Has.Count.EqualTo(1));
        Assert.That(rising[0].Time, Is.EqualTo(1.5 * Math.PI).Within(1e-10));
        Assert.That(record.Events.Select(e => e.Time), Is.Ordered);
    }

    /// <summary>The Illinois locator on a known interpolant: one RK4 step of the rotation from t = 1.4 over
    /// h = 0.3 brackets π/2; the root of the interpolated cos must be found to the requested 1e-12 (compared
    /// with the interpolant's own root found by bisection to rounding). The interpolant itself is only accurate to
    /// about 1e-5 at this step size (Hermite error h⁴/384 plus RK4's local error; measured 1.2e-5).</summary>
    [Test, Category("Unit")]
    public void LocatorFindsTheRootOfTheInterpolantToTheTolerance()
    {
        var tableau = ButcherTableau.RK4;
        var system = new Rotation();
        var stepper = new ExplicitRungeKutta(tableau, 2);
        var dense = new DenseOutput(tableau, 2);
        double t0 = 1.4, h = 0.3;
        double[] y0 = [Math.Cos(t0), Math.Sin(t0)], y1 = new double[2], scratch = new double[2];
        stepper.Step(system, t0, y0, h, y1, default);
        dense.Capture(stepper, system, t0, h, y0, y1);
        var g = new ComponentEvent(0);
        double root = EventLocator.Locate(dense, g, y0[0], y1[0], scratch, 1e-12);
        double a = t0, b = t0 + h;
        for (int i = 0; i < 200; i++)
        {
            double m = 0.5 * (a + b);
            dense.Evaluate(m, scratch);
            if (scratch[0] > 0) a = m; else b = m;
        }
        Assert.That(root, Is.EqualTo(b).Within(1e-12));
        Assert.That(root, Is.EqualTo(Math.PI / 2).Within(1e-4));
    }

    private sealed class BlowUp : IOdeSystem
    {
        public int Dimension => 3;

        public void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt)
        {
            dydt[0] = 0;
            dydt[1] = -y[1];
            dydt[2] = y[2] * y[2];
        }
    }

    private sealed class NanAfterHalf : IOdeSystem
    {
        public int Dimension => 2;

        public void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt)
        {
            dydt[0] = 1;
            dydt[1] = t < 0.5 ? 0 : double.NaN;
        }
    }
}
