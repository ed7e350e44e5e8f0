using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BioSim.Circuits.Microcircuit;
using BioSim.Engine.Simulation;
using BioSim.Plasticity.Dendritic;

namespace BioSim.Benchmarks.Microcircuit;

/// <summary>
/// Question: what does one step of the dendritic cortical microcircuit's full dynamics cost, per compartment, on one
/// thread, with and without the dendritic error rule running every step, and what is the time per simulated sample
/// (100 ms = 1000 steps of 0.1 ms)? Issue 15's target is ≤ 10 ns per compartment-step. Compartments: soma, basal and
/// apical of each hidden pyramidal cell, soma and basal of each output cell, soma and dendrite of each interneuron.
/// Sizes: the 30-20-10 regression circuit, a 784-100-10 and the 784-500-10 Fashion-MNIST circuit (random inputs in
/// [0, 1), targets from a random teacher; the cost does not depend on the data). Rules: off; every matrix plastic
/// ("all": W^PP, W^IP, W^PI and the top-down W^PP_{l,l+1}); and the top-down weights fixed ("no-down", feedback-alignment
/// style). η = 0.03 / (presynaptic cells) per matrix: with 0.001 everywhere the 784-input circuits run away after ~8
/// samples (|r₀|² ≈ 260 makes the input weights' effective rate 0.26/ms); the cost does not depend on η.
/// Each case runs untimed warm-up samples (a quarter of the timed ones, so that the JIT's optimised code is in place),
/// then timed samples. Printed: wall time, the stepping thread's CPU time
/// (clock_gettime(CLOCK_THREAD_CPUTIME_ID) on Linux; on a machine shared with other jobs wall time includes waiting for
/// a core, so the thread's CPU time is the figure to compare), the fastest sample's thread CPU time, and bytes allocated
/// per step on the stepping thread (0 expected).
/// Run: <c>dotnet run -c Release --project benchmarks -- microcircuit-speed [784-500-10]</c> (one size only with the argument).
/// </summary>
internal static class MicrocircuitSpeed
{
    /// <param name="only">Only this size ("784-500-10"), or null for all three.</param>
    public static void Run(string? only = null)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {Environment.ProcessorCount} logical CPUs, .NET {Environment.Version}, Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, 1 thread, dt 0.1 ms, 1000 steps per sample; products by MicrocircuitKernels (TensorPrimitives.Dot for rows ≥ 16)"));
        foreach (int[] layers in new[] { new[] { 30, 20, 10 }, new[] { 784, 100, 10 }, new[] { 784, 500, 10 } })
        {
            if (only is not null && only != string.Join('-', layers)) continue;
            int samples = layers[0] > 100 ? 20 : 200;
            foreach (string rule in new[] { "off", "all", "no-down" }) Measure(layers, rule, samples);
        }
    }

    private static void Measure(int[] layers, string rule, int samples)
    {
        int warmUp = Math.Max(1, samples / 4);   // the JIT's tier-1 code must be in place before the timed samples
        var p = new MicrocircuitParameters { layers = layers, self_predicting = true };
        var circuit = CorticalMicrocircuit.Create("mc", Cells(layers), p, [], 3);
        circuit.UseSamples(new MicrocircuitTask { type = "teacher-student", patterns = samples + warmUp, teacher_scale = 1 }.Samples(circuit, 3));
        if (rule != "off")
        {
            int hidden = Math.Max(1, layers.Length - 2);
            circuit.Attach(new DendriticErrorRule().Create(new DendriticErrorParameters
            {
                eta_PP = [.. Enumerable.Range(1, layers.Length - 1).Select(l => 0.03 / layers[l - 1])],
                eta_IP = [.. Enumerable.Range(1, hidden).Select(l => 0.03 / layers[l])],
                eta_PI = [.. Enumerable.Range(1, hidden).Select(l => 0.03 / layers[l + 1])],
                eta_down = [.. Enumerable.Range(1, hidden).Select(l => rule == "all" ? 0.03 / layers[l + 1] : 0)],
            }));
        }
        using var simulation = new Simulator([circuit], [], 0.1);
        simulation.Run(warmUp * 1000L);
        long bytes = GC.GetAllocatedBytesForCurrentThread();
        var wall = Stopwatch.StartNew();
        double cpuStart = ThreadCpuSeconds(), best = double.MaxValue;
        long steps = samples * 1000L;
        for (int k = 0; k < samples; k++)
        {
            double start = ThreadCpuSeconds();
            simulation.Run(1000);
            best = Math.Min(best, ThreadCpuSeconds() - start);
        }
        double cpu = ThreadCpuSeconds() - cpuStart;
        wall.Stop();
        double allocated = (GC.GetAllocatedBytesForCurrentThread() - bytes) / (double)steps;
        int compartments = Compartments(layers);
        double PerCompartmentStep(double seconds, long n) => seconds / n / compartments * 1e9;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"layers\": \"{string.Join('-', layers)}\", \"rule\": \"{rule}\", \"compartments\": {compartments}, \"steps\": {steps}, " +
            $"\"wall_s\": {wall.Elapsed.TotalSeconds:F3}, \"thread_cpu_s\": {cpu:F3}, \"cpu_ms_per_sample\": {cpu / samples * 1e3:F2}, \"best_cpu_ms_per_sample\": {best * 1e3:F2}, " +
            $"\"wall_ns_per_compartment_step\": {PerCompartmentStep(wall.Elapsed.TotalSeconds, steps):F1}, \"cpu_ns_per_compartment_step\": {PerCompartmentStep(cpu, steps):F1}, " +
            $"\"best_cpu_ns_per_compartment_step\": {PerCompartmentStep(best, 1000):F1}, \"bytes_per_step\": {allocated:F1}}}"));
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>CPU time of the calling thread (Linux CLOCK_THREAD_CPUTIME_ID); the process's elsewhere.</summary>
    private static double ThreadCpuSeconds()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(3, out var t) == 0) return t.Seconds + t.Nanoseconds * 1e-9;
        return Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
    }

    private static int Cells(int[] n)
    {
        int cells = 0;
        for (int l = 1; l < n.Length; l++) cells += n[l] + (l < n.Length - 1 ? n[l + 1] : 0);
        return cells;
    }

    private static int Compartments(int[] n)
    {
        int c = 0;
        for (int l = 1; l < n.Length; l++) c += l < n.Length - 1 ? 3 * n[l] + 2 * n[l + 1] : 2 * n[l];
        return c;
    }
}
