using System.Runtime.Intrinsics.X86;

namespace BioSim.Engine.Numerics;

/// <summary>
/// Chooses the fastest available <see cref="IMatrixProduct"/> for the machine it runs on, deterministically (no timing):
/// <list type="number">
/// <item>the environment variable <c>BIOSIM_GEMM</c> = <c>openblas</c> | <c>managed</c> | <c>auto</c> (or unset) forces a kernel;</item>
/// <item>without OpenBLAS (Debian <c>libopenblas0</c>), the managed kernel at the widest accelerated width;</item>
/// <item>when OpenBLAS runs a kernel older than AVX2 (the core name it reports, e.g. "Prescott": OpenBLAS 0.3.21 does not know
///   recent Xeons and falls back to SSE3) on a CPU with AVX2 and FMA, the managed kernel: measured on an AVX-512 Xeon at the
///   training shapes of a 784-256-256-10 network, batch 64, one thread, managed Vector512 ran 1.5-10× faster than
///   OpenBLAS-Prescott in float64 and float32 (benchmarks/Kernels/TrainingShapesGemmBenchmark);</item>
/// <item>otherwise OpenBLAS (Haswell, SkylakeX, Zen, … kernels: 1.8-2× the managed kernel, benchmarks/RESULTS.md).</item>
/// </list>
/// The chosen kernel's <see cref="IMatrixProduct.Name"/> ends with the reason, so a header printing it shows the choice.
/// </summary>
public static class MatrixProducts
{
    /// <summary>The environment variable that forces a kernel.</summary>
    public const string Variable = "BIOSIM_GEMM";

    /// <summary>OpenBLAS cores (as openblas_get_corename reports them) whose kernels predate AVX2/FMA.</summary>
    private static readonly string[] PreAvx2Cores =
    [
        "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "katmai", "coppermine", "northwood", "banias",
        "athlon", "opteron", "opteron_sse3", "barcelona", "bobcat", "unknown", "generic",
    ];

    /// <summary>The kernel <see cref="Choose"/> picks for the current environment variable <c>BIOSIM_GEMM</c>.</summary>
    /// <exception cref="InvalidDataException">BIOSIM_GEMM has a value other than openblas, managed or auto.</exception>
    /// <exception cref="DllNotFoundException">BIOSIM_GEMM=openblas but OpenBLAS is not installed.</exception>
    public static IMatrixProduct CreateDefault() => Choose(Environment.GetEnvironmentVariable(Variable));

    /// <summary>The kernel for the setting <paramref name="setting"/> (the value of BIOSIM_GEMM; null or empty means auto).</summary>
    /// <exception cref="InvalidDataException">The setting is not openblas, managed or auto.</exception>
    /// <exception cref="DllNotFoundException">The setting is openblas but OpenBLAS is not installed.</exception>
    public static IMatrixProduct Choose(string? setting)
    {
        string s = (setting ?? "").Trim().ToLowerInvariant();
        switch (s)
        {
            case "openblas":
                return new OpenBlasMatrixProduct { Reason = $"forced by {Variable}=openblas" };
            case "managed":
                return new ManagedMatrixProduct { Reason = $"forced by {Variable}=managed" };
            case "" or "auto":
                break;
            default:
                throw new InvalidDataException($"{Variable}='{setting}' is not a matrix kernel; use {Variable}=openblas, managed or auto (or leave it unset for auto).");
        }
        if (!OpenBlasMatrixProduct.IsAvailable)
            return new ManagedMatrixProduct { Reason = $"OpenBLAS not installed; {Variable}=openblas|managed forces one" };
        var openBlas = new OpenBlasMatrixProduct();
        if (PrefersManaged(openBlas.Core, Avx2.IsSupported && Fma.IsSupported))
        {
            var managed = new ManagedMatrixProduct();
            managed.Reason = $"OpenBLAS runs its pre-AVX2 '{openBlas.Core}' kernel on this CPU; {Variable}=openblas|managed forces one";
            return managed;
        }
        openBlas.Reason = $"OpenBLAS core '{openBlas.Core}' has kernels for this CPU; {Variable}=openblas|managed forces one";
        return openBlas;
    }

    /// <summary>
    /// Gives <paramref name="product"/> <paramref name="threads"/> threads: OpenBLAS's (process-wide) thread count, or the
    /// managed kernel's <see cref="ManagedMatrixProduct.Threads"/>. Both give the same bits at any thread count. Another
    /// kind of product is left as it is.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is below 1.</exception>
    public static void SetThreads(IMatrixProduct product, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (product is OpenBlasMatrixProduct openBlas) openBlas.Threads = threads;
        else if (product is ManagedMatrixProduct managed) managed.Threads = threads;
    }

    /// <summary>Whether the managed kernel beats OpenBLAS running <paramref name="core"/> on a CPU that has AVX2 and FMA
    /// (<paramref name="avx2Fma"/>): true exactly when the core's kernels predate AVX2.</summary>
    public static bool PrefersManaged(string core, bool avx2Fma) =>
        avx2Fma && Array.IndexOf(PreAvx2Cores, core.Trim().ToLowerInvariant()) >= 0;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2208", Justification = "Names the caller's argument (a, b or c of Multiply) that is too short.")]
    internal static void CheckShapes(int m, int n, int k, int aLength, int bLength, int cLength)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), $"Matrix sizes must be non-negative (m = {m}, n = {n}, k = {k}).");
        if (aLength < (long)m * k) throw new ArgumentException($"A has {aLength} values; op(A) is {m}×{k} and needs {(long)m * k}.", "a");
        if (bLength < (long)k * n) throw new ArgumentException($"B has {bLength} values; op(B) is {k}×{n} and needs {(long)k * n}.", "b");
        if (cLength < (long)m * n) throw new ArgumentException($"C has {cLength} values; C is {m}×{n} and needs {(long)m * n}.", "c");
    }
}
