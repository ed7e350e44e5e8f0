using System.Numerics;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using BioSim.Engine.Ode;

namespace BioSim.Benchmarks.Kernels;

/// <summary>
/// Question: what does one explicit Runge-Kutta step cost on a 1000-variable linear system, and does it
/// allocate? (It must not: STYLE.md, "no allocation inside a step"; [MemoryDiagnoser] shows bytes per step.)
/// Sizes 1000 and 1003 (not a multiple of the SIMD width). The system is a tridiagonal linear
/// diffusion-with-decay dy_i/dt = −λ_i y_i + κ(y_{i−1} − 2y_i + y_{i+1}), so f is about as cheap as the
/// stage arithmetic and the benchmark measures the stepper. Dormand-Prince steps advance the state so that
/// FSAL reuse happens as in an integration (6 evaluations per step).
/// </summary>
[MemoryDiagnoser]
public class RungeKuttaStepBenchmark
{
    private ExplicitRungeKutta _rk4 = null!;
    private ExplicitRungeKutta _dopri5 = null!;
    private LinearChain _system = null!;
    private double[] _y = [], _yOut = [], _err = [];
    private double _t;

    /// <summary>Number of state variables.</summary>
    [Params(1000, 1003)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Console.WriteLine($"// machine: {Environment.MachineName}, {Environment.ProcessorCount} cores, Vector<double>.Count = {Vector<double>.Count}, "
            + $"Vector512 accelerated = {Vector512.IsHardwareAccelerated}, Vector256 accelerated = {Vector256.IsHardwareAccelerated}; matrix kernel: none used");
        _system = new LinearChain(N);
        _rk4 = new ExplicitRungeKutta(ButcherTableau.RK4, N);
        _dopri5 = new ExplicitRungeKutta(ButcherTableau.DormandPrince54, N);
        _y = new double[N];
        _yOut = new double[N];
        _err = new double[N];
        for (int i = 0; i < N; i++) _y[i] = Math.Sin(0.01 * i);
        _t = 0;
    }

    /// <summary>One classical RK4 step (4 evaluations).</summary>
    [Benchmark(Baseline = true)]
    public void Rk4Step()
    {
        _rk4.Step(_system, _t, _y, 1e-3, _yOut, default);
        (_y, _yOut) = (_yOut, _y);
        _t += 1e-3;
    }

    /// <summary>One Dormand-Prince 5(4) step with error estimate (6 evaluations after the first, FSAL).</summary>
    [Benchmark]
    public void DormandPrince54Step()
    {
        _dopri5.Step(_system, _t, _y, 1e-3, _yOut, _err);
        (_y, _yOut) = (_yOut, _y);
        _t += 1e-3;
    }

    private sealed class LinearChain(int n) : IOdeSystem
    {
        private const double Kappa = 0.5;

        public int Dimension => n;

        public void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt)
        {
            int last = y.Length - 1;
            dydt[0] = -y[0] + Kappa * (y[1] - y[0]);
            for (int i = 1; i < last; i++) dydt[i] = -(1 + 1e-3 * i) * y[i] + Kappa * (y[i - 1] - 2 * y[i] + y[i + 1]);
            dydt[last] = -y[last] + Kappa * (y[last - 1] - y[last]);
        }
    }
}
