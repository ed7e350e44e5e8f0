using System.Reflection;
using System.Runtime.InteropServices;

namespace BioSim.Engine.Numerics;

/// <summary>
/// <c>cblas_dgemm</c>/<c>cblas_sgemm</c> from the system OpenBLAS (Debian <c>libopenblas0</c>, soname
/// libopenblas.so.0), found with a <see cref="NativeLibrary"/> resolver. OpenBLAS splits C between its
/// threads, so each element is summed in the same order whatever the thread count.
/// </summary>
public sealed unsafe partial class OpenBlasMatrixProduct : IMatrixProduct
{
    private const string Lib = "openblas";
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    private static readonly string[] Candidates = ["libopenblas.so.0", "libopenblas.so"];
    private static readonly Lazy<nint> Handle = new(Load);

    /// <summary>Creates the product; throws <see cref="DllNotFoundException"/> naming the package when OpenBLAS is missing.</summary>
    public OpenBlasMatrixProduct()
    {
        if (!IsAvailable)
            throw new DllNotFoundException($"OpenBLAS was not found (tried {string.Join(", ", Candidates)}); install the Debian package libopenblas0");
        Core = Marshal.PtrToStringUTF8((nint)openblas_get_corename()) ?? "?";
    }

    /// <summary>Whether libopenblas could be loaded.</summary>
    public static bool IsAvailable => Handle.Value != 0;

    /// <inheritdoc/>
    public string Name => $"OpenBLAS ({Core}, {openblas_get_num_threads()} threads)" + (Reason is null ? "" : $" [{Reason}]");

    /// <summary>The kernel OpenBLAS chose for this CPU (openblas_get_corename: "Haswell", "SkylakeX", "Zen", or "Prescott" when
    /// this OpenBLAS does not know the CPU).</summary>
    public string Core { get; }

    /// <summary>Why <see cref="MatrixProducts"/> chose this kernel (shown in <see cref="Name"/>), or null.</summary>
    public string? Reason { get; set; }

    /// <summary>Number of threads OpenBLAS uses (process-wide).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Set on the product callers hold (product.Threads = t); OpenBLAS keeps it process-wide.")]
    public int Threads
    {
        get => openblas_get_num_threads();
        set => openblas_set_num_threads(value);
    }

    /// <inheritdoc/>
    public void Multiply(bool transposeA, bool transposeB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, ReadOnlySpan<double> b, double beta, Span<double> c)
    {
        MatrixProducts.CheckShapes(m, n, k, a.Length, b.Length, c.Length);
        if (m == 0 || n == 0) return;
        fixed (double* pa = a, pb = b, pc = c)
        {
            cblas_dgemm(RowMajor, transposeA ? Trans : NoTrans, transposeB ? Trans : NoTrans, m, n, k, alpha,
                pa, Math.Max(1, transposeA ? m : k), pb, Math.Max(1, transposeB ? k : n), beta, pc, n);
        }
    }

    /// <inheritdoc/>
    public void Multiply(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, float beta, Span<float> c)
    {
        MatrixProducts.CheckShapes(m, n, k, a.Length, b.Length, c.Length);
        if (m == 0 || n == 0) return;
        fixed (float* pa = a, pb = b, pc = c)
        {
            cblas_sgemm(RowMajor, transposeA ? Trans : NoTrans, transposeB ? Trans : NoTrans, m, n, k, alpha,
                pa, Math.Max(1, transposeA ? m : k), pb, Math.Max(1, transposeB ? k : n), beta, pc, n);
        }
    }

    private static nint Load()
    {
        nint handle = 0;
        foreach (string name in Candidates)
            if (NativeLibrary.TryLoad(name, out handle)) break;
        if (handle != 0) NativeLibrary.SetDllImportResolver(typeof(OpenBlasMatrixProduct).Assembly, Resolve);
        return handle;
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == Lib ? Handle.Value : 0;

    [LibraryImport(Lib)]
    private static partial void cblas_dgemm(int order, int transA, int transB, int m, int n, int k, double alpha,
        double* a, int lda, double* b, int ldb, double beta, double* c, int ldc);

    [LibraryImport(Lib)]
    private static partial void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(Lib)] private static partial void openblas_set_num_threads(int threads);
    [LibraryImport(Lib)] private static partial int openblas_get_num_threads();
    [LibraryImport(Lib)] private static partial byte* openblas_get_corename();
}
