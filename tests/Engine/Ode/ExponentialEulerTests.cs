using BioSim.Engine.Ode;
using NUnit.Framework;

namespace BioSim.Tests.Engine.Ode;

[TestFixture, Category("Unit")]
public sealed class ExponentialEulerTests
{
    private const int N = 37; // not a multiple of any SIMD width

    /// <summary>dy/dt = (y∞ − y)/τ with constant y∞, τ has y(t) = y∞ + (y0 − y∞)e^(−t/τ); the propagator update
    /// is exact, so 1000 steps agree with the closed form to rounding (relative 1e-13 allows ~1000 roundings).</summary>
    [Test]
    public void RelaxationIsExactForConstantInputs()
    {
        double h = 0.1;
        double[] y = new double[N], yInf = new double[N], tau = new double[N], p = new double[N], y0 = new double[N];
        for (int i = 0; i < N; i++)
        {
            y0[i] = y[i] = -70 + i;
            yInf[i] = -50 - 0.5 * i;
            tau[i] = 5 + 0.7 * i;
        }
        ExponentialEuler.Propagators(tau, h, p);
        for (int step = 0; step < 1000; step++) ExponentialEuler.Relax(y, yInf, p, y);
        for (int i = 0; i < N; i++)
        {
            double exact = yInf[i] + (y0[i] - yInf[i]) * Math.Exp(-100 / tau[i]);
            Assert.That(y[i], Is.EqualTo(exact).Within(1e-13 * Math.Abs(exact)), $"element {i}");
        }
    }

    /// <summary>The per-call form, the scalar-parameter form and the propagator form are the same update.</summary>
    [Test]
    public void RelaxationFormsAgree()
    {
        double h = 0.25;
        double[] y = new double[N], yInf = new double[N], tau = new double[N], p = new double[N], a = new double[N], b = new double[N], c = new double[N];
        for (int i = 0; i < N; i++)
        {
            y[i] = Math.Sin(i);
            yInf[i] = 0.3;
            tau[i] = 2.0;
        }
        ExponentialEuler.Propagators(tau, h, p);
        ExponentialEuler.Relax(y, yInf, p, a);
        ExponentialEuler.RelaxExact(y, yInf, tau, h, b);
        ExponentialEuler.Relax(y, 0.3, Math.Exp(-h / 2.0), c);
        for (int i = 0; i < N; i++)
        {
            Assert.That(a[i], Is.EqualTo(b[i]).Within(1e-15));
            Assert.That(c[i], Is.EqualTo(b[i]).Within(1e-15));
        }
    }

    /// <summary>For dV/dt = A + B·V with constant A, B the exponential-Euler step is the exact flow
    /// V(t) = −A/B + (V0 + A/B)e^(Bt) (and V0 + A·t for B = 0), so 200 steps match it to rounding.</summary>
    [Test]
    public void ExponentialEulerIsExactForLinearConstantCoefficients()
    {
        double h = 0.05;
        double[] v = new double[N], a = new double[N], b = new double[N], v0 = new double[N];
        for (int i = 0; i < N; i++)
        {
            v0[i] = v[i] = -65 + 0.1 * i;
            // A membrane C dV/dt = g_L(E_L − V) + g_e(E_e − V) with C = 1, g_L = 0.05, E_L = −70, E_e = 0 and
            // g_e = 0.01·i: A = g_L·E_L + g_e·E_e, B = −(g_L + g_e). The last element has B = 0 (pure drive A = 0.3).
            bool last = i == N - 1;
            a[i] = last ? 0.3 : 0.05 * -70.0;
            b[i] = last ? 0 : -(0.05 + 0.01 * i);
        }
        for (int step = 0; step < 200; step++) ExponentialEuler.Step(v, a, b, h, v);
        double t = 200 * h;
        for (int i = 0; i < N; i++)
        {
            double exact = b[i] == 0 ? v0[i] + a[i] * t : -a[i] / b[i] + (v0[i] + a[i] / b[i]) * Math.Exp(b[i] * t);
            Assert.That(v[i], Is.EqualTo(exact).Within(1e-12 * Math.Abs(exact)), $"element {i}");
        }
    }

    /// <summary>Brian2's exponential_euler writes the update as −A/B + (V + A/B)·exp(B·dt) (Brian2 docs,
    /// "State update", exponential_euler); ours must agree with it wherever that form is well conditioned.</summary>
    [TestCase(-0.1, 3.0, -60.0, 0.1)]
    [TestCase(-2.0, -130.0, -70.0, 0.01)]
    [TestCase(0.5, 1.0, 2.0, 0.2)]
    public void ExponentialEulerMatchesBrian2sFormula(double bValue, double aValue, double vValue, double h)
    {
        double[] v = [vValue], a = [aValue], b = [bValue], result = new double[1];
        ExponentialEuler.Step(v, a, b, h, result);
        double brian = -aValue / bValue + (vValue + aValue / bValue) * Math.Exp(bValue * h);
        Assert.That(result[0], Is.EqualTo(brian).Within(1e-13 * Math.Max(1, Math.Abs(brian))));
    }

    /// <summary>φ₁(z) = (e^z − 1)/z: at z = 0 it is 1 (and V + A·h follows); for tiny z it is 1 + z/2 to
    /// rounding (where Brian2's −A/B form loses all digits); φ₁(1) = e − 1; φ₁(−50) ≈ 1/50.</summary>
    [Test]
    public void Phi1IsAccurateNearZero()
    {
        Assert.That(ExponentialEuler.Phi1(0), Is.EqualTo(1.0));
        Assert.That(ExponentialEuler.Phi1(1e-10), Is.EqualTo(1 + 5e-11).Within(1e-16));
        Assert.That(ExponentialEuler.Phi1(-1e-20), Is.EqualTo(1.0));
        Assert.That(ExponentialEuler.Phi1(1e-5), Is.EqualTo(1 + 0.5e-5 + 1e-10 / 6).Within(2e-16));
        Assert.That(ExponentialEuler.Phi1(1), Is.EqualTo(Math.E - 1).Within(4e-16));
        Assert.That(ExponentialEuler.Phi1(-50), Is.EqualTo((Math.Exp(-50) - 1) / -50).Within(1e-17));
        double[] v = [2.0], a = [3.0], b = [0.0], result = new double[1];
        ExponentialEuler.Step(v, a, b, 0.1, result);
        Assert.That(result[0], Is.EqualTo(2.3).Within(1e-15));
    }

    [Test]
    public void MismatchedLengthsAreRejectedByName()
    {
        var ex = Assert.Throws<ArgumentException>(() => ExponentialEuler.Step(new double[3], new double[3], new double[2], 0.1, new double[3]));
        Assert.That(ex!.ParamName, Is.EqualTo("b"));
    }
}
