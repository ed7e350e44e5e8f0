using BioSim.Engine.Ode;
using NUnit.Framework;

namespace BioSim.Tests.Engine.Ode;

/// <summary>
/// Measured convergence orders: fixed steps over [0, 2] against a closed form, halving h four times, and
/// the least-squares slope of log(largest global error on the grid) against log(h). A method of order p
/// has global error O(h^p) (Hairer, Nørsett and Wanner I, Theorem II.3.6). Step counts are chosen per
/// order so that errors stay far above rounding (about 1e-14 here).
/// </summary>
[TestFixture, Category("Validation")]
public sealed class RungeKuttaConvergenceTests
{
    private const double End = 2.0;

    private static IEnumerable<ButcherTableau> AllTableaux() => ButcherTableau.All;

    private static IEnumerable<ButcherTableau> EmbeddedTableaux() => ButcherTableau.All.Where(t => t.HasErrorEstimate);

    /// <summary>On <see cref="ForcedRotation"/> (linear, non-autonomous, so the nodes c matter) the slope must be
    /// within 0.15 of p; the higher-order terms at the largest h account for less than 0.1 here.</summary>
    [TestCaseSource(nameof(AllTableaux))]
    public void MeasuredOrderMatchesTheTableau(ButcherTableau tableau)
    {
        double slope = MeasureOrder(tableau, tableau.Order, embedded: false, new ForcedRotation(), ForcedRotation.Initial, ForcedRotation.Exact);
        Assert.That(slope, Is.EqualTo(tableau.Order).Within(0.15));
    }

    /// <summary>Propagating the embedded solution ŷ = y − err alone must converge with the embedded order.</summary>
    [TestCaseSource(nameof(EmbeddedTableaux))]
    public void MeasuredEmbeddedOrderMatchesTheTableau(ButcherTableau tableau)
    {
        int q = tableau.EmbeddedOrder!.Value;
        double slope = MeasureOrder(tableau, q, embedded: true, new ForcedRotation(), ForcedRotation.Initial, ForcedRotation.Exact);
        Assert.That(slope, Is.EqualTo(q).Within(0.15));
    }

    /// <summary>
    /// On the nonlinear <see cref="NonlinearProblem"/> (which exercises the order conditions of every rooted
    /// tree, not only the linear ones) the slope must reach p − 0.15: a wrong coefficient drops it to p − 1 or
    /// less. Only a lower bound is asserted because Dormand-Prince's tiny principal error constant leaves the
    /// h⁶ term visible down to errors of 1e-13 (measured slope 5.2–5.5 before rounding sets in).
    /// </summary>
    [TestCaseSource(nameof(AllTableaux))]
    public void MeasuredOrderOnANonlinearProblemReachesTheTableauOrder(ButcherTableau tableau)
    {
        double slope = MeasureOrder(tableau, tableau.Order, embedded: false, new NonlinearProblem(), NonlinearProblem.Initial, NonlinearProblem.Exact);
        Assert.That(slope, Is.GreaterThan(tableau.Order - 0.15).And.LessThan(tableau.Order + 0.6));
    }

    private delegate void ExactSolution(double t, Span<double> y);

    private static double MeasureOrder(ButcherTableau tableau, int order, bool embedded, IOdeSystem system, double[] initial, ExactSolution exactSolution)
    {
        int baseSteps = order switch { 1 => 200, 2 => 40, 3 => 20, 4 => 10, _ => 8 };
        int n = system.Dimension;
        var stepper = new ExplicitRungeKutta(tableau, n);
        var hs = new List<double>();
        var errors = new List<double>();
        double[] y = new double[n], yNext = new double[n], err = new double[n], exact = new double[n];
        for (int k = 0; k < 5; k++)
        {
            int steps = baseSteps << k;
            double h = End / steps;
            initial.CopyTo(y, 0);
            double error = 0;
            for (int i = 0; i < steps; i++)
            {
                stepper.Step(system, i * h, y, h, yNext, embedded ? err : default);
                if (embedded)
                {
                    for (int j = 0; j < n; j++) yNext[j] -= err[j];
                }
                (y, yNext) = (yNext, y);
                exactSolution((i + 1) * h, exact);
                error = Math.Max(error, Fit.MaxAbsDifference(y, exact));
            }
            hs.Add(h);
            errors.Add(error);
        }
        double slope = Fit.Slope(hs, errors);
        TestContext.Out.WriteLine($"{tableau.Name}{(embedded ? " (embedded)" : "")} on {system.GetType().Name}: errors {string.Join(", ", errors.Select(e => e.ToString("E2")))}, slope {slope:F3}");
        return slope;
    }

