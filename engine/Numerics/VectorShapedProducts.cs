using System.Numerics;
using System.Numerics.Tensors;

namespace BioSim.Engine.Numerics;

/// <summary>
/// The products whose op(B) is one column (n = 1: C ← α op(A) b + β c, a matrix-vector product) or whose inner
/// dimension is one (k = 1: C ← α a bᵀ + β C, a rank-one update), done with <see cref="TensorPrimitives"/> row by row.
/// The blocked kernel would pack b into a panel of 2 vectors of columns and compute 15 zero columns of 16 (float) for
/// each useful one; a neural-ODE field evaluates one state at a time and asks for exactly these shapes. For n = 1 and
/// k = 1, b (and for k = 1 also a) is one contiguous vector whether or not it is transposed.
/// </summary>
internal static class VectorShapedProducts
{
    /// <summary>Computes the product when it has one of the two shapes and returns true; false leaves C untouched.</summary>
    public static bool TryMultiply<T>(bool transA, int m, int n, int k, T alpha, ReadOnlySpan<T> a, ReadOnlySpan<T> b, T beta, Span<T> c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 1)
        {
            b = b[..k];
            if (!transA)
            {
                for (int i = 0; i < m; i++)
                {
                    T dot = alpha * TensorPrimitives.Dot(a.Slice(i * k, k), b);
                    c[i] = beta == T.Zero ? dot : dot + beta * c[i];
                }
            }
            else
            {
                // op(A) = Aᵀ with A stored k × m: c ← β c + Σ_p (α b_p) A[p, :].
                Span<T> column = c[..m];
                Scale(column, beta);
                for (int p = 0; p < k; p++) TensorPrimitives.MultiplyAdd(a.Slice(p * m, m), alpha * b[p], column, column);
            }
            return true;
        }
        if (k == 1)
        {
            b = b[..n];
            for (int i = 0; i < m; i++)
            {
                Span<T> row = c.Slice(i * n, n);
                Scale(row, beta);
                TensorPrimitives.MultiplyAdd(b, alpha * a[i], row, row);
            }
            return true;
        }
        return false;
    }

    /// <summary>c ← β c, with β = 0 overwriting (BLAS semantics: NaN already in c does not survive).</summary>
    private static void Scale<T>(Span<T> c, T beta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (beta == T.Zero) c.Clear();
        else if (beta != T.One) TensorPrimitives.Multiply(c, beta, c);
    }
}
