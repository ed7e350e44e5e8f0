using System.Diagnostics;
using System.Globalization;
using BioSim.Circuits.Connectivity;
using BioSim.Circuits.Neurons.HodgkinHuxley;
using BioSim.Circuits.Projections;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Events;
using BioSim.Engine.Ode;
using BioSim.Engine.Simulation;

namespace BioSim.Benchmarks.CellStepping;

/// <summary>
/// Question: for the same spike-time accuracy, how long do hh neurons take with each cell's own adaptive steps
/// (<c>"integration": {"method": "adaptive"}</c>, Dormand-Prince 5(4) between input events, dt = 0.1 ms as the communication
/// interval) against the model's fixed-step scheme (exponential Euler) at the dt that accuracy needs? The network of
/// tests/Engine/CellStepping: 30 Poisson trains (20 Hz, seed 12) with a 1.0137 ms delay onto 100 hh neurons (each
/// source onto two thirds of them, exp-current 40 pA, τ 2 ms; I_e 150 pA), exact spike timing, 200 ms. The reference
/// is the adaptive run at rtol = atol = 1e-11 (1.6e-9 ms from fixed-step RK4 at 0.001 ms in the tests). Each case is
/// one untimed warm-up run and one timed run (wall and process CPU time); one line per case, then the cheapest run of
/// each kind that reaches 0.01 ms and 0.001 ms.
/// Run: <c>dotnet run -c Release --project benchmarks -- cellstep-compare</c>.
/// </summary>
internal static class HhStepCompare
{
    private const int Size = 100;
    private const double Duration = 200, Delay = 1.0137;

