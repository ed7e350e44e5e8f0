using System.Numerics;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using BioSim.Engine.Numerics;

namespace BioSim.Benchmarks.Kernels;

/// <summary>
/// Question: at the products one training step of a 784-256-256-10 network with batch 64 makes (forward H·Wᵀ, backprop
/// δ·W, weight gradient δᵀ·H), which kernel is faster on this machine, one thread, float64 and float32 — the evidence for
/// <see cref="MatrixProducts"/>' choice. GFLOP/s = 2mnk / time. Run:
/// <c>dotnet run -c Release --project benchmarks -- --filter '*TrainingShapesGemm*'</c>.
/// </summary>
[MemoryDiagnoser]
public class TrainingShapesGemmBenchmark
{
    private IMatrixProduct _kernel = null!;
    private double[] _a = [], _b = [], _c = [];
    private float[] _af = [], _bf = [], _cf = [];

    /// <summary>Shape as "op m n k": NT = forward of layer 1, NN = backprop to layer 1, TN = weight gradient of layer 1; 10 is not a multiple of any vector width.</summary>
    [Params("NT 64 256 784", "NN 64 256 256", "TN 256 784 64", "NT 64 10 256", "TN 10 256 64")]
    public string Shape { get; set; } = "";

    /// <summary>The kernel: openblas, managed512, managed256.</summary>
    [Params("openblas", "managed512", "managed256")]
    public string Kernel { get; set; } = "";

    private bool _ta, _tb;
    private int _m, _n, _k;

    [GlobalSetup]
    public void Setup()
    {
        _kernel = Kernel switch
        {
            "openblas" => new OpenBlasMatrixProduct { Threads = 1 },
            "managed512" => new ManagedMatrixProduct(512),
            _ => new ManagedMatrixProduct(256),
        };
        string[] parts = Shape.Split(' ');
        (_ta, _tb) = (parts[0][0] == 'T', parts[0][1] == 'T');
        (_m, _n, _k) = (int.Parse(parts[1]), int.Parse(parts[2]), int.Parse(parts[3]));
        Console.WriteLine($"// machine: {Environment.MachineName}, {Environment.ProcessorCount} cores, Vector<double>.Count = {Vector<double>.Count}, "
            + $"Vector512 accelerated = {Vector512.IsHardwareAccelerated}; kernel: {_kernel.Name}; auto choice: {MatrixProducts.Choose("auto").Name}");
        var rng = new Random(1);
        _a = new double[_m * _k]; _b = new double[_k * _n]; _c = new double[_m * _n];
        for (int i = 0; i < _a.Length; i++) _a[i] = rng.NextDouble() - 0.5;
        for (int i = 0; i < _b.Length; i++) _b[i] = rng.NextDouble() - 0.5;
        _af = Array.ConvertAll(_a, x => (float)x); _bf = Array.ConvertAll(_b, x => (float)x); _cf = new float[_m * _n];
    }

    [Benchmark]
    public void DoublePrecision() => _kernel.Multiply(_ta, _tb, _m, _n, _k, 1.0, _a, _b, 0.0, _c);

    [Benchmark]
    public void SinglePrecision() => _kernel.Multiply(_ta, _tb, _m, _n, _k, 1f, _af, _bf, 0f, _cf);
}
