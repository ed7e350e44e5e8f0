using System.Collections.Immutable;

namespace BioSim.Engine.Ode;

/// <summary>
/// An explicit Runge-Kutta method as data: the Butcher tableau (c, A, b), optionally an embedded
/// weight vector b̂ for error estimation and stage weights for a continuous extension (dense output).
/// One <see cref="ExplicitRungeKutta"/> stepper runs every tableau; <see cref="All"/> drives the tests.
/// </summary>
/// <remarks>
/// <para><see cref="A"/> is the strictly lower-triangular matrix stored row by row without its zeros:
/// row i (0-based, i ≥ 1) holds a[i,0..i-1] at offsets i(i-1)/2 … i(i-1)/2 + i - 1.</para>
/// <para>The local error estimate is h Σ (b_j − b̂_j) k_j, the difference between the propagated
/// solution (order <see cref="Order"/>) and the embedded one (order <see cref="EmbeddedOrder"/>).</para>
/// <para>With <see cref="IsFsal"/> ("first same as last") the last row of A equals b and c ends in 1,
/// so the last stage is f(t + h, y_{n+1}) and is reused as the first stage of the next step.</para>
/// </remarks>
public sealed record ButcherTableau
{
    /// <summary>Creates a tableau and checks its shape and consistency (Σ_j a_ij = c_i, Σ b = 1).</summary>
    /// <param name="name">Name used by experiment files and error messages, e.g. "dopri5".</param>
    /// <param name="order">Classical order p of the propagated solution.</param>
    /// <param name="embeddedOrder">Order of the embedded solution, or null when there is none.</param>
    /// <param name="a">Strictly lower-triangular A, flat (see remarks), length s(s-1)/2.</param>
    /// <param name="b">Weights b, length s.</param>
    /// <param name="bHat">Embedded weights b̂ (length s) or null.</param>
    /// <param name="c">Nodes c, length s.</param>
    /// <param name="isFsal">Whether the last stage is f(t+h, y_{n+1}) (checked against A and c).</param>
    /// <param name="denseWeights">Optional continuous extension: s rows of <paramref name="denseDegree"/>
    /// polynomial coefficients, y(t + θh) = y + h Σ_j k_j Σ_m P[j,m] θ^(m+1). Null means cubic Hermite.</param>
    /// <param name="denseDegree">Degree of the continuous extension given by <paramref name="denseWeights"/>.</param>
    /// <param name="denseOrder">Order of accuracy of that continuous extension.</param>
    public ButcherTableau(string name, int order, int? embeddedOrder, double[] a, double[] b, double[]? bHat,
        double[] c, bool isFsal, double[]? denseWeights = null, int denseDegree = 0, int denseOrder = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        int s = b.Length;
        if (s == 0) throw new ArgumentException($"Tableau '{name}': b is empty.", nameof(b));
        if (c.Length != s) throw new ArgumentException($"Tableau '{name}': c has {c.Length} entries, b has {s}.", nameof(c));
        if (a.Length != s * (s - 1) / 2)
            throw new ArgumentException($"Tableau '{name}': A must hold s(s-1)/2 = {s * (s - 1) / 2} entries for s = {s} stages, not {a.Length}.", nameof(a));
        if (order < 1) throw new ArgumentOutOfRangeException(nameof(order), order, $"Tableau '{name}': order must be at least 1.");
        if ((bHat is null) != (embeddedOrder is null))
            throw new ArgumentException($"Tableau '{name}': give both b̂ and the embedded order, or neither.", nameof(bHat));
        if (bHat is not null && bHat.Length != s)
            throw new ArgumentException($"Tableau '{name}': b̂ has {bHat.Length} entries, b has {s}.", nameof(bHat));
        if (denseWeights is not null && (denseDegree < 1 || denseWeights.Length != s * denseDegree || denseOrder < 1))
            throw new ArgumentException($"Tableau '{name}': dense weights must be s × degree = {s} × {denseDegree} with a positive order.", nameof(denseWeights));

        const double tolerance = 1e-13;
        if (c[0] != 0) throw new ArgumentException($"Tableau '{name}': c[0] must be 0 for an explicit method.", nameof(c));
        for (int i = 1; i < s; i++)
        {
            double rowSum = 0;
            for (int j = 0; j < i; j++) rowSum += a[RowOffset(i) + j];
            if (Math.Abs(rowSum - c[i]) > tolerance)
                throw new ArgumentException($"Tableau '{name}': row {i} of A sums to {rowSum:R}, but c[{i}] = {c[i]:R}.", nameof(a));
        }
        if (isFsal)
        {
            if (c[s - 1] != 1) throw new ArgumentException($"Tableau '{name}': FSAL needs c[last] = 1.", nameof(isFsal));
            for (int j = 0; j < s - 1; j++)
            {
                if (a[RowOffset(s - 1) + j] != b[j])
                    throw new ArgumentException($"Tableau '{name}': FSAL needs the last row of A to equal b (column {j} differs).", nameof(isFsal));
            }
            if (b[s - 1] != 0) throw new ArgumentException($"Tableau '{name}': FSAL needs b[last] = 0.", nameof(isFsal));
        }

        Name = name;
        Order = order;
        EmbeddedOrder = embeddedOrder;
        A = [.. a];
        B = [.. b];
        BHat = bHat is null ? null : [.. bHat];
        C = [.. c];
        IsFsal = isFsal;
        DenseWeights = denseWeights is null ? null : [.. denseWeights];
        DenseDegree = denseWeights is null ? 3 : denseDegree;
        InterpolantOrder = denseWeights is null ? Math.Min(order, 3) : denseOrder;
        if (bHat is not null)
        {
            var e = new double[s];
            for (int j = 0; j < s; j++) e[j] = b[j] - bHat[j];
            ErrorWeights = [.. e];
        }
    }

