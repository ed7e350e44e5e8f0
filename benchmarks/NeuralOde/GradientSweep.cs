using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using BioSim.Engine.NeuralOde;
using BioSim.Engine.Ode;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.NeuralOde;
using MeanSquaredError = BioSim.Engine.NeuralOde.MeanSquaredError;

namespace BioSim.Benchmarks.NeuralOde;

/// <summary>
/// Question: how do gradient time and memory grow with the number of steps N for the four gradient methods, and how
/// do they compare with PyTorch autograd through the same solver, in the same run? Also: does memory grow with the
/// number of stages s (RK4, s = 4, against Dormand-Prince, s = 7 with 6 used) at fixed N?
/// Work: MLP 2 + t → 64 → 64 → 2 (tanh, float64, 4 546 parameters, tape L = 261 doubles), RK4, fixed steps on
/// [0, 2] with MSE at 5 observation times, N = 10 … 10 000, one thread. Per N the methods run round robin (a warm-up and
/// 3 timed calls each, then 4 more rounds of one call; 3 rounds at N = 10 000), the fastest call kept (Stopwatch), the managed bytes allocated by one call, and the doubles the method reports
/// retaining. Then benchmarks/compare/neuralode_torch.py runs the same work with PyTorch autograd (its weights are
/// PyTorch's default initialisation, not ours: the cost does not depend on the values) in a child process
/// (/usr/bin/python3, one thread) right after BioSim at the same N, and the table of ratios (method time / PyTorch time, method time / backprop
/// time) is printed. Usage: <c>dotnet run -c Release --project benchmarks -- neuralode-sweep [maxN]</c>.
/// </summary>
internal static class GradientSweep
{
    public static void Run(int maxN = 10000)
    {
        var field = new MlpVectorField(2, [64, 64], new Tanh(), timeInput: true);
        field.InitializeRandom(1);
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSArchitecture}, Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}; dense kernel: {field.MatrixProduct}; load average {LoadAverage()}");
        Console.WriteLine($"field: {field.ParameterCount} parameters, tape {field.TapeLength} doubles");
        Console.WriteLine("method,tableau,N,ms_per_gradient,allocated_MB,retained_doubles,retained_MB");
        int[] sizes = [.. new[] { 10, 100, 1000, 10000 }.Where(n => n <= maxN)];
        IGradientMethod[] methods = [new BackpropThroughSolver(), new CheckpointedBackprop(), new SymplecticAdjoint(), new ContinuousAdjoint(new AdaptiveOptions { RelativeTolerance = 1e-8, AbsoluteTolerance = 1e-8 })];
        var ms = new Dictionary<(string, int), double>();
        var retainedMb = new Dictionary<(string, int), double>();
        var torch = new Dictionary<int, (double Ms, double Mb)>();
        foreach (int n in sizes)
        {
            // Round robin over the methods (5 rounds, fastest kept) so that all of them see the same load, then
            // PyTorch at the same N right after.
            var best = new double[methods.Length];
            var allocated = new long[methods.Length];
            var retained = new long[methods.Length];
            Array.Fill(best, double.MaxValue);
            for (int round = 0; round < (n >= 10000 ? 3 : 5); round++)
            {
                for (int k = 0; k < methods.Length; k++)
                {
                    var (time, bytes, doubles) = Measure(field, methods[k], ButcherTableau.RK4, n, warm: round == 0);
                    best[k] = Math.Min(best[k], time);
                    allocated[k] = bytes;
                    retained[k] = doubles;
                }
            }
            for (int k = 0; k < methods.Length; k++)
            {
                ms[(methods[k].Name, n)] = best[k];
                retainedMb[(methods[k].Name, n)] = retained[k] * 8 / 1e6;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{methods[k].Name},rk4,{n},{best[k]:F3},{allocated[k] / 1e6:F3},{retained[k]},{retained[k] * 8 / 1e6:F3}"));
            }
            foreach (var (key, value) in RunTorch(n)) torch[key] = value;
        }
        // Stages: the same N with Dormand-Prince (7 stages, the FSAL one not evaluated) for the three discrete methods.
        int nStages = Math.Min(1000, maxN);
        foreach (IGradientMethod method in methods.Take(3))
        {
            var (best, allocated, retained) = Measure(field, method, ButcherTableau.DormandPrince54, nStages, warm: true);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{method.Name},dopri5,{nStages},{best:F3},{allocated / 1e6:F3},{retained},{retained * 8 / 1e6:F3}"));
        }

        Console.WriteLine();
        Console.WriteLine("ratios (same run): method time / PyTorch autograd time, method time / backprop time; PyTorch memory = peak RSS growth");
        Console.WriteLine("method,N,ms,vs_torch,vs_backprop,retained_MB,torch_ms,torch_MB");
        foreach (IGradientMethod method in methods)
        {
            foreach (int n in sizes)
            {
                double t = ms[(method.Name, n)];
                (double Ms, double Mb)? reference = torch.TryGetValue(n, out var r) ? r : null;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{method.Name},{n},{t:F3},{(reference is { } a ? (t / a.Ms).ToString("F4", CultureInfo.InvariantCulture) : "n/a")},{t / ms[("backprop", n)]:F2},{retainedMb[(method.Name, n)]:F3},{(reference is { } b ? b.Ms.ToString("F1", CultureInfo.InvariantCulture) : "n/a")},{(reference is { } c ? c.Mb.ToString("F1", CultureInfo.InvariantCulture) : "n/a")}"));
            }
        }
        Console.WriteLine($"load average at the end: {LoadAverage()}");
    }

    private static (double Best, long Allocated, long Retained) Measure(MlpVectorField field, IGradientMethod method, ButcherTableau tableau, int n, bool warm)
    {
        double[] targets = new double[10];
        for (int i = 0; i < targets.Length; i++) targets[i] = Math.Sin(i);
        var problem = new TrajectoryProblem(0, [0.5, -0.3], [0.4, 0.8, 1.2, 1.6, 2.0], new MeanSquaredError(targets, 5, 2),
            SolverSettings.Fixed(tableau, 2.0 / n));
        var g = new double[field.ParameterCount];
        if (warm) method.Compute(field, problem, g, default);
        double best = double.MaxValue;
        long allocated = 0, retained = 0;
        for (int r = 0; r < (warm ? 3 : 1); r++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            GradientResult result = method.Compute(field, problem, g, default);
            best = Math.Min(best, watch.Elapsed.TotalMilliseconds);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            retained = result.RetainedFloats;
        }
        return (best, allocated, retained);
    }

    /// <summary>Runs the PyTorch half; returns N → (ms per gradient, peak RSS growth MB), empty when PyTorch is missing.</summary>
    private static Dictionary<int, (double Ms, double Mb)> RunTorch(int n)
    {
        var result = new Dictionary<int, (double, double)>();
        string script = FindScript();
        if (!File.Exists("/usr/bin/python3") || script.Length == 0)
        {
            Console.WriteLine("PyTorch: /usr/bin/python3 or benchmarks/compare/neuralode_torch.py not found; no ratios");
            return result;
        }
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(n.ToString(CultureInfo.InvariantCulture));
        start.Environment["OMP_NUM_THREADS"] = "1";
        using var process = Process.Start(start)!;
        string stderr = "";
        var errorTask = Task.Run(() => stderr = process.StandardError.ReadToEnd());
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null)
        {
            Console.WriteLine(line);
            string[] parts = line.Split(',');
            if (parts.Length == 4 && parts[0] == "torch-autograd")
            {
                result[int.Parse(parts[1], CultureInfo.InvariantCulture)] =
                    (double.Parse(parts[2], CultureInfo.InvariantCulture), double.Parse(parts[3], CultureInfo.InvariantCulture));
            }
        }
        process.WaitForExit();
        errorTask.Wait();
        if (process.ExitCode != 0) Console.WriteLine($"PyTorch script failed ({process.ExitCode}): {stderr}");
        return result;
    }

    private static string FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "benchmarks", "compare", "neuralode_torch.py");
            if (File.Exists(candidate)) return candidate;
        }
        return "";
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
