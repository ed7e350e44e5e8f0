using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using BioSim.Engine.NeuralOde;
using BioSim.Engine.Ode;

namespace BioSim.Benchmarks.NeuralOde;

/// <summary>
/// Question: how do gradient time and memory grow with the number of steps N for the four gradient methods?
/// Work: MLP 2 + t → 64 → 64 → 2 (tanh, 4 546 parameters, tape L = 261 doubles), RK4, fixed steps on [0, 2]
/// with MSE at 5 observation times, N = 10 … 10 000. Per method and N: the fastest of 3 gradient calls after
/// a warm-up (Stopwatch), the managed bytes allocated by one call, the doubles the method reports retaining,
/// and the GC heap after the call while its buffers are still referenced. Same work as
/// benchmarks/compare/neuralode_torch.py (PyTorch autograd). Usage: <c>dotnet run -c Release --project
/// benchmarks -- neuralode-sweep</c>.
/// </summary>
internal static class GradientSweep
{
    public static void Run()
    {
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSArchitecture}, Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}; dense kernel: TensorPrimitives.Dot (managed SIMD)");
        var field = new MlpVectorField(2, [64, 64], Activation.Tanh, timeInput: true);
        field.InitializeRandom(1);
        Console.WriteLine($"field: {field.ParameterCount} parameters, tape {field.TapeLength} doubles");
        Console.WriteLine("method,N,ms_per_gradient,allocated_MB,retained_doubles,retained_MB");
        int[] sizes = [10, 100, 1000, 10000];
        IGradientMethod[] methods = [new BackpropThroughSolver(), new CheckpointedBackprop(), new SymplecticAdjoint(), new ContinuousAdjoint(new AdaptiveOptions { RelativeTolerance = 1e-8, AbsoluteTolerance = 1e-8 })];
        double[] targets = new double[10];
        for (int i = 0; i < targets.Length; i++) targets[i] = Math.Sin(i);
        foreach (IGradientMethod method in methods)
        {
            foreach (int n in sizes)
            {
                var problem = new TrajectoryProblem(0, [0.5, -0.3], [0.4, 0.8, 1.2, 1.6, 2.0], new MeanSquaredError(targets, 5, 2),
                    SolverSettings.Fixed(ButcherTableau.RK4, 2.0 / n));
                var g = new double[field.ParameterCount];
                method.Compute(field, problem, g, default);
                double best = double.MaxValue;
                long allocated = 0, retained = 0;
                for (int r = 0; r < 3; r++)
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    var watch = Stopwatch.StartNew();
                    GradientResult result = method.Compute(field, problem, g, default);
                    best = Math.Min(best, watch.Elapsed.TotalMilliseconds);
                    allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                    retained = result.RetainedFloats;
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{method.Name},{n},{best:F3},{allocated / 1e6:F3},{retained},{retained * 8 / 1e6:F3}"));
            }
        }
    }
}
