using System.Diagnostics;
using System.Globalization;
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
/// [0, 1), targets from a random teacher; the cost does not depend on the data). Each case runs an untimed warm-up
/// sample, then timed samples; wall and process CPU time, and bytes allocated per step on the stepping thread (0 expected).
/// Run: <c>dotnet run -c Release --project benchmarks -- microcircuit-speed</c>.
/// </summary>
internal static class MicrocircuitSpeed
{
    public static void Run()
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {Environment.ProcessorCount} logical CPUs, .NET {Environment.Version}, Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, 1 thread, dt 0.1 ms, 1000 steps per sample; matrix-vector products by TensorPrimitives"));
        foreach (int[] layers in new[] { new[] { 30, 20, 10 }, new[] { 784, 100, 10 }, new[] { 784, 500, 10 } })
        {
            int samples = layers[0] > 100 ? (layers[1] > 100 ? 2 : 5) : 50;
            foreach (bool plastic in new[] { false, true }) Measure(layers, plastic, samples);
        }
    }

    private static void Measure(int[] layers, bool plastic, int samples)
    {
        var p = new MicrocircuitParameters { layers = layers, self_predicting = true, patterns = samples + 1, teacher_scale = 1 };
        var circuit = CorticalMicrocircuit.Create("mc", Cells(layers), p, [], 3);
        if (plastic)
        {
            circuit.Attach(new DendriticErrorRule().Create(new DendriticErrorParameters
            {
                eta_PP = [0.001], eta_IP = [0.001], eta_PI = [0.001], eta_down = [0.001],
            }));
        }
        using var simulation = new Simulator([circuit], [], 0.1);
        simulation.Run(1000);
        long bytes = GC.GetAllocatedBytesForCurrentThread();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        long steps = samples * 1000L;
        simulation.Run(steps);
        wall.Stop();
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        double allocated = (GC.GetAllocatedBytesForCurrentThread() - bytes) / (double)steps;
        int compartments = Compartments(layers);
        double nsPerCompartmentStep = wall.Elapsed.TotalSeconds / steps / compartments * 1e9;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"layers\": \"{string.Join('-', layers)}\", \"plasticity\": {(plastic ? "true" : "false")}, \"compartments\": {compartments}, \"steps\": {steps}, " +
            $"\"wall_s\": {wall.Elapsed.TotalSeconds:F3}, \"cpu_s\": {cpuSeconds:F3}, \"us_per_step\": {wall.Elapsed.TotalSeconds / steps * 1e6:F2}, " +
            $"\"ms_per_sample\": {wall.Elapsed.TotalSeconds / samples * 1e3:F1}, \"ns_per_compartment_step\": {nsPerCompartmentStep:F1}, \"bytes_per_step\": {allocated:F1}}}"));
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
