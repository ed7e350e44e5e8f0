using System.Numerics;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using BioSim.Engine.Numerics;

namespace BioSim.Benchmarks.Kernels;

/// <summary>
/// Question: how fast is each kernel behind the one matrix-product entry point (OpenBLAS on one thread,
/// our managed blocked FMA kernel at the widest accelerated vector width), square C = A·B in float and
/// double, and does a call allocate? GFLOP/s = 2N³ / time. Sizes 256, 257 (not a multiple of the vector
/// width) and 1024. Run: <c>dotnet run -c Release --project benchmarks -- --filter '*Gemm*'</c>.
/// </summary>
[MemoryDiagnoser]
public class GemmBenchmark
{
    private OpenBlasMatrixProduct? _openBlas;
    private ManagedMatrixProduct _managed = null!;
    private double[] _a = [], _b = [], _c = [];
    private float[] _af = [], _bf = [], _cf = [];

    [Params(256, 257, 1024)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _managed = new ManagedMatrixProduct();
        if (OpenBlasMatrixProduct.IsAvailable) _openBlas = new OpenBlasMatrixProduct { Threads = 1 };
        Console.WriteLine($"// machine: {Environment.MachineName}, {Environment.ProcessorCount} cores, Vector<double>.Count = {Vector<double>.Count}, "
            + $"Vector512 accelerated = {Vector512.IsHardwareAccelerated}, Vector256 accelerated = {Vector256.IsHardwareAccelerated}; "
            + $"kernels: {_openBlas?.Name ?? "OpenBLAS absent"} | {_managed.Name}");
        var rng = new Random(1);
        _a = new double[N * N]; _b = new double[N * N]; _c = new double[N * N];
        for (int i = 0; i < _a.Length; i++) { _a[i] = rng.NextDouble() - 0.5; _b[i] = rng.NextDouble() - 0.5; }
        _af = Array.ConvertAll(_a, x => (float)x); _bf = Array.ConvertAll(_b, x => (float)x); _cf = new float[N * N];
    }

    [Benchmark(Baseline = true)]
    public void OpenBlasDouble() => _openBlas?.Multiply(false, false, N, N, N, 1.0, _a, _b, 0.0, _c);

    [Benchmark]
    public void ManagedDouble() => _managed.Multiply(false, false, N, N, N, 1.0, _a, _b, 0.0, _c);

    [Benchmark]
    public void OpenBlasFloat() => _openBlas?.Multiply(false, false, N, N, N, 1f, _af, _bf, 0f, _cf);

    [Benchmark]
    public void ManagedFloat() => _managed.Multiply(false, false, N, N, N, 1f, _af, _bf, 0f, _cf);
}
