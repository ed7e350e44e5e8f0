using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using BioSim.Engine.Numerics;

namespace BioSim.Benchmarks.Kernels;

/// <summary>
/// Question: what do more threads buy the managed kernel at the products of training a 784-256-256-10 network (forward
/// H·Wᵀ = NT, backprop δ·W = NN, weight gradient δᵀ·H = TN; batch 64 and the tests' 32), float64 and float32? The thread
/// counts alternate round by round on the same data and each one's time is the minimum over the rounds (load from other
/// processes inflates all alike; the load average is printed before and after, and the process's CPU seconds per wall second
/// at each thread count, which is near the thread count only when the threads had cores). GFLOP/s = 2mnk / time. Every product is
/// also checked to give the one-thread bits. <c>dotnet run -c Release --project benchmarks -- gemm-threads [rounds] [max threads]</c>.
/// </summary>
internal static class GemmThreads
{
    private static readonly (string Op, int M, int N, int K)[] Shapes =
    [
        ("NT", 64, 256, 784), ("NN", 64, 784, 256), ("TN", 256, 784, 64), ("NT", 64, 256, 256), ("TN", 256, 256, 64),
        ("NT", 32, 256, 784), ("NN", 32, 784, 256), ("TN", 256, 784, 32), ("NT", 512, 512, 512),
    ];

    public static void Run(int rounds, int maxThreads)
    {
        var kernels = Enumerable.Range(1, maxThreads).Select(t => new ManagedMatrixProduct { Threads = t }).ToArray();
        Console.WriteLine($"machine: {Environment.MachineName}, {Environment.ProcessorCount} cores, Vector512 accelerated = {Vector512.IsHardwareAccelerated}; "
            + $"kernel: {kernels[0].Name}; auto choice: {MatrixProducts.Choose("auto").Name}");
        Console.WriteLine($"load average before: {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("shape            precision " + string.Join("", kernels.Select(k => $" {k.Threads} thr GFLOP/s")) + "  speed-up(max/1)");
        foreach (var (op, m, n, k) in Shapes)
        {
            Row(op, m, n, k, rounds, kernels, 1.0);
            Row(op, m, n, k, rounds, kernels, 1f);
        }
        Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    private static void Row<T>(string op, int m, int n, int k, int rounds, ManagedMatrixProduct[] kernels, T one)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rng = new Random(1);
        var a = new T[m * k];
        var b = new T[k * n];
        for (int i = 0; i < a.Length; i++) a[i] = T.CreateTruncating(rng.NextDouble() - 0.5);
        for (int i = 0; i < b.Length; i++) b[i] = T.CreateTruncating(rng.NextDouble() - 0.5);
        var c = new T[kernels.Length][];
        bool ta = op[0] == 'T', tb = op[1] == 'T';
        double flops = 2.0 * m * n * k;
        int repeats = Math.Max(1, (int)(2e8 / flops));   // ~0.2 GFLOP per timing
        var best = Enumerable.Repeat(double.MaxValue, kernels.Length).ToArray();
        var wall = new double[kernels.Length];
        var cpu = new double[kernels.Length];
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        for (int r = 0; r < rounds; r++)
        {
            for (int t = 0; t < kernels.Length; t++)
            {
                c[t] ??= new T[m * n];
                self.Refresh();
                var cpu0 = self.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < repeats; i++) Multiply(kernels[t], ta, tb, m, n, k, one, a, b, c[t]);
                double seconds = clock.Elapsed.TotalSeconds;
                self.Refresh();
                best[t] = Math.Min(best[t], seconds / repeats);
                wall[t] += seconds;
                cpu[t] += (self.TotalProcessorTime - cpu0).TotalSeconds;
            }
        }
        for (int t = 1; t < kernels.Length; t++)
            if (!c[t].AsSpan().SequenceEqual(c[0])) throw new InvalidOperationException($"{op} {m}×{n}×{k}: {t + 1} threads differ from one");
        string precision = typeof(T) == typeof(double) ? "float64" : "float32";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{op} {m,4} {n,4} {k,4}   {precision}  ")
            + string.Join("", best.Select(s => string.Create(CultureInfo.InvariantCulture, $" {flops / s / 1e9,14:F1}")))
            + string.Create(CultureInfo.InvariantCulture, $"  {best[0] / best[^1],8:F2}   ")
            + string.Join(" ", cpu.Zip(wall, (u, w) => string.Create(CultureInfo.InvariantCulture, $"{u / w:F2}"))));
    }

    private static void Multiply<T>(ManagedMatrixProduct kernel, bool ta, bool tb, int m, int n, int k, T one, T[] a, T[] b, T[] c)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double))
            kernel.Multiply(ta, tb, m, n, k, 1.0, (double[])(object)a, (double[])(object)b, 0.0, (double[])(object)c);
        else
            kernel.Multiply(ta, tb, m, n, k, 1f, (float[])(object)a, (float[])(object)b, 0f, (float[])(object)c);
    }
}
