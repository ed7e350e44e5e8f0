using System.Globalization;
using System.Runtime.InteropServices;
using BioSim.Circuits.Microcircuit;
using BioSim.Engine.Events;
using BioSim.Plasticity.Dendritic;

namespace BioSim.Benchmarks.Microcircuit;

/// <summary>
/// Question: where does a step of the 784-500-10 microcircuit with every matrix plastic spend its time? Times (thread CPU
/// time, ns per step, fastest of 5 repetitions) the circuit's own step (<see cref="CorticalMicrocircuit.Advance"/>: somata,
/// φ, the dendrites it keeps), the rule's step (<see cref="CorticalMicrocircuit.EndStep"/>), and the kernels alone at the
/// circuit's sizes: φ of 500 values, a 500 × 10 and a 10 × 500 mat-vec, and <see cref="MicrocircuitKernels.PendingUpdate"/>
/// on both shapes. Run: <c>dotnet run -c Release --project benchmarks -- microcircuit-profile</c>.
/// </summary>
internal static class MicrocircuitProfile
{
    /// <param name="stepsOnly">Only the circuit's and the rule's step, repeated longer (for a sampling profiler).</param>
    public static void Run(bool stepsOnly = false)
    {
        int[] layers = [784, 500, 10];
        var p = new MicrocircuitParameters { layers = layers, self_predicting = true };
        var circuit = CorticalMicrocircuit.Create("mc", 520, p, [], 3);
        circuit.UseSamples(new MicrocircuitTask { type = "teacher-student", patterns = 40, teacher_scale = 1 }.Samples(circuit, 3));
        circuit.Attach(new DendriticErrorRule().Create(new DendriticErrorParameters
        {
            eta_PP = [0.03 / 784, 0.03 / 500],
            eta_IP = [0.03 / 500],
            eta_PI = [0.03 / 10],
            eta_down = [0.03 / 10],
        }));
        circuit.Prepare(0.1, 1);
        var spikes = new SpikeList();
        long step = 0;
        double circuitNs = double.MaxValue, ruleNs = double.MaxValue;
        for (int rep = 0; rep < (stepsOnly ? 60 : 8); rep++)
        {
            double inCircuit = 0, inRule = 0;
            const int n = 2000;
            for (int k = 0; k < n; k++, step++)
            {
                double t0 = Cpu();
                circuit.Advance(step * 0.1, 0.1, 0, circuit.Size, spikes);
                double t1 = Cpu();
                circuit.EndStep();
                inRule += Cpu() - t1;
                inCircuit += t1 - t0;
            }
            if (rep >= 3)
            {
                circuitNs = Math.Min(circuitNs, inCircuit / n * 1e9);
                ruleNs = Math.Min(ruleNs, inRule / n * 1e9);
            }
        }
        Print("circuit Advance (per step, includes ~2 clock reads)", circuitNs);
        Print("rule EndStep (per step)", ruleNs);
        if (stepsOnly) return;

        var rng = new Random(1);
        double[] Rand(int len) => [.. Enumerable.Range(0, len).Select(_ => rng.NextDouble() - 0.5)];
        var u = Rand(500);
        var r = new double[500];
        Print("phi soft-relu, 500 values", Time(() => circuit.Transfer.Apply(u, r)));
        var tall = Rand(5000);
        var wide = Rand(5000);
        var x10 = Rand(10);
        var x500 = Rand(500);
        var y500 = new double[500];
        var y10 = new double[10];
        Print("MatVec 500 x 10", Time(() => MicrocircuitKernels.MatVec(tall, x10, y500)));
        Print("MatVec 10 x 500", Time(() => MicrocircuitKernels.MatVec(wide, x500, y10)));
        var ft = Rand(5000);
        var fw = Rand(5000);
        var b500 = Rand(500);
        var b10 = Rand(10);
        var z500 = new double[500];
        var z10 = new double[10];
        Print("PendingUpdate 500 x 10", Time(() => MicrocircuitKernels.PendingUpdate(tall, ft, true, x10, b500, 0.99, 1e-9, x10, y500, z500)));
        Print("PendingUpdateTransposed 500 x 10", Time(() => MicrocircuitKernels.PendingUpdateTransposed(tall, ft, true, x10, b500, 0.99, 1e-9, x10, y500, z500)));
        Print("PendingUpdateTransposed 500 x 10, nothing pending (products only)", Time(() => MicrocircuitKernels.PendingUpdateTransposed(tall, ft, false, x10, b500, 0.99, 1e-9, x10, y500, z500)));
        Print("PendingUpdate 10 x 500, nothing pending (products only)", Time(() => MicrocircuitKernels.PendingUpdate(wide, fw, false, x500, b10, 0.99, 1e-9, x500, y10, z10)));
        Print("PendingUpdate 10 x 500", Time(() => MicrocircuitKernels.PendingUpdate(wide, fw, true, x500, b10, 0.99, 1e-9, x500, y10, z10)));
    }

    private static double Time(Action action)
    {
        const int n = 20000;
        double best = double.MaxValue;
        for (int rep = 0; rep < 6; rep++)
        {
            double t0 = Cpu();
            for (int k = 0; k < n; k++) action();
            best = Math.Min(best, (Cpu() - t0) / n * 1e9);
        }
        return best;
    }

    private static void Print(string what, double ns) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: {ns:F0} ns"));

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private static double Cpu() => ClockGetTime(3, out var t) == 0 ? t.Seconds + t.Nanoseconds * 1e-9 : 0;
}
