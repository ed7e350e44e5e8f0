using System.Numerics.Tensors;

namespace BioSim.Engine.Ode;

/// <summary>
/// The continuous extension of one Runge-Kutta step: y(t_n + θh) for θ in [0, 1] as a polynomial
/// y_n + Σ_{m=1}^{d} q_m θ^m, evaluated by Horner's rule.
/// </summary>
/// <remarks>
/// <para>Tableaux with their own continuous extension (<see cref="ButcherTableau.DenseWeights"/>, e.g.
/// Shampine's quartic for Dormand-Prince 5(4)) give q_m = h Σ_j P[j,m] k_j. All others use the cubic
/// Hermite interpolant through (y_n, f_n) and (y_{n+1}, f_{n+1}):
/// q_1 = h f_n, q_2 = 3Δ − h(2f_n + f_{n+1}), q_3 = −2Δ + h(f_n + f_{n+1}), Δ = y_{n+1} − y_n,
/// which is third-order accurate when the method is (Hairer, Nørsett and Wanner I, II.6).</para>
/// <para>Buffers are allocated once; <see cref="Capture"/> and <see cref="Evaluate"/> do not allocate.</para>
/// </remarks>
public sealed class DenseOutput
{
    private readonly ButcherTableau _tableau;
    private readonly double[] _y0;
    private readonly double[][] _q;
    private readonly double[] _f1;
    private readonly double[]? _p;

    /// <summary>Creates the buffers for one step of a system of <paramref name="dimension"/> variables.</summary>
    public DenseOutput(ButcherTableau tableau, int dimension)
    {
        ArgumentNullException.ThrowIfNull(tableau);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        _tableau = tableau;
        Dimension = dimension;
        _y0 = new double[dimension];
        _q = new double[tableau.DenseDegree][];
        for (int m = 0; m < _q.Length; m++) _q[m] = new double[dimension];
        _f1 = new double[dimension];
        _p = tableau.DenseWeights is { } p ? [.. p] : null;
    }

    /// <summary>Number of state variables.</summary>
    public int Dimension { get; }

    /// <summary>Start of the step this interpolant covers.</summary>
    public double T0 { get; private set; }

    /// <summary>End of the step this interpolant covers.</summary>
    public double T1 => T0 + H;

    /// <summary>Signed step size.</summary>
    public double H { get; private set; }

    /// <summary>Whether a step has been captured.</summary>
    public bool IsValid { get; private set; }

    /// <summary>
    /// Builds the interpolant of the step just taken by <paramref name="stepper"/> from (t, y0) to
    /// (t + h, y1). Costs no evaluation of f for FSAL tableaux and tableaux with dense weights;
    /// others evaluate f(t + h, y1) once.
    /// </summary>
    public void Capture(ExplicitRungeKutta stepper, IOdeSystem f, double t, double h, ReadOnlySpan<double> y0, ReadOnlySpan<double> y1)
    {
        ArgumentNullException.ThrowIfNull(stepper);
        ArgumentNullException.ThrowIfNull(f);
        if (!ReferenceEquals(stepper.Tableau, _tableau))
            throw new ArgumentException($"This dense output was built for '{_tableau.Name}', the stepper runs '{stepper.Tableau.Name}'.", nameof(stepper));
        int n = Dimension;
        if (stepper.Dimension != n || y0.Length != n || y1.Length != n)
            throw new ArgumentException($"Dimensions differ: dense output {n}, stepper {stepper.Dimension}, y0 {y0.Length}, y1 {y1.Length}.");

        y0.CopyTo(_y0);
        T0 = t;
        H = h;
        if (_p is not null)
        {
            int s = _tableau.Stages, d = _q.Length;
            for (int m = 0; m < d; m++)
            {
                Span<double> q = _q[m];
                q.Clear();
                for (int j = 0; j < s; j++)
                {
                    double w = _p[j * d + m];
                    if (w != 0) TensorPrimitives.MultiplyAdd(stepper.StageDerivative(j), h * w, q, q);
                }
            }
        }
        else
        {
            ReadOnlySpan<double> f0 = stepper.StageDerivative(0);
            ReadOnlySpan<double> f1;
            if (_tableau.IsFsal)
            {
                f1 = stepper.StageDerivative(_tableau.Stages - 1);
            }
            else
            {
                stepper.Derivative(f, t + h, y1, _f1);
                f1 = _f1;
            }
            Span<double> q1 = _q[0], q2 = _q[1], q3 = _q[2];
            for (int i = 0; i < n; i++)
            {
                double delta = y1[i] - y0[i];
                double hf0 = h * f0[i], hf1 = h * f1[i];
                q1[i] = hf0;
                q2[i] = 3 * delta - 2 * hf0 - hf1;
                q3[i] = -2 * delta + hf0 + hf1;
            }
        }
        IsValid = true;
    }

    /// <summary>Writes y(<paramref name="t"/>) into <paramref name="destination"/>; t must lie in the captured step.</summary>
    public void Evaluate(double t, Span<double> destination)
    {
        if (!IsValid) throw new InvalidOperationException("No step has been captured yet.");
        double lo = Math.Min(T0, T1), hi = Math.Max(T0, T1);
        double slack = 1e-12 * Math.Max(Math.Abs(H), Math.Abs(T0));
        if (!(t >= lo - slack && t <= hi + slack))
            throw new ArgumentOutOfRangeException(nameof(t), t, $"Dense output covers [{lo:G17}, {hi:G17}] only.");
        EvaluateAtFraction((t - T0) / H, destination);
    }

    /// <summary>Writes y(T0 + θH) into <paramref name="destination"/> (θ in [0, 1]).</summary>
    public void EvaluateAtFraction(double theta, Span<double> destination)
    {
        if (!IsValid) throw new InvalidOperationException("No step has been captured yet.");
        if (destination.Length != Dimension)
            throw new ArgumentException($"destination has {destination.Length} components, expected {Dimension}.", nameof(destination));
        int d = _q.Length;
        // Horner: ((q_d θ + q_{d-1}) θ + … + q_1) θ + y0
        _q[d - 1].CopyTo(destination);
        for (int m = d - 2; m >= 0; m--) TensorPrimitives.MultiplyAdd(destination, theta, _q[m], destination);
        TensorPrimitives.MultiplyAdd(destination, theta, _y0, destination);
    }
}
