using BioSim.Engine.Ode;
using NUnit.Framework;

namespace BioSim.Tests.Engine.Ode;

/// <summary>
/// <see cref="LocalStepper"/>, one cell's adaptive steps between events, on systems with closed forms: the harmonic
/// oscillator y'' = −y (y = sin t) and growth y' = y (y = e^t).
/// </summary>
[TestFixture, Category("Unit")]
public sealed class LocalStepperTests
{
    private sealed class Oscillator : IOdeSystem, IEventFunction
    {
        public int Dimension => 2;

        public void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt)
        {
            dydt[0] = y[1];
            dydt[1] = -y[0];
        }

        // Upward crossing of y = 0.5: sin t = 0.5 at t = π/6 + 2πk.
        public double Value(double t, ReadOnlySpan<double> y) => y[0] - 0.5;
    }

    private sealed class Growth : IOdeSystem
    {
        public int Dimension => 1;

        public void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt) => dydt[0] = y[0];
    }

    /// <summary>
    /// Integrated in pieces of 0.37 (the events of a cell), with the step size carried from piece to piece, the upward
    /// crossings of sin t = 1/2 are found at π/6 + 2πk: measured error 1.4e-10 at rtol = atol = 1e-10 (dense output plus a
    /// retaken step; the crossing time is located to 1e-12), bound 1e-9. After each crossing the call is repeated
    /// disarmed, and the downward crossing at 5π/6 does not count. The state at t = 20 equals sin and cos to 1e-8, and the
    /// step size the cell carries stays of the size of its steps (half their mean or more), not of the gaps to the pieces' ends.
    /// </summary>
    [Test]
    public void CrossingsAcrossPiecesAreLocatedOnTheDenseOutput()
    {
        var system = new Oscillator();
        var stepper = new LocalStepper(ButcherTableau.DormandPrince54, 2, new AdaptiveOptions { RelativeTolerance = 1e-10, AbsoluteTolerance = 1e-10 });
        double[] y = [0, 1];
        double h = 0, t = 0;
        long steps = 0;
        var crossings = new List<double>();
        while (t < 20)
        {
            double end = Math.Min(t + 0.37, 20);
            bool armed = true;
            while (true)
            {
                bool crossed = stepper.Advance(system, t, end, y, ref h, system, armed, ref steps, out double reached);
                t = reached;
                if (!crossed) break;
                crossings.Add(reached);
                armed = false;
            }
        }
        double[] expected = Enumerable.Range(0, 4).Select(k => Math.PI / 6 + 2 * Math.PI * k).Where(x => x < 20).ToArray();
        TestContext.Out.WriteLine($"{steps} steps; crossings {string.Join(", ", crossings.Select(c => c.ToString("F12")))}; worst error {crossings.Zip(expected, (a, b) => Math.Abs(a - b)).Max():E2}");
        Assert.That(crossings, Has.Count.EqualTo(expected.Length));
        for (int k = 0; k < expected.Length; k++) Assert.That(crossings[k], Is.EqualTo(expected[k]).Within(1e-9));
        Assert.That(y[0], Is.EqualTo(Math.Sin(20)).Within(1e-8));
        Assert.That(y[1], Is.EqualTo(Math.Cos(20)).Within(1e-8));
        Assert.That(h, Is.GreaterThan(0.5 * 20 / steps), "the carried step is not shrunk to the pieces' ends");
    }

    /// <summary>
    /// y' = y from 1 over [0, 1]: the error at t = 1 falls with the tolerance (measured 1.9e-5, 2.4e-6, 2.3e-8, 1.7e-10
    /// relative at rtol 1e-3 … 1e-9; bound 5 × rtol) while the steps grow; the same call twice
    /// gives the same bits (no state kept between calls but the caller's step size).
    /// </summary>
    [Test]
    public void ErrorFollowsTheToleranceAndCallsAreRepeatable()
    {
        var system = new Growth();
        long previousSteps = 0;
        foreach (double tol in new[] { 1e-3, 1e-5, 1e-7, 1e-9 })
        {
            var stepper = new LocalStepper(ButcherTableau.DormandPrince54, 1, new AdaptiveOptions { RelativeTolerance = tol, AbsoluteTolerance = tol });
            double[] y = [1];
            double h = 0;
            long steps = 0;
            stepper.Advance(system, 0, 1, y, ref h, null, true, ref steps, out double reached);
            double error = Math.Abs(y[0] / Math.E - 1);
            TestContext.Out.WriteLine($"rtol {tol:E0}: relative error {error:E2}, {steps} steps");
            Assert.That(reached, Is.EqualTo(1.0));
            Assert.That(error, Is.LessThan(5 * tol));
            Assert.That(steps, Is.GreaterThan(previousSteps));
            previousSteps = steps;
            double[] again = [1];
            double h2 = 0;
            long steps2 = 0;
            stepper.Advance(system, 0, 1, again, ref h2, null, true, ref steps2, out _);
            Assert.That(again[0], Is.EqualTo(y[0]), "bit for bit");
        }
    }

    /// <summary>A tolerance out of reach stops with a <see cref="StepSizeUnderflowException"/> naming the time.</summary>
    [Test]
    public void UnreachableToleranceStopsWithTheTime()
    {
        var stepper = new LocalStepper(ButcherTableau.DormandPrince54, 1, new AdaptiveOptions { RelativeTolerance = 1e-15, AbsoluteTolerance = 1e-300, MinStep = 0.1 });
        double[] y = [1];
        double h = 0;
        long steps = 0;
        var e = Assert.Throws<StepSizeUnderflowException>(() => stepper.Advance(new Growth(), 0, 10, y, ref h, null, true, ref steps, out _))!;
        Assert.That(e.Message, Does.Contain("Step size fell below").And.Contain("t = "));
    }
}