    /// <summary>Name of the method, e.g. "rk4".</summary>
    public string Name { get; }

    /// <summary>Order of the propagated solution.</summary>
    public int Order { get; }

    /// <summary>Order of the embedded solution used for the error estimate, or null.</summary>
    public int? EmbeddedOrder { get; }

    /// <summary>Number of stages s.</summary>
    public int Stages => B.Length;

    /// <summary>Strictly lower-triangular A, row by row (see the type's remarks for the layout).</summary>
    public ImmutableArray<double> A { get; }

    /// <summary>Weights of the propagated solution.</summary>
    public ImmutableArray<double> B { get; }

    /// <summary>Weights of the embedded solution, or null.</summary>
    public ImmutableArray<double>? BHat { get; }

    /// <summary>Error weights e = b − b̂ (empty when there is no embedded solution).</summary>
    public ImmutableArray<double> ErrorWeights { get; } = [];

    /// <summary>Nodes c_i = Σ_j a_ij.</summary>
    public ImmutableArray<double> C { get; }

    /// <summary>Whether the last stage equals f(t + h, y_{n+1}) and is reused by the next step.</summary>
    public bool IsFsal { get; }

    /// <summary>Stage weights of a dedicated continuous extension (s × <see cref="DenseDegree"/>), or null
    /// when dense output is the cubic Hermite interpolant through (y_n, f_n) and (y_{n+1}, f_{n+1}).</summary>
    public ImmutableArray<double>? DenseWeights { get; }

    /// <summary>Polynomial degree of the dense output in θ.</summary>
    public int DenseDegree { get; }

    /// <summary>Order of accuracy of the dense output (its local error is O(h^(order+1))).</summary>
    public int InterpolantOrder { get; }

    /// <summary>Whether the tableau carries an embedded error estimate (needed for adaptive steps).</summary>
    public bool HasErrorEstimate => EmbeddedOrder is not null;

    /// <summary>a_ij for j &lt; i.</summary>
    public double Aij(int i, int j) => A[RowOffset(i) + j];

    /// <summary>Offset of row <paramref name="i"/> in the flat <see cref="A"/>.</summary>
    public static int RowOffset(int i) => i * (i - 1) / 2;

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>Forward Euler: order 1, one stage.</summary>
    public static ButcherTableau Euler { get; } = new("euler", 1, null, [], [1.0], null, [0.0], isFsal: false);

    /// <summary>Heun's method (explicit trapezoidal rule): order 2, two stages.</summary>
    public static ButcherTableau Heun { get; } = new("heun", 2, null, [1.0], [0.5, 0.5], null, [0.0, 1.0], isFsal: false);

    /// <summary>The classical Runge-Kutta method: order 4, four stages (Hairer, Nørsett and Wanner I, Table II.1.2).</summary>
    public static ButcherTableau RK4 { get; } = new("rk4", 4, null,
        [0.5,
         0.0, 0.5,
         0.0, 0.0, 1.0],
        [1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6], null, [0.0, 0.5, 0.5, 1.0], isFsal: false);

    /// <summary>Bogacki and Shampine's 3(2) pair (Appl. Math. Lett. 2, 1989): order 3 with an embedded
    /// order-2 estimate, FSAL, four stages (three evaluations per accepted step).</summary>
    public static ButcherTableau BogackiShampine32 { get; } = new("bs3", 3, 2,
        [0.5,
         0.0, 0.75,
         2.0 / 9, 1.0 / 3, 4.0 / 9],
        [2.0 / 9, 1.0 / 3, 4.0 / 9, 0.0],
        [7.0 / 24, 0.25, 1.0 / 3, 0.125],
        [0.0, 0.5, 0.75, 1.0], isFsal: true);

    /// <summary>Dormand and Prince's 5(4) pair (J. Comput. Appl. Math. 6, 1980), FSAL, seven stages, with
    /// Shampine's fourth-order continuous extension (Math. Comp. 46, 1986; the coefficients of MATLAB's
    /// ode45 and SciPy's RK45, scipy/integrate/_ivp/rk.py).</summary>
    public static ButcherTableau DormandPrince54 { get; } = new("dopri5", 5, 4,
        [1.0 / 5,
         3.0 / 40, 9.0 / 40,
         44.0 / 45, -56.0 / 15, 32.0 / 9,
         19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729,
         9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656,
         35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84],
        [35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0.0],
        [5179.0 / 57600, 0.0, 7571.0 / 16695, 393.0 / 640, -92097.0 / 339200, 187.0 / 2100, 1.0 / 40],
        [0.0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1.0, 1.0], isFsal: true,
        denseWeights:
        [1.0, -8048581381.0 / 2820520608, 8663915743.0 / 2820520608, -12715105075.0 / 11282082432,
         0.0, 0.0, 0.0, 0.0,
         0.0, 131558114200.0 / 32700410799, -68118460800.0 / 10900136933, 87487479700.0 / 32700410799,
         0.0, -1754552775.0 / 470086768, 14199869525.0 / 1410260304, -10690763975.0 / 1880347072,
         0.0, 127303824393.0 / 49829197408, -318862633887.0 / 49829197408, 701980252875.0 / 199316789632,
         0.0, -282668133.0 / 205662961, 2019193451.0 / 616988883, -1453857185.0 / 822651844,
         0.0, 40617522.0 / 29380423, -110615467.0 / 29380423, 69997945.0 / 29380423],
        denseDegree: 4, denseOrder: 4);

    /// <summary>Every built-in tableau; the convergence tests run over this list.</summary>
    public static IReadOnlyList<ButcherTableau> All { get; } = [Euler, Heun, RK4, BogackiShampine32, DormandPrince54];
}
