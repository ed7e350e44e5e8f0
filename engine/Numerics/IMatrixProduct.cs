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
