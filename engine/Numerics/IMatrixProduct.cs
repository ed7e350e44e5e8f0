namespace BioSim.Engine.Numerics;

/// <summary>
/// The one matrix-product entry point every learning rule uses: C ← α·op(A)·op(B) + β·C for dense
/// row-major matrices, op(X) = X or Xᵀ. op(A) is m×k, op(B) is k×n, C is m×n; A is stored m×k (or k×m
/// when transposed), B k×n (or n×k), each without padding between rows. As in BLAS, β = 0 overwrites C
/// (NaN or ∞ already in C does not propagate).
/// </summary>
public interface IMatrixProduct
{
    /// <summary>Which kernel runs ("OpenBLAS 0.3.21 (SkylakeX)", "managed Vector512 FMA"), for benchmarks and logs.</summary>
    string Name { get; }

    /// <summary>C ← α·op(A)·op(B) + β·C in double precision.</summary>
    /// <param name="transposeA">Whether op(A) = Aᵀ (A then stored k×m).</param>
    /// <param name="transposeB">Whether op(B) = Bᵀ (B then stored n×k).</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Factor α on the product.</param>
    /// <param name="a">A, row-major, at least m·k values.</param>
    /// <param name="b">B, row-major, at least k·n values.</param>
    /// <param name="beta">Factor β on the old C (0: C is overwritten).</param>
    /// <param name="c">C, row-major, at least m·n values; the result.</param>
    /// <exception cref="ArgumentException">A span is shorter than its shape needs, or a size is negative.</exception>
    void Multiply(bool transposeA, bool transposeB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, ReadOnlySpan<double> b, double beta, Span<double> c);

    /// <summary>C ← α·op(A)·op(B) + β·C in single precision; the arguments as in the double overload.</summary>
    /// <param name="transposeA">Whether op(A) = Aᵀ.</param>
    /// <param name="transposeB">Whether op(B) = Bᵀ.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Factor α on the product.</param>
    /// <param name="a">A, row-major.</param>
    /// <param name="b">B, row-major.</param>
    /// <param name="beta">Factor β on the old C.</param>
    /// <param name="c">C, row-major; the result.</param>
    void Multiply(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, float beta, Span<float> c);
}

/// <summary>Chooses the fastest available <see cref="IMatrixProduct"/>.</summary>
public static class MatrixProducts
{
    /// <summary>OpenBLAS when libopenblas.so.0 (Debian libopenblas0) loads, the managed SIMD kernel otherwise.</summary>
    public static IMatrixProduct CreateDefault() =>
        OpenBlasMatrixProduct.IsAvailable ? new OpenBlasMatrixProduct() : new ManagedMatrixProduct();

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2208", Justification = "Names the caller's argument (a, b or c of Multiply) that is too short.")]
    internal static void CheckShapes(int m, int n, int k, int aLength, int bLength, int cLength)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), $"Matrix sizes must be non-negative (m = {m}, n = {n}, k = {k}).");
        if (aLength < (long)m * k) throw new ArgumentException($"A has {aLength} values; op(A) is {m}×{k} and needs {(long)m * k}.", "a");
        if (bLength < (long)k * n) throw new ArgumentException($"B has {bLength} values; op(B) is {k}×{n} and needs {(long)k * n}.", "b");
        if (cLength < (long)m * n) throw new ArgumentException($"C has {cLength} values; C is {m}×{n} and needs {(long)m * n}.", "c");
    }
}
