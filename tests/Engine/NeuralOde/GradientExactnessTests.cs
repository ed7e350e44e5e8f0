using BioSim.Engine.NeuralOde;
using BioSim.Engine.Ode;
using NUnit.Framework;
using static BioSim.Tests.Engine.NeuralOde.NeuralOdeFixtures;

namespace BioSim.Tests.Engine.NeuralOde;

/// <summary>
/// The gradient methods checked against each other. Reference: backprop through the discrete solver (the chain
/// rule applied to the very arithmetic of the forward pass). The symplectic adjoint integrates a different
/// recurrence (the partitioned partner of the tableau, Matsubara, Miyatake and Yaguchi 2021, Theorem 2) which is
/// algebraically identical to it, so the two may differ only by round-off: measured 5.8e-17 to 3.9e-16 relative
/// (2-norm) over every tableau, fixed and adaptive, MLP and rate-circuit field (AVX2 machine, 2 cores); the bar is
/// 1e-14, 25 times the largest. Checkpointing reruns the very same arithmetic: measured bit-equal to backprop in
/// every case, and asserted so.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class GradientExactnessTests
{
    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (ButcherTableau tableau in ButcherTableau.All)
        {
            yield return new TestCaseData(tableau, false).SetArgDisplayNames(tableau.Name, "fixed");
            yield return new TestCaseData(tableau, true).SetArgDisplayNames(tableau.Name, "adaptive");
        }
    }

    private static SolverSettings Settings(ButcherTableau tableau, bool adaptive) =>
        adaptive ? SolverSettings.WithTolerance(tableau, 1e-6) : SolverSettings.Fixed(tableau, 0.05);

    [TestCaseSource(nameof(Cases))]
    public void SymplecticAdjointEqualsBackpropThroughTheSolver(ButcherTableau tableau, bool adaptive)
    {
        foreach (IParametricVectorField field in new IParametricVectorField[] { Mlp(), RateCircuit() })
        {
            var problem = Problem(Settings(tableau, adaptive), field.Dimension);
            var reference = Gradient(new BackpropThroughSolver(), field, problem);
            var symplectic = Gradient(new SymplecticAdjoint(), field, problem);
            var checkpoint = Gradient(new CheckpointedBackprop(), field, problem);
            double[] r = Concat(reference.Parameters, reference.State);
            double es = RelativeError(Concat(symplectic.Parameters, symplectic.State), r);
            double ec = RelativeError(Concat(checkpoint.Parameters, checkpoint.State), r);
            TestContext.Out.WriteLine($"{tableau.Name} {(adaptive ? "adaptive" : "fixed")} {field.GetType().Name}: {reference.Result.Steps} steps, loss {reference.Result.Loss:G6}; symplectic vs backprop {es:E2}, checkpoint vs backprop {ec:E2}");
            Assert.That(symplectic.Result.Loss, Is.EqualTo(reference.Result.Loss));
            Assert.That(es, Is.LessThan(1e-14));
            Assert.That(Concat(checkpoint.Parameters, checkpoint.State), Is.EqualTo(r), "checkpointing: the same bits as backprop");
        }
    }

    /// <summary>
    /// Backprop against central differences of the same discrete map (schedule fixed). With ε = 1e-5 the
    /// truncation error is O(ε²) ≈ 1e-10 times third derivatives of order one and the round-off about
    /// 1e-16·|ℓ|/ε ≈ 1e-11: measured 6.6e-11 to 9.4e-11 relative over every tableau, fixed and adaptive; the bar is
    /// 1e-9, ten times the largest (a dropped stage changes the gradient by percent).
    /// </summary>
    [TestCaseSource(nameof(Cases))]
    public void BackpropAgreesWithCentralFiniteDifferences(ButcherTableau tableau, bool adaptive)
    {
        var field = Mlp();
        var problem = Problem(Settings(tableau, adaptive));
        var reference = Gradient(new BackpropThroughSolver(), field, problem);
        var fd = Gradient(new FiniteDifferences(1e-5), field, problem);
        double e = RelativeError(Concat(fd.Parameters, fd.State), Concat(reference.Parameters, reference.State));
        TestContext.Out.WriteLine($"{tableau.Name}: FD vs backprop {e:E2}");
        Assert.That(e, Is.LessThan(1e-9));
    }

    /// <summary>
    /// Central differences converge at order two in ε: the error against the exact discrete gradient falls by
    /// about 100 when ε falls by 10 (measured on ε = 1e-2, 1e-3: 6.11e-5 and 6.11e-7, slope 2.000; asserted 2 ± 0.05).
    /// </summary>
    [Test]
    public void FiniteDifferenceErrorFallsAtSecondOrder()
    {
        var field = Mlp();
        var problem = Problem(SolverSettings.Fixed(ButcherTableau.RK4, 0.05));
        var reference = Gradient(new BackpropThroughSolver(), field, problem);
        double[] r = Concat(reference.Parameters, reference.State);
        double e1 = RelativeError(Concat(Gradient(new FiniteDifferences(1e-2), field, problem).Parameters, Gradient(new FiniteDifferences(1e-2), field, problem).State), r);
        double e2 = RelativeError(Concat(Gradient(new FiniteDifferences(1e-3), field, problem).Parameters, Gradient(new FiniteDifferences(1e-3), field, problem).State), r);
        double slope = Math.Log10(e1 / e2);
        TestContext.Out.WriteLine($"FD error {e1:E2} at 1e-2, {e2:E2} at 1e-3: order {slope:F2}");
        Assert.That(slope, Is.EqualTo(2).Within(0.05));
    }

    /// <summary>
    /// The continuous adjoint (Chen et al. 2018) approximates the gradient of the exact flow. Against the gradient
    /// of a converged forward solution (RK4 with h = 2e-3 on [0, 8], discretisation error below 1e-11), its error
    /// with forward and backward tolerances rtol = atol ∈ {1e-2, 1e-4, 1e-6, 1e-8, 1e-10} is measured and the
    /// trend asserted. Measured: errors 1.1e-4, 8.3e-7, 5.4e-9, 1.1e-10, 3.3e-12, slope 0.95 of log error against
    /// log tolerance. Asserted: slope above 0.85; the error at 1e-10 below 1e-10 (30 times the measured) and at least
    /// 1e6 times below that at 1e-2 (measured 3.4e7). (Local error control makes the error roughly proportional to
    /// the tolerance, but not step by step, so single pairs are not compared.)
    /// </summary>
    [Test]
    public void ContinuousAdjointConvergesAsTheToleranceShrinks()
    {
        var field = Mlp();
        var fine = Problem(SolverSettings.Fixed(ButcherTableau.RK4, 2e-3), duration: 8, observations: 8);
        var truth = Gradient(new BackpropThroughSolver(), field, fine);
        double[] r = Concat(truth.Parameters, truth.State);
        double[] tolerances = [1e-2, 1e-4, 1e-6, 1e-8, 1e-10];
        var errors = new List<double>();
        foreach (double rtol in tolerances)
        {
            var problem = Problem(SolverSettings.WithTolerance(ButcherTableau.DormandPrince54, rtol), duration: 8, observations: 8);
            var method = new ContinuousAdjoint(new AdaptiveOptions { RelativeTolerance = rtol, AbsoluteTolerance = rtol });
            var adjoint = Gradient(method, field, problem);
            var symplectic = Gradient(new SymplecticAdjoint(), field, problem);
            double e = RelativeError(Concat(adjoint.Parameters, adjoint.State), r);
            double es = RelativeError(Concat(symplectic.Parameters, symplectic.State), r);
            TestContext.Out.WriteLine($"rtol {rtol:E0}: continuous adjoint error {e:E2} ({adjoint.Result.Evaluations} evaluations), symplectic adjoint (gradient of the discrete map) {es:E2} ({symplectic.Result.Steps} steps)");
            errors.Add(e);
        }
        double mx = 0, my = 0, sxy = 0, sxx = 0;
        for (int i = 0; i < tolerances.Length; i++)
        {
            mx += Math.Log10(tolerances[i]) / tolerances.Length;
            my += Math.Log10(errors[i]) / tolerances.Length;
        }
        for (int i = 0; i < tolerances.Length; i++)
        {
            double dx = Math.Log10(tolerances[i]) - mx;
            sxy += dx * (Math.Log10(errors[i]) - my);
            sxx += dx * dx;
        }
        double slope = sxy / sxx;
        TestContext.Out.WriteLine($"slope of log error against log tolerance: {slope:F2}");
        Assert.That(slope, Is.GreaterThan(0.85));
        Assert.That(errors[^1], Is.LessThan(errors[0] / 1e6));
        Assert.That(errors[^1], Is.LessThan(1e-10));
    }

    /// <summary>
    /// Zero weights b_i (Dormand-Prince has b_2 = 0; the FSAL stage b_7 = 0 is not evaluated). The paper
    /// (Matsubara, Miyatake and Yaguchi 2021; its official code's tableaux "_NEU" + h·"_BAR") gives such a stage the
    /// normalising weight h instead of b_i: Λ_i = −Σ_j w_j a_ji l_j without λ_{n+1}, weight h² in λ_n and θ̄. A made-up
    /// 4-stage tableau (c = 0, 1/2, 1/4, 1; b = 0.4, 0, 0, 0.6) has two consecutive zero-weight stages, the second
    /// fed by the first, both feeding the last: the cases "b_i = 0, b_j ≠ 0" and "b_i = b_j = 0" of the partner
    /// tableau. Reference: backprop through the same solver; bar 1e-14 relative as above (measured 1.2e-16 to 1.4e-16). Fixed steps and replayed
    /// adaptive steps (h varies per step, so a weight that depends on h is exercised). To show that a naive
    /// treatment would fail the bar: the same method with the zero-weight stages bypassed (their A entries moved
    /// to a_30, so c is unchanged) has a gradient that differs by far more than 1e-14 (measured 5e-4 to 1e-2; asserted above 1e-4), so
    /// dropping those stages in the adjoint could not pass.
    /// </summary>
    [TestCase(false)]
    [TestCase(true)]
    public void ZeroWeightStagesFollowThePapersTreatment(bool adaptive)
    {
        var tableau = new ButcherTableau("zero-weights", 1, null, [0.5, 0.1, 0.15, 0.2, 0.3, 0.5], [0.4, 0, 0, 0.6], null, [0, 0.5, 0.25, 1], false);
        var bypassed = new ButcherTableau("bypassed", 1, null, [0.5, 0.1, 0.15, 1.0, 0, 0], [0.4, 0, 0, 0.6], null, [0, 0.5, 0.25, 1], false);
        foreach (IParametricVectorField field in new IParametricVectorField[] { Mlp(), RateCircuit() })
        {
            var problem = Problem(Settings(tableau, adaptive), field.Dimension);
            var reference = Gradient(new BackpropThroughSolver(), field, problem);
            var symplectic = Gradient(new SymplecticAdjoint(), field, problem);
            double[] r = Concat(reference.Parameters, reference.State);
            double es = RelativeError(Concat(symplectic.Parameters, symplectic.State), r);
            var naive = Gradient(new BackpropThroughSolver(), field, Problem(Settings(bypassed, adaptive), field.Dimension));
            double en = RelativeError(Concat(naive.Parameters, naive.State), r);
            TestContext.Out.WriteLine($"{(adaptive ? "adaptive" : "fixed")} {field.GetType().Name}: {reference.Result.Steps} steps; symplectic vs backprop {es:E2}; zero-weight stages bypassed {en:E2}");
            Assert.That(es, Is.LessThan(1e-14));
            Assert.That(en, Is.GreaterThan(1e-4));
        }
    }

    /// <summary>The gradient with respect to θ is added to the caller's buffer (minibatches sum into it). The method sums
    /// its contributions into the buffer as it goes, so twice is twice one gradient up to round-off: measured 4.2e-15
    /// relative; asserted 1e-13 (24 times; the former bar, 1e-14, left a margin of 2.4).</summary>
    [Test]
    public void ParameterGradientsAccumulate()
    {
        var field = Mlp();
        var problem = Problem(SolverSettings.Fixed(ButcherTableau.RK4, 0.1));
        var g = new double[field.ParameterCount];
        var method = new SymplecticAdjoint();
        method.Compute(field, problem, g, default);
        var once = (double[])g.Clone();
        method.Compute(field, problem, g, default);
        double worst = 0;
        for (int i = 0; i < g.Length; i++) worst = Math.Max(worst, Math.Abs(g[i] / (2 * once[i]) - 1));
        TestContext.Out.WriteLine($"worst relative deviation from twice one gradient: {worst:E2}");
        for (int i = 0; i < g.Length; i++) Assert.That(g[i], Is.EqualTo(2 * once[i]).Within(1e-11).Percent);
    }
}
