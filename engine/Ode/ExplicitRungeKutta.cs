using System.Numerics.Tensors;

namespace BioSim.Engine.Ode;

/// <summary>
/// Runs any explicit <see cref="ButcherTableau"/>: k_i = f(t + c_i h, y + h Σ_{j&lt;i} a_ij k_j),
/// y_{n+1} = y + h Σ b_i k_i, error estimate h Σ (b_i − b̂_i) k_i.
/// </summary>
/// <remarks>
/// <para>All stage buffers are allocated once for a fixed dimension; <see cref="Step"/> does not allocate.</para>
/// <para>The first stage f(t, y) is cached with a copy of (t, y): a retry of a rejected step from the same
/// point, or (for FSAL tableaux) the step after an accepted one, reuses it instead of calling the system
/// again. The cache compares t and every component of y, so it never serves a stale derivative for a
/// different state; call <see cref="Reset"/> if the system itself changed (parameters, inputs).</para>
/// </remarks>
public sealed class ExplicitRungeKutta
{
    private readonly ButcherTableau _tableau;
    private readonly double[] _a, _b, _c, _e;
    private double[][] _k;          // stage derivatives k_0 … k_{s-1}
    private readonly double[] _stageY;
    private double[] _startY;       // the y for which _k[0] = f(_startT, y) holds
    private double _startT;
    private bool _hasStart;
    private double[] _endY;         // FSAL: the y_{n+1} for which _k[s-1] = f(_endT, y_{n+1}) holds
    private double _endT;
    private bool _hasEnd;
    private long _evaluations;

    /// <summary>Creates a stepper for systems of <paramref name="dimension"/> variables.</summary>
    public ExplicitRungeKutta(ButcherTableau tableau, int dimension)
    {
        ArgumentNullException.ThrowIfNull(tableau);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        _tableau = tableau;
        Dimension = dimension;
        _a = [.. tableau.A];
        _b = [.. tableau.B];
        _c = [.. tableau.C];
        _e = [.. tableau.ErrorWeights];
        int s = tableau.Stages;
        _k = new double[s][];
        for (int i = 0; i < s; i++) _k[i] = new double[dimension];
        _stageY = new double[dimension];
        _startY = new double[dimension];
        _endY = new double[dimension];
    }

    /// <summary>The method this stepper runs.</summary>
    public ButcherTableau Tableau => _tableau;

    /// <summary>Number of state variables.</summary>
    public int Dimension { get; }

    /// <summary>Calls of <see cref="IOdeSystem.Derivatives"/> made by this stepper so far.</summary>
    public long Evaluations => _evaluations;

    /// <summary>Forgets the cached first-stage derivative (call after changing the system's parameters).</summary>
    public void Reset()
    {
        _hasStart = false;
        _hasEnd = false;
    }

