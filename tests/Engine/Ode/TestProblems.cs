using BioSim.Engine.Ode;

namespace BioSim.Tests.Engine.Ode;

/// <summary>
/// Nonlinear, non-autonomous test system with a closed-form solution, so that convergence orders are
/// measured on more than the linear order conditions:
/// y0' = −2t·y0² (y0 = 1/(1 + t²)), y1' = y1(1 − y1) (logistic, y1 = 1/(1 + 9e^(−t))),
/// y2' = −y2 + sin t (y2 = (sin t − cos t)/2 + 1.5e^(−t)); initial state (1, 0.1, 1) at t = 0.
/// </summary>
internal sealed class NonlinearProblem : IOdeSystem
{
    public int Dimension => 3;

    public static double[] Initial => [1.0, 0.1, 1.0];

    public void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        dydt[0] = -2 * t * y[0] * y[0];
        dydt[1] = y[1] * (1 - y[1]);
        dydt[2] = -y[2] + Math.Sin(t);
    }

    public static void Exact(double t, Span<double> y)
    {
        y[0] = 1 / (1 + t * t);
        y[1] = 1 / (1 + 9 * Math.Exp(-t));
        y[2] = 0.5 * (Math.Sin(t) - Math.Cos(t)) + 1.5 * Math.Exp(-t);
    }
}

/// <summary>Rotation y0' = −y1, y1' = y0 (y'' = −y); from (1, 0) at t = 0 the solution is (cos t, sin t).</summary>
internal sealed class Rotation : IOdeSystem
{
    public int Dimension => 2;

    public void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        dydt[0] = -y[1];
        dydt[1] = y[0];
    }
}

/// <summary>A linear diagonal system y_i' = −λ_i y_i of any size (no allocation).</summary>
internal sealed class LinearDecay(int dimension) : IOdeSystem
{
    public int Dimension => dimension;

    public void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        for (int i = 0; i < y.Length; i++) dydt[i] = -(1 + 0.01 * i) * y[i];
    }
}

/// <summary>Counts evaluations of the wrapped system.</summary>
internal sealed class Counting(IOdeSystem inner) : IOdeSystem
{
    public int Calls { get; private set; }

    public int Dimension => inner.Dimension;

    public void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        Calls++;
        inner.Derivatives(t, y, dydt);
    }
}

/// <summary>g(t, y) = y[index].</summary>
internal sealed class ComponentEvent(int index) : IEventFunction
{
    public double Value(double t, ReadOnlySpan<double> y) => y[index];
}

internal static class Fit
{
    /// <summary>Least-squares slope of log(error) against log(h).</summary>
    public static double Slope(IReadOnlyList<double> h, IReadOnlyList<double> error)
    {
        int n = h.Count;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) { mx += Math.Log(h[i]); my += Math.Log(error[i]); }
        mx /= n; my /= n;
        double sxy = 0, sxx = 0;
        for (int i = 0; i < n; i++)
        {
            double dx = Math.Log(h[i]) - mx;
            sxy += dx * (Math.Log(error[i]) - my);
            sxx += dx * dx;
        }
        return sxy / sxx;
    }

    public static double MaxAbsDifference(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }
}

/// <summary>
/// Linear non-autonomous test system with a closed form: the rotation y0' = −y1, y1' = y0 and the forced
/// relaxation y2' = −y2 + sin t; from (1, 0, 1) at t = 0 the solution is
/// (cos t, sin t, (sin t − cos t)/2 + 1.5e^(−t)).
/// </summary>
internal sealed class ForcedRotation : IOdeSystem
{
    public int Dimension => 3;

    public static double[] Initial => [1.0, 0.0, 1.0];

    public void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        dydt[0] = -y[1];
        dydt[1] = y[0];
        dydt[2] = -y[2] + Math.Sin(t);
    }

    public static void Exact(double t, Span<double> y)
    {
        y[0] = Math.Cos(t);
        y[1] = Math.Sin(t);
        y[2] = 0.5 * (Math.Sin(t) - Math.Cos(t)) + 1.5 * Math.Exp(-t);
    }
}