    /// <summary>
    /// Dense output of one step of the <see cref="Rotation"/> y'' = −y from the exact state (cos t0, sin t0):
    /// the Euclidean error at mid-step must fall like h^(r+1), r = min(p, interpolant order) (a local error;
    /// HNW I, II.6). That is 5 for Dormand-Prince's quartic extension, 4 for cubic Hermite on methods of
    /// order ≥ 3, 3 for Heun and 2 for Euler. The rotation is used because every derivative of its solution
    /// has Euclidean norm 1, so no leading coefficient can vanish at the chosen t0 and bend the fit
    /// (on <see cref="NonlinearProblem"/> one component's h⁴ coefficient changes sign near t = 0.3).
    /// </summary>
    [TestCaseSource(nameof(AllTableaux))]
    public void DenseOutputErrorAtMidStepHasTheExpectedOrder(ButcherTableau tableau)
    {
        var system = new Rotation();
        var stepper = new ExplicitRungeKutta(tableau, 2);
        var dense = new DenseOutput(tableau, 2);
        double t0 = 0.3;
        double[] y0 = [Math.Cos(t0), Math.Sin(t0)], y1 = new double[2], mid = new double[2];
        var hs = new List<double>();
        var errors = new List<double>();
        for (int k = 0; k < 5; k++)
        {
            double h = 0.2 / (1 << k);
            stepper.Step(system, t0, y0, h, y1, default);
            dense.Capture(stepper, system, t0, h, y0, y1);
            double tm = t0 + 0.5 * h;
            dense.Evaluate(tm, mid);
            hs.Add(h);
            errors.Add(Math.Sqrt(Math.Pow(mid[0] - Math.Cos(tm), 2) + Math.Pow(mid[1] - Math.Sin(tm), 2)));
        }
        double slope = Fit.Slope(hs, errors);
        int expected = Math.Min(tableau.Order, tableau.InterpolantOrder) + 1;
        TestContext.Out.WriteLine($"{tableau.Name}: mid-step errors {string.Join(", ", errors.Select(e => e.ToString("E2")))}, slope {slope:F3}, expected {expected}");
        Assert.That(slope, Is.EqualTo(expected).Within(0.2));
    }

    /// <summary>The interpolant passes through both ends of the step (to rounding).</summary>
    [TestCaseSource(nameof(AllTableaux))]
    public void DenseOutputMatchesTheStepEnds(ButcherTableau tableau)
    {
        var system = new NonlinearProblem();
        var stepper = new ExplicitRungeKutta(tableau, 3);
        var dense = new DenseOutput(tableau, 3);
        double[] y0 = NonlinearProblem.Initial, y1 = new double[3], at = new double[3];
        stepper.Step(system, 0, y0, 0.1, y1, default);
        dense.Capture(stepper, system, 0, 0.1, y0, y1);
        dense.Evaluate(0, at);
        Assert.That(Fit.MaxAbsDifference(at, y0), Is.LessThan(1e-15));
        dense.Evaluate(0.1, at);
        Assert.That(Fit.MaxAbsDifference(at, y1), Is.LessThan(1e-15));
        Assert.That(dense.T0, Is.EqualTo(0));
        Assert.That(dense.T1, Is.EqualTo(0.1));
    }
}