    /// <summary>
    /// One step of size <paramref name="h"/> from (t, y): writes y(t + h) into <paramref name="yOut"/> and,
    /// when <paramref name="errOut"/> is not empty, the local error estimate y − ŷ into it.
    /// </summary>
    /// <param name="f">The vector field; its dimension must equal <see cref="Dimension"/>.</param>
    /// <param name="t">Start time.</param>
    /// <param name="y">State at <paramref name="t"/>; not modified. Must not overlap <paramref name="yOut"/>.</param>
    /// <param name="h">Step size (may be negative to integrate backwards).</param>
    /// <param name="yOut">Receives the state at t + h.</param>
    /// <param name="errOut">Empty, or receives h Σ (b_i − b̂_i) k_i (the tableau must then have an embedded pair).</param>
    public void Step(IOdeSystem f, double t, ReadOnlySpan<double> y, double h, Span<double> yOut, Span<double> errOut)
    {
        ArgumentNullException.ThrowIfNull(f);
        int n = Dimension;
        if (f.Dimension != n) throw new ArgumentException($"The system has dimension {f.Dimension}, but this stepper was built for {n}.", nameof(f));
        if (y.Length != n) throw new ArgumentException($"y has {y.Length} components, expected {n}.", nameof(y));
        if (yOut.Length != n) throw new ArgumentException($"yOut has {yOut.Length} components, expected {n}.", nameof(yOut));
        if (y.Overlaps(yOut)) throw new ArgumentException("y and yOut must be different buffers.", nameof(yOut));
        if (!errOut.IsEmpty)
        {
            if (errOut.Length != n) throw new ArgumentException($"errOut has {errOut.Length} components, expected {n} (or pass an empty span).", nameof(errOut));
            if (_e.Length == 0) throw new ArgumentException($"Tableau '{_tableau.Name}' has no embedded solution, so it cannot estimate the error; pass an empty errOut.", nameof(errOut));
        }

        PrepareFirstStage(f, t, y);

        int s = _b.Length;
        bool fsal = _tableau.IsFsal;
        _hasEnd = false; // the last stage buffer is about to be overwritten
        int lastComputed = fsal ? s - 1 : s;
        for (int i = 1; i < lastComputed; i++)
        {
            Span<double> stage = _stageY;
            y.CopyTo(stage);
            int row = ButcherTableau.RowOffset(i);
            for (int j = 0; j < i; j++)
            {
                double w = _a[row + j];
                if (w != 0) TensorPrimitives.MultiplyAdd(_k[j], h * w, stage, stage);
            }
            f.Derivatives(t + _c[i] * h, stage, _k[i]);
            _evaluations++;
        }

        y.CopyTo(yOut);
        for (int j = 0; j < s; j++)
        {
            double w = _b[j];
            if (w != 0) TensorPrimitives.MultiplyAdd(_k[j], h * w, yOut, yOut);
        }

        if (fsal)
        {
            // The last row of A equals b, so the last stage is evaluated at yOut itself (bit for bit).
            double tEnd = t + h;
            f.Derivatives(tEnd, yOut, _k[s - 1]);
            _evaluations++;
            yOut.CopyTo(_endY);
            _endT = tEnd;
            _hasEnd = true;
        }

        if (!errOut.IsEmpty)
        {
            errOut.Clear();
            for (int j = 0; j < s; j++)
            {
                double w = _e[j];
                if (w != 0) TensorPrimitives.MultiplyAdd(_k[j], h * w, errOut, errOut);
            }
        }
    }

    /// <summary>Stage derivative k_i of the last step (k_0 = f(t_n, y_n); for FSAL tableaux k_{s-1} = f(t_{n+1}, y_{n+1})).</summary>
    internal ReadOnlySpan<double> StageDerivative(int i) => _k[i];

    /// <summary>Writes f(t, y) into <paramref name="dydt"/>, reusing the cached first stage when it matches.</summary>
    internal void Derivative(IOdeSystem f, double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        if (_hasStart && t == _startT && y.SequenceEqual(_startY))
        {
            _k[0].CopyTo(dydt);
            return;
        }
        if (_hasEnd && t == _endT && y.SequenceEqual(_endY))
        {
            _k[^1].CopyTo(dydt);
            return;
        }
        f.Derivatives(t, y, dydt);
        _evaluations++;
    }

    private void PrepareFirstStage(IOdeSystem f, double t, ReadOnlySpan<double> y)
    {
        if (_hasStart && t == _startT && y.SequenceEqual(_startY)) return;
        if (_hasEnd && t == _endT && y.SequenceEqual(_endY))
        {
            // FSAL: the last stage of the previous step is f(t, y). Swap buffers instead of copying.
            int last = _k.Length - 1;
            (_k[0], _k[last]) = (_k[last], _k[0]);
            (_startY, _endY) = (_endY, _startY);
            _startT = t;
            _hasStart = true;
            _hasEnd = false;
            return;
        }
        f.Derivatives(t, y, _k[0]);
        _evaluations++;
        y.CopyTo(_startY);
        _startT = t;
        _hasStart = true;
    }
}
