using System.Numerics.Tensors;

namespace BioSim.Engine.Ode;

/// <summary>
/// Exact propagators for linear relaxation and the exponential-Euler step for conductance-based
/// membranes, as span kernels over structure-of-arrays state (destination last; in place allowed when
/// the destination is the state span itself).
/// </summary>
/// <remarks>
/// <para>Relaxation dy/dt = (y∞ − y)/τ with y∞, τ constant over the step has the exact solution
/// y(t + h) = y∞ + (y − y∞)·exp(−h/τ). The propagator P = exp(−h/τ) depends only on h and τ, so compute it
/// once with <see cref="Propagators"/> in a Prepare(dt) step and apply <see cref="Relax(ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double})"/> every step.</para>
/// <para>Exponential Euler (Brian2's <c>exponential_euler</c>; MacGregor 1987; Rotter and Diesmann 1999 for
/// the linear case) freezes A and B of dV/dt = A + B·V over the step and solves the resulting linear ODE
/// exactly: V(t + h) = V + (A + B·V)·h·φ₁(B·h), φ₁(z) = (e^z − 1)/z, which equals Brian2's
/// −A/B + (V + A/B)·e^(B·h) and stays finite at B = 0 (where it is V + A·h). For a conductance-based
/// membrane C dV/dt = Σ_k g_k (E_k − V) + I: A = (Σ_k g_k E_k + I)/C, B = −Σ_k g_k / C.</para>
/// </remarks>
public static class ExponentialEuler
{
    /// <summary>Writes the propagators exp(−h/τ_i) into <paramref name="destination"/> (vectorised).</summary>
    /// <param name="tau">Time constants τ_i &gt; 0 (units of h).</param>
    /// <param name="h">Step size.</param>
    /// <param name="destination">Receives exp(−h/τ_i); may be <paramref name="tau"/> itself.</param>
    public static void Propagators(ReadOnlySpan<double> tau, double h, Span<double> destination)
    {
        CheckLength(tau.Length, destination.Length, nameof(destination));
        TensorPrimitives.Divide(-h, tau, destination);
        TensorPrimitives.Exp(destination, destination);
    }

    /// <summary>Exact relaxation with precomputed propagators: y_i ← y∞_i + (y_i − y∞_i)·P_i (vectorised).</summary>
    public static void Relax(ReadOnlySpan<double> y, ReadOnlySpan<double> yInfinity, ReadOnlySpan<double> propagator, Span<double> destination)
    {
        CheckLength(y.Length, yInfinity.Length, nameof(yInfinity));
        CheckLength(y.Length, propagator.Length, nameof(propagator));
        CheckLength(y.Length, destination.Length, nameof(destination));
        if (destination.Overlaps(yInfinity) || destination.Overlaps(propagator))
            throw new ArgumentException("destination may alias y only.", nameof(destination));
        TensorPrimitives.Subtract(y, yInfinity, destination);
        TensorPrimitives.MultiplyAdd(destination, propagator, yInfinity, destination);
    }

    /// <summary>Exact relaxation towards a common y∞ with a common propagator P = exp(−h/τ) (vectorised).</summary>
    public static void Relax(ReadOnlySpan<double> y, double yInfinity, double propagator, Span<double> destination)
    {
        CheckLength(y.Length, destination.Length, nameof(destination));
        // y∞ + (y − y∞)P = y·P + y∞(1 − P)
        TensorPrimitives.Multiply(y, propagator, destination);
        TensorPrimitives.Add(destination, yInfinity * (1 - propagator), destination);
    }

    /// <summary>Exact relaxation over one step of size <paramref name="h"/> with per-element τ: y ← y∞ + (y − y∞)·exp(−h/τ).
    /// Computes the exponentials every call; prefer <see cref="Propagators"/> plus <see cref="Relax(ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double})"/> when h is fixed.</summary>
    public static void RelaxExact(ReadOnlySpan<double> y, ReadOnlySpan<double> yInfinity, ReadOnlySpan<double> tau, double h, Span<double> destination)
    {
        CheckLength(y.Length, yInfinity.Length, nameof(yInfinity));
        CheckLength(y.Length, tau.Length, nameof(tau));
        CheckLength(y.Length, destination.Length, nameof(destination));
        for (int i = 0; i < y.Length; i++)
        {
            double yInf = yInfinity[i];
            destination[i] = yInf + (y[i] - yInf) * Math.Exp(-h / tau[i]);
        }
    }

    /// <summary>
    /// Exponential-Euler step of dV/dt = A + B·V with A and B frozen over the step:
    /// V_i ← V_i + (A_i + B_i·V_i)·h·φ₁(B_i·h).
    /// </summary>
    /// <param name="v">State at the start of the step.</param>
    /// <param name="a">A_i evaluated at the start of the step (units of V per unit time).</param>
    /// <param name="b">B_i evaluated at the start of the step (per unit time; −1/τ_eff for a membrane).</param>
    /// <param name="h">Step size.</param>
    /// <param name="destination">Receives V(t + h); may be <paramref name="v"/> itself.</param>
    public static void Step(ReadOnlySpan<double> v, ReadOnlySpan<double> a, ReadOnlySpan<double> b, double h, Span<double> destination)
    {
        CheckLength(v.Length, a.Length, nameof(a));
        CheckLength(v.Length, b.Length, nameof(b));
        CheckLength(v.Length, destination.Length, nameof(destination));
        for (int i = 0; i < v.Length; i++)
        {
            double bi = b[i], vi = v[i];
            destination[i] = vi + (a[i] + bi * vi) * h * Phi1(bi * h);
        }
    }

    /// <summary>φ₁(z) = (e^z − 1)/z with φ₁(0) = 1, accurate to a few ulps for small |z| by Kahan's
    /// expm1 trick ((u − 1)/log u with u = e^z, Higham, Accuracy and Stability, 2nd ed., §1.14.1).</summary>
    public static double Phi1(double z)
    {
        double u = Math.Exp(z);
        if (u == 1) return 1;
        double um1 = u - 1;
        if (um1 == -1) return -1 / z;
        if (double.IsPositiveInfinity(u)) return double.PositiveInfinity;
        return um1 / Math.Log(u);
    }

    private static void CheckLength(int expected, int actual, string name)
    {
        if (expected != actual) throw new ArgumentException($"{name} has {actual} elements, expected {expected}.", name);
    }
}
