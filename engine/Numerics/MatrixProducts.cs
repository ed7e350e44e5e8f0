namespace BioSim.Engine.Numerics;

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