    public static void Run()
    {
        Console.WriteLine($"# {Environment.ProcessorCount} logical CPUs, .NET {Environment.Version}, {Size} hh neurons, {Duration} ms, exact timing, 1 thread");
        var trains = Poisson(30, 20, Duration, 12);
        var (reference, _, _, _) = Measure(trains, 0.1, new AdaptiveOptions { RelativeTolerance = 1e-11, AbsoluteTolerance = 1e-11 }, timed: false);
        var rows = new List<(string Kind, string Setting, double Error, double Wall, double Cpu, long Steps)>();
        foreach (double tol in new[] { 1e-3, 1e-4, 1e-5, 1e-6, 1e-7 })
        {
            var (spikes, wall, cpu, steps) = Measure(trains, 0.1, new AdaptiveOptions { RelativeTolerance = tol, AbsoluteTolerance = tol }, timed: true);
            rows.Add(("adaptive", $"rtol=atol={tol:E0}", Worst(spikes, reference), wall, cpu, steps));
            Print(rows[^1]);
        }
        for (double dt = 0.01; dt >= 0.01 / 512; dt /= 2)
        {
            var (spikes, wall, cpu, _) = Measure(trains, dt, null, timed: true);
            rows.Add(("fixed", $"dt={dt:G4}", Worst(spikes, reference), wall, cpu, (long)Math.Round(Duration / dt) * Size));
            Print(rows[^1]);
            if (rows[^1].Error <= 1e-3) break;
        }
        foreach (double target in new[] { 1e-2, 1e-3 })
        {
            var adaptive = rows.Where(r => r.Kind == "adaptive" && r.Error <= target).OrderBy(r => r.Cpu).FirstOrDefault();
            var fixedStep = rows.Where(r => r.Kind == "fixed" && r.Error <= target).OrderBy(r => r.Cpu).FirstOrDefault();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"target {target:E0} ms: adaptive {adaptive.Setting} {adaptive.Cpu:F3} s CPU; fixed {(fixedStep.Kind is null ? "not reached" : $"{fixedStep.Setting} {fixedStep.Cpu:F3} s CPU")}; " +
                $"fixed/adaptive {(fixedStep.Kind is null || adaptive.Kind is null ? double.NaN : fixedStep.Cpu / adaptive.Cpu):F1}"));
        }
    }

    private static void Print((string Kind, string Setting, double Error, double Wall, double Cpu, long Steps) r) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"kind\": \"{r.Kind}\", \"setting\": \"{r.Setting}\", \"worst_dt_ms\": {r.Error:E3}, \"wall_s\": {r.Wall:F3}, \"cpu_s\": {r.Cpu:F3}, \"cell_steps\": {r.Steps}}}"));

    private static (List<double>[] Spikes, double Wall, double Cpu, long Steps) Measure(double[][] trains, double dt, AdaptiveOptions? adaptive, bool timed)
    {
        if (timed) Measure(trains, dt, adaptive, timed: false);
        var target = new HhPopulation("post", Size, new HhParameters { I_e = 150 }, [new ReceptorSpec("exc", ReceptorSpec.ExpCurrent, 2.0)]);
        if (adaptive is not null) target.UseLocalSteps(adaptive);
        var rowStart = new int[trains.Length + 1];
        var targets = new List<int>();
        for (int j = 0; j < trains.Length; j++)
        {
            for (int k = 0; k < Size; k++) if ((j + k) % 3 != 0) targets.Add(k);
            rowStart[j + 1] = targets.Count;
        }
        var projection = new Projection("in", "in", target, "exc", new ConnectivityPattern(rowStart, targets.ToArray(), Size), 40.0, Delay);
        using var simulation = new Simulator([new Trains("in", trains), target], [projection], dt, timing: SpikeTiming.Exact);
        var spikes = Enumerable.Range(0, Size).Select(_ => new List<double>()).ToArray();
        simulation.AddObserver(new Collector(spikes));
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        simulation.Run((long)Math.Round(Duration / dt));
        double wallS = wall.Elapsed.TotalSeconds, cpuS = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        return (spikes, wallS, cpuS, target.LocalStepsTaken);
    }

    private static double Worst(List<double>[] a, List<double>[] b)
    {
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i].Count != b[i].Count) return double.PositiveInfinity;
            for (int k = 0; k < a[i].Count; k++) worst = Math.Max(worst, Math.Abs(a[i][k] - b[i][k]));
        }
        return worst;
    }

    private static double[][] Poisson(int count, double rateHz, double durationMs, int seed)
    {
        var random = new Random(seed);
        var trains = new double[count][];
        for (int i = 0; i < count; i++)
        {
            var times = new List<double>();
            for (double t = -Math.Log(1 - random.NextDouble()) * 1000.0 / rateHz; t < durationMs; t += -Math.Log(1 - random.NextDouble()) * 1000.0 / rateHz) times.Add(t);
            trains[i] = times.ToArray();
        }
        return trains;
    }

    private sealed class Collector(List<double>[] spikes) : IStepObserver
    {
        public void AfterStep(double t, IReadOnlyList<SpikeList> lists)
        {
            var list = lists[1];
            for (int k = 0; k < list.Count; k++) spikes[list.Ids[k]].Add(list.Times[k]);
        }
    }

    /// <summary>Element i spikes at each time of trains[i], in the step that holds it, with that exact time.</summary>
    private sealed class Trains(string name, double[][] trains) : IDynamics
    {
        private readonly int[] _cursor = new int[trains.Length];

        public string Name { get; } = name;

        public int Size => trains.Length;

        public IReadOnlyList<string> VariableNames { get; } = [];

        public IReadOnlyList<string> InputNames { get; } = [];

        public string UnitOf(string variable) => throw new KeyNotFoundException(variable);

        public double[] Variable(string name) => throw new KeyNotFoundException(name);

        public DelayRing Input(string name) => throw new KeyNotFoundException(name);

        public void Prepare(double dt, int maxDelaySteps)
        {
        }

        public void Advance(double t, double dt, int start, int end, SpikeList spikes)
        {
            for (int i = start; i < end; i++)
            {
                while (_cursor[i] < trains[i].Length && trains[i][_cursor[i]] <= t + dt) spikes.Add(i, trains[i][_cursor[i]++]);
            }
        }

        public void EndStep()
        {
        }

        public void SaveState(StateSnapshot snapshot, string prefix)
        {
        }

        public void LoadState(StateSnapshot snapshot, string prefix)
        {
        }
    }
}
