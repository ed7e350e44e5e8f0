using System.Numerics;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using BioSim.Circuits.Connectivity;
using BioSim.Circuits.Neurons.Lif;
using BioSim.Circuits.Projections;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Events;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;

namespace BioSim.Benchmarks.Kernels;

/// <summary>
/// Question: what do the two kernels of a CUBA step cost, and do they allocate? (1) the LIF update of N
/// neurons with two exponential current receptors (exact propagators, SIMD fast path, in-step threshold
/// location for the few that cross), and (2) delivering one step's spikes (N × 5.4 Hz × 0.1 ms of them,
/// as in CUBA) through a fixed-probability projection with ~80 targets per source and one shared weight.
/// Sizes include 4001 (not a multiple of the SIMD width). [MemoryDiagnoser] must show no allocation.
/// </summary>
[MemoryDiagnoser]
public class NetworkKernelsBenchmark : IDisposable
{
    private LifPopulation _population = null!;
    private Simulator _simulation = null!;
    private SpikeList _spikes = null!;
    private Projection _projection = null!;
    private SpikeList _stepSpikes = null!;
    private double _t;

    [Params(4000, 4001, 64000)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Console.WriteLine($"// machine: {Environment.MachineName}, {Environment.ProcessorCount} cores, Vector<double>.Count = {Vector<double>.Count}, "
            + $"Vector512 accelerated = {Vector512.IsHardwareAccelerated}, Vector256 accelerated = {Vector256.IsHardwareAccelerated}; matrix kernel: none used");
        var p = new LifParameters { tau_m = 20, E_L = -49, V_th = -50, V_reset = -60, t_ref = 5 };
        _population = new LifPopulation("exc", N, p, [new ReceptorSpec("exc", ReceptorSpec.ExpCurrent, 5), new ReceptorSpec("inh", ReceptorSpec.ExpCurrent, 10)]);
        var init = new RandomStream(1, "exc", "initial/V");
        var v = _population.Variable("V");
        for (int i = 0; i < N; i++) v[i] = -60 + 10 * init.ForElement((uint)i).NextDouble();
        var pattern = new FixedProbability().Build(new FixedProbabilityParameters(80.0 / N), N, N, true, new RandomStream(1, "ee", "connectivity"));
        _projection = new Projection("ee", "exc", _population, "exc", pattern, 0.1, 0.0);
        _simulation = new Simulator([_population], [_projection], 0.1);
        _spikes = new SpikeList(1024);
        _stepSpikes = new SpikeList(1024);
        var pick = new RandomStream(1, "bench", "spikes");
        int perStep = Math.Max(1, (int)Math.Round(N * 5.4 * 1e-4));
        for (int k = 0; k < perStep; k++) _stepSpikes.Add((int)pick.NextUInt32((uint)N), 0.05);
        _t = 0;
    }

    /// <summary>One step of the LIF population (all N neurons) plus the end-of-step ring advance.</summary>
    [Benchmark(Baseline = true)]
    public int LifUpdate()
    {
        _spikes.Clear();
        _population.Advance(_t, 0.1, 0, N, _spikes);
        _population.EndStep();
        _t += 0.1;
        return _spikes.Count;
    }

    /// <summary>Delivering one step's worth of spikes into the target ring.</summary>
    [Benchmark]
    public void SpikeDelivery()
    {
        _projection.Transmit(_stepSpikes);
        _population.EndStep();
    }

    /// <summary>A whole network step (update, sort, delivery, ring advance) of a recurrent LIF network.</summary>
    [Benchmark]
    public void NetworkStep() => _simulation.Step();

    /// <summary>Releases the simulator's worker threads.</summary>
    public void Dispose()
    {
        _simulation.Dispose();
        GC.SuppressFinalize(this);
    }
}
