using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace BioSim.Engine.Numerics;

/// <summary>
/// The inverse of a dense square matrix by LU factorisation with partial pivoting: LAPACK's
/// <c>dgetrf</c> + <c>dgetri</c> from the system OpenBLAS (Debian <c>libopenblas0</c> exports them) when it
/// loads, our own Gaussian elimination otherwise. Both work on row-major n×n matrices (LAPACK sees the
/// transpose, whose inverse is the transpose of the inverse, so no copy is needed). Not a hot path of
/// ordinary rules; GAIT-prop refreshes its layer inverses with it after every update.
/// </summary>
public static unsafe partial class MatrixInverse
{
    private const string Lib = "openblas";

    /// <summary>Doubles of workspace <see cref="TryInvert"/> needs for an n×n matrix.</summary>
    public static int WorkspaceLength(int n) => Math.Max(n * n, 64 * n);

    /// <summary>Which implementation runs ("LAPACK dgetrf/dgetri (OpenBLAS)" or "managed LU").</summary>
    public static string Name => OpenBlasMatrixProduct.IsAvailable ? "LAPACK dgetrf/dgetri (OpenBLAS)" : "managed LU";

    /// <summary>
    /// inverse ← A⁻¹ for the row-major n×n <paramref name="a"/>. Returns false (and leaves
    /// <paramref name="inverse"/> undefined) when A is singular to working precision or the result is not
    /// finite. <paramref name="pivots"/> needs n entries, <paramref name="work"/> <see cref="WorkspaceLength"/>.
    /// </summary>
    public static bool TryInvert(ReadOnlySpan<double> a, int n, Span<double> inverse, Span<int> pivots, Span<double> work)
    {
        Check(a.Length, n, inverse.Length, pivots.Length, work.Length);
        if (n == 0) return true;
        bool ok = OpenBlasMatrixProduct.IsAvailable ? InvertLapack(a, n, inverse, pivots, work) : InvertManaged(a, n, inverse, pivots, work);
        return ok && AllFinite(inverse[..(n * n)]);
    }

    /// <summary>The managed path of <see cref="TryInvert"/>, whatever is installed (for tests and for machines without OpenBLAS).</summary>
    public static bool TryInvertManaged(ReadOnlySpan<double> a, int n, Span<double> inverse, Span<int> pivots, Span<double> work)
    {
        Check(a.Length, n, inverse.Length, pivots.Length, work.Length);
        return InvertManaged(a, n, inverse, pivots, work) && AllFinite(inverse[..(n * n)]);
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2208", Justification = "Names the caller's argument that is too short.")]
    private static void Check(int aLength, int n, int inverseLength, int pivotLength, int workLength)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "The matrix size must be non-negative.");
        long nn = (long)n * n;
        if (aLength < nn) throw new ArgumentException($"A has {aLength} values; an {n}×{n} matrix needs {nn}.", "a");
        if (inverseLength < nn) throw new ArgumentException($"The destination has {inverseLength} values; an {n}×{n} matrix needs {nn}.", "inverse");
        if (pivotLength < n) throw new ArgumentException($"{pivotLength} pivots given; {n} needed.", "pivots");
        if (workLength < WorkspaceLength(n)) throw new ArgumentException($"The workspace has {workLength} values; {WorkspaceLength(n)} needed.", "work");
    }

    private static bool InvertLapack(ReadOnlySpan<double> a, int n, Span<double> inverse, Span<int> pivots, Span<double> work)
    {
        a[..(n * n)].CopyTo(inverse);
        int info = 0, lwork = work.Length;
        fixed (double* pa = inverse, pw = work)
        fixed (int* pp = pivots)
        {
            dgetrf_(&n, &n, pa, &n, pp, &info);
            if (info != 0) return false;
            dgetri_(&n, pa, &n, pp, pw, &lwork, &info);
        }
        return info == 0;
    }

    /// <summary>
    /// Gaussian elimination with partial pivoting on [A | I] (A copied into the workspace), then back
    /// substitution on the rows of the right-hand side; rows are updated with TensorPrimitives.
    /// </summary>
    private static bool InvertManaged(ReadOnlySpan<double> a, int n, Span<double> inverse, Span<int> pivots, Span<double> work)
    {
        Span<double> u = work[..(n * n)];
        a[..(n * n)].CopyTo(u);
        Span<double> x = inverse[..(n * n)];
        x.Clear();
        for (int i = 0; i < n; i++) x[i * n + i] = 1.0;
        for (int k = 0; k < n; k++)
        {
            int p = k;
            double best = Math.Abs(u[k * n + k]);
            for (int i = k + 1; i < n; i++)
            {
                double v = Math.Abs(u[i * n + k]);
                if (v > best) { best = v; p = i; }
            }
            if (best == 0 || !double.IsFinite(best)) return false;
            pivots[k] = p;
            if (p != k)
            {
                SwapRows(u, n, k, p);
                SwapRows(x, n, k, p);
            }
            ReadOnlySpan<double> uk = u.Slice(k * n, n), xk = x.Slice(k * n, n);
            double pivot = uk[k];
            for (int i = k + 1; i < n; i++)
            {
                double f = u[i * n + k] / pivot;
                if (f == 0) continue;
                TensorPrimitives.MultiplyAdd(uk, -f, u.Slice(i * n, n), u.Slice(i * n, n));
                TensorPrimitives.MultiplyAdd(xk, -f, x.Slice(i * n, n), x.Slice(i * n, n));
            }
        }
        for (int k = n - 1; k >= 0; k--)
        {
            Span<double> xk = x.Slice(k * n, n);
            for (int j = k + 1; j < n; j++)
            {
                double f = u[k * n + j];
                if (f != 0) TensorPrimitives.MultiplyAdd(x.Slice(j * n, n), -f, xk, xk);
            }
            TensorPrimitives.Multiply(xk, 1.0 / u[k * n + k], xk);
        }
        return true;
    }

    private static void SwapRows(Span<double> m, int n, int i, int j)
    {
        Span<double> a = m.Slice(i * n, n), b = m.Slice(j * n, n);
        for (int c = 0; c < n; c++) (a[c], b[c]) = (b[c], a[c]);
    }

    private static bool AllFinite(ReadOnlySpan<double> x)
    {
        for (int i = 0; i < x.Length; i++) if (!double.IsFinite(x[i])) return false;
        return true;
    }

    [LibraryImport(Lib)] private static partial void dgetrf_(int* m, int* n, double* a, int* lda, int* ipiv, int* info);
    [LibraryImport(Lib)] private static partial void dgetri_(int* n, double* a, int* lda, int* ipiv, double* work, int* lwork, int* info);
}
