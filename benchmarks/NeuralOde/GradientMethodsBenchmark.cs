using System.Numerics;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using BioSim.Engine.NeuralOde;
using BioSim.Engine.Numerics;
using BioSim.Engine.Ode;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.NeuralOde;
using MeanSquaredError = BioSim.Engine.NeuralOde.MeanSquaredError;

namespace BioSim.Benchmarks.NeuralOde;

/// <summary>
/// Question: what does one gradient cost per method at a few step counts, and how much does it allocate? (The
/// allocation is the memory the method keeps for the backward pass plus the step schedule: it grows with N·s·L for
/// backprop and with N·d for checkpointing and the symplectic adjoint; [MemoryDiagnoser] shows it.) Work: the sweep's
/// problem (benchmarks/NeuralOde/GradientSweep.cs): MLP 2 + t → 64 → 64 → 2 (tanh, 4 546 parameters), fixed-step RK4
/// on [0, 2], MSE at 5 times; N = 10, 100, 1000 (N = 1000 is the size used for the ratio in RESULTS.md). The
/// PyTorch pairing lives in the sweep (same run, child process), not here.
/// </summary>
[MemoryDiagnoser]
public class GradientMethodsBenchmark
{
    private MlpVectorField _field = null!;
    private TrajectoryProblem _problem = null!;
    private IGradientMethod _method = null!;
    private double[] _gradient = [];

    /// <summary>Number of RK4 steps.</summary>
    [Params(10, 100, 1000)]
    public int N { get; set; }

    /// <summary>Gradient method by its experiment-file name.</summary>
    [Params("backprop", "checkpoint", "symplectic-adjoint", "continuous-adjoint")]
    public string GradientMethod { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        Console.WriteLine($"// machine: {Environment.ProcessorCount} cores, Vector<double>.Count = {Vector<double>.Count}, Vector512 accelerated = {Vector512.IsHardwareAccelerated}, "
            + $"Vector256 accelerated = {Vector256.IsHardwareAccelerated}; dense kernel: {new ManagedMatrixProduct().Name} (the field's IMatrixProduct, matrix-vector path)");
        _field = new MlpVectorField(2, [64, 64], new Tanh(), timeInput: true);
        _field.InitializeRandom(1);
        double[] targets = new double[10];
        for (int i = 0; i < targets.Length; i++) targets[i] = Math.Sin(i);
        _problem = new TrajectoryProblem(0, [0.5, -0.3], [0.4, 0.8, 1.2, 1.6, 2.0], new MeanSquaredError(targets, 5, 2), SolverSettings.Fixed(ButcherTableau.RK4, 2.0 / N));
        _method = GradientMethod switch
        {
            "backprop" => new BackpropThroughSolver(),
            "checkpoint" => new CheckpointedBackprop(),
            "symplectic-adjoint" => new SymplecticAdjoint(),
            "continuous-adjoint" => new ContinuousAdjoint(new AdaptiveOptions { RelativeTolerance = 1e-8, AbsoluteTolerance = 1e-8 }),
            _ => throw new ArgumentException($"unknown method '{GradientMethod}'"),
        };
        _gradient = new double[_field.ParameterCount];
    }

    /// <summary>One loss-and-gradient evaluation.</summary>
    [Benchmark]
    public double LossAndGradient() => _method.Compute(_field, _problem, _gradient, default).Loss;
}
