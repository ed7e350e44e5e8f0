using System.Diagnostics;
using System.Globalization;
using BioSim.Circuits.Cells;
using BioSim.Circuits.Connectivity;
using BioSim.Circuits.Mechanisms;
using BioSim.Circuits.Morphology;
using BioSim.Circuits.Projections;
using BioSim.Engine.Cable;
using BioSim.Engine.Simulation;

namespace BioSim.Benchmarks.Cable;

/// <summary>
/// Question: how many nanoseconds does BioSim spend per compartment-step on NEURON's benchmark cells, and
/// how does that compare with NEURON on the same work? The BioSim half of benchmarks/compare/cable_neuron.py:
/// the same cell (soma 20 × 20 µm and a 600 µm apical trunk with hh, four 200 µm basal dendrites with pas;
/// 202 segments) and the same network (100 cells, each receiving ExpSyn input from the next 10 cells on a
/// ring, weight 0.0005 µS, delay 1 ms, every soma driven by a 0.3 nA step), dt 0.025 ms, 1 s, backward Euler.
/// Construction and simulation are timed apart, the run both as wall time and as process CPU time (less
/// sensitive to other work on a shared machine); the timed second follows an untimed warm-up (JIT tiering; NEURON
/// has none: 1 s for one cell, at least 100 ms), and the output is one JSON line per case.
/// Run: <c>dotnet run -c Release --project benchmarks -- cable-compare [threads]</c>.
/// </summary>
internal static class CableCompare
{
    public const double Dt = 0.025, TStop = 1000;

    /// <summary>Cell-steps run before the timed interval: 1 s of one cell (at least 100 ms of simulated time).</summary>
    public const int WarmUpSteps = 40000;

    public static CableCell Cell()
    {
        var m = new Morphology();
        m.AddCylinder("soma", 20, 20, kind: SectionKind.Soma, ra: 100, nseg: 1);
        m.AddCylinder("apic", 600, 3, "soma", 1, SectionKind.Apical, ra: 100, nseg: 101);
        for (int k = 0; k < 4; k++) m.AddCylinder($"dend{k}", 200, 1.5, "soma", 0, SectionKind.Basal, ra: 100, nseg: 25);
        var cell = new CableCell(m);
        // BIOSIM_CABLE_PASSIVE=1 swaps hh for pas (to see what the channels cost).
        if (Environment.GetEnvironmentVariable("BIOSIM_CABLE_PASSIVE") == "1") cell.Insert(new PassiveLeak(), "soma", "apic");
        else cell.Insert(new HhMechanism(), "soma", "apic");
        cell.Insert(new PassiveLeak { g = 1e-4, e = -65 }, "dend0", "dend1", "dend2", "dend3");
        cell.Place("stim", new CurrentClamp { del = 0, dur = 1e9, amp = 0.3 }, "soma", 0.5);
        cell.Place("syn", new ExpSynapse { tau = 2, e = 0 }, "apic", 0.5);
        return cell;
    }

    public static void Run(int threads)
    {
        Console.WriteLine($"# {Environment.ProcessorCount} logical CPUs, .NET {Environment.Version}, Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}, threads {threads}");
        foreach (int cells in Environment.GetEnvironmentVariable("BIOSIM_CABLE_CELLS") is string only ? [int.Parse(only, CultureInfo.InvariantCulture)] : new[] { 1, 100 })
        {
            var build = Stopwatch.StartNew();
            var population = new CablePopulation("cells", cells, Cell(), CableMethod.BackwardEuler);
            var transmitters = new List<ITransmitter>();
            if (cells > 1)
            {
                var sources = new int[cells][];
                for (int i = 0; i < cells; i++) sources[i] = Enumerable.Range(1, 10).Select(d => (i + d) % cells).ToArray();
                var pattern = ConnectivityPattern.FromColumns(sources, cells);
                transmitters.Add(new Projection("recurrent", "cells", population, "syn", pattern, Enumerable.Repeat(0.0005, pattern.SynapseCount).ToArray(), 1.0));
            }
            var sim = new Simulator([population], transmitters, Dt, threads);
            build.Stop();
            long steps = (long)Math.Round(TStop / Dt);
            // Warm-up before the timed second, so that the JIT's tiered recompilation of the hot methods (on background
            // threads, which process CPU time counts) is over: measured on one cell, 100 ms of warm-up left it at 44-50 ns
            // per segment-step, 1 s at 28-32 ns, the same as with tiering off (DOTNET_TieredCompilation=0: 30-33 ns).
            sim.Run(Math.Max(WarmUpSteps / cells, 4000));
            long spikes = 0;
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var run = Stopwatch.StartNew();
            for (long n = 0; n < steps; n++)
            {
                sim.Step();
                spikes += sim.LastSpikes[0].Count;
            }
            run.Stop();
            double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
            int segments = population.Layout.NodeArea.Count(a => a > 0);
            double ns = run.Elapsed.TotalSeconds * 1e9 / (steps * (double)segments * cells);
            double nsCpu = cpu * 1e9 / (steps * (double)segments * cells);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"simulator\": \"BioSim\", \"cells\": {cells}, \"segments_per_cell\": {segments}, \"nodes_per_cell\": {population.NodesPerCell}, \"threads\": {threads}, \"steps\": {steps}, \"build_s\": {build.Elapsed.TotalSeconds:F3}, \"run_s\": {run.Elapsed.TotalSeconds:F3}, \"ns_per_segment_step\": {ns:F2}, \"cpu_s\": {cpu:F3}, \"cpu_ns_per_segment_step\": {nsCpu:F2}, \"spikes\": {spikes}}}"));
        }
    }
}
