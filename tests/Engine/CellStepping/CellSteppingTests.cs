using BioSim.Circuits.Connectivity;
using BioSim.Circuits.Neurons.AdEx;
using BioSim.Circuits.Neurons.HodgkinHuxley;
using BioSim.Circuits.Neurons.LifCond;
using BioSim.Circuits.Projections;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Ode;
using BioSim.Engine.Simulation;
using BioSim.IO.Hdf5;
using BioSim.IO.Runs;
using BioSim.Tests.Cli;
using BioSim.Tests.Engine.ExactTiming;
using NUnit.Framework;

namespace BioSim.Tests.Engine.CellStepping;

/// <summary>
/// Exact spike timing for the nonlinear point neurons (issue 12 item 1: lif-cond, adex, hh split the step at each
/// arrival) and cells stepped between events (item 2: each adex/hh/lif-cond cell takes its own Dormand-Prince 5(4) steps
/// between its input events and the step boundaries, spikes located on the dense output). The network: 30 Poisson
/// trains (20 Hz, fixed seed) with a continuous delay of 1.0137 ms onto 3 neurons, each source onto two of them
/// (exp-current synapses, τ = 2 ms), plus a constant I_e; every arrival is off the grid.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class CellSteppingTests : TempDirectoryFixture
{
    private const double Delay = 1.0137;
    private static readonly double[][] Trains = TimedSource.Poisson(30, 20, 400, seed: 12);
    private static readonly ReceptorSpec[] Receptors = [new("exc", ReceptorSpec.ExpCurrent, 2.0)];

    // Above rheobase (≈ 126 pA for this 1257 µm² membrane), so that the input shifts spikes rather than deciding marginal ones.
    private static readonly HhParameters Hh = new() { I_e = 150 };

    /// <summary>The three models as the tests drive them: weight (pA) per spike and a constant current that makes them fire
    /// at about 10-40 Hz.</summary>
    internal static (IDynamics Population, double Weight) Make(string model, int size) => model switch
    {
        "adex" => (new AdExPopulation("post", size, new AdExParameters { I_e = 600, t_ref = 1 }, Receptors), 150.0),
        "hh" => (new HhPopulation("post", size, Hh, Receptors), 40.0),
        "lif-cond" => (new LifCondPopulation("post", size, new LifCondParameters { I_e = 90, t_ref = 2 }, Receptors), 60.0),
        _ => throw new ArgumentException(model),
    };

    /// <summary>The network with the target population "post" (<paramref name="size"/> neurons of <paramref name="model"/>).</summary>
    internal static Simulator Build(string model, SpikeTiming timing, double dt, AdaptiveOptions? adaptive, int size = 3, int threads = 1)
    {
        var (target, weight) = Make(model, size);
        if (adaptive is not null) ((ILocalStepping)target).UseLocalSteps(adaptive);
        var source = new TimedSource("in", Trains);
        var rowStart = new int[Trains.Length + 1];
        var targets = new List<int>();
        for (int j = 0; j < Trains.Length; j++)
        {
            for (int k = 0; k < size; k++) if ((j + k) % 3 != 0) targets.Add(k);
            rowStart[j + 1] = targets.Count;
        }
        var projection = new Projection("in", "in", target, "exc", new ConnectivityPattern(rowStart, targets.ToArray(), size), weight, Delay);
        return new Simulator([source, target], [projection], dt, threads, minElementsForThreads: 0, timing: timing);
    }

    /// <summary>Spike times of each target neuron over <paramref name="duration"/> ms, the adaptive steps taken and the final V.</summary>
    internal static (List<double>[] Spikes, long Steps, double[] V) Run(string model, SpikeTiming timing, double dt, AdaptiveOptions? adaptive,
        double duration, int size = 3, int threads = 1, string? checkpoint = null)
    {
        var spikes = Enumerable.Range(0, size).Select(_ => new List<double>()).ToArray();
        var simulation = Build(model, timing, dt, adaptive, size, threads);
        simulation.AddObserver(new Collector(spikes));
        long steps = (long)Math.Round(duration / dt);
        simulation.Run(steps / 2);
        if (checkpoint is not null)
        {
            // Through the HDF5 checkpoint a run writes (io/Runs), into a freshly built network.
            using (var file = Hdf5File.Create(checkpoint))
            {
                new RunCheckpoints(file).Write(simulation.Snapshot(), simulation.Time,
                    new RunCheckpoints.Position(new Dictionary<string, long>(), new Dictionary<string, long>(), [0]));
            }
            simulation.Dispose();
            simulation = Build(model, timing, dt, adaptive, size, threads);
            using (var file = Hdf5File.OpenReadOnly(checkpoint)) simulation.Restore(RunCheckpoints.ReadLatest(file)!.Value.State);
            simulation.AddObserver(new Collector(spikes));
        }
        simulation.Run(steps - steps / 2);
        var post = simulation.Population("post");
        long taken = ((ILocalStepping)post).LocalStepsTaken;
        var v = (double[])post.Variable("V").Clone();
        simulation.Dispose();
        return (spikes, taken, v);
    }

    /// <summary>Largest |Δt| between matching spikes (∞ when the counts differ).</summary>
    internal static double Worst(List<double>[] a, List<double>[] b)
    {
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i].Count != b[i].Count) return double.PositiveInfinity;
            for (int k = 0; k < a[i].Count; k++) worst = Math.Max(worst, Math.Abs(a[i][k] - b[i][k]));
        }
        return worst;
    }

    private static int Count(List<double>[] spikes) => spikes.Sum(s => s.Count);

    private sealed class Collector(List<double>[] spikes) : IStepObserver
    {
        public void AfterStep(double t, IReadOnlyList<BioSim.Engine.Events.SpikeList> lists)
        {
            var list = lists[1];
            for (int k = 0; k < list.Count; k++) spikes[list.Ids[k]].Add(list.Times[k]);
        }
    }

    /// <summary>
    /// Cells stepped between events (exact timing, dt 0.1 ms as the communication interval) converge to a fixed-step
    /// reference at dt = 0.001 ms as rtol = atol shrink from 1e-3 to 1e-11, 200 ms, 3 neurons.
    /// <para>adex: the reference is the model's own scheme in exact mode at dt = 0.001 ms (RK4 sub-steps). Measured worst
    /// |Δt|: 3.5e-4 ms at 1e-3, then a plateau of 7.7e-5 ms from 1e-5 on. The plateau is the reference's error, not the
    /// adaptive steps': the fixed scheme at dt 0.0005 and 0.001 agree to 6.7e-7 ms but both sit 7.7e-5 ms from the
    /// adaptive solution at 1e-11, which the adaptive runs approach steadily (3.5e-4, 6.2e-6, 7.7e-7, 2.3e-8 ms at 1e-3 …
    /// 1e-9): its sub-steps may move V by Δ_T in the upswing whatever dt is, so its own spike-time error does not shrink
    /// with dt. Bounds: ≤ 0.01 ms at every tolerance from 1e-5 (the issue's bound) and ≤ 2e-4 ms (2.6 × the plateau); the
    /// self-convergence sequence strictly decreasing.</para>
    /// <para>hh: the model's own fixed scheme (exponential Euler, first order) at dt = 0.001 ms is no reference: it is
    /// 0.1 ms off and, with this input, even one spike off over 200 ms. The reference is fixed-step RK4 at 0.001 ms
    /// written in the test (<see cref="HhRk4Reference"/>, 1.8e-9 ms from RK4 at 0.002 ms). Measured: 7.0e-5, 8.3e-5,
    /// 1.0e-6, 2.6e-8, 1.6e-9 ms at 1e-3 … 1e-11. Bounds: strictly decreasing from 1e-5 on, ≤ 1e-7 ms at 1e-9 and ≤ 1e-8
    /// ms at 1e-11 (about 4 and 6 times the measured).</para>
    /// The steps taken are reported and grow as the tolerance shrinks (adex 10.5 → 14.4, hh 11 → 105 per cell per ms).
    /// </summary>
    [TestCase("adex")]
    [TestCase("hh")]
    public void AdaptiveStepsConvergeToTheFineFixedStep(string model)
    {
        const double duration = 200;
        double[] tolerances = [1e-3, 1e-5, 1e-7, 1e-9, 1e-11];
        var runs = tolerances.Select(tol => Run(model, SpikeTiming.Exact, 0.1, new AdaptiveOptions { RelativeTolerance = tol, AbsoluteTolerance = tol }, duration)).ToArray();
        var reference = model == "hh" ? HhRk4Reference.Run(Hh, Trains, Delay, 40.0, 2.0, 3, duration) : Run(model, SpikeTiming.Exact, 0.001, null, duration).Spikes;
        var tightest = runs[^1].Spikes;
        var errors = runs.Select(r => Worst(r.Spikes, reference)).ToArray();
        var self = runs.Select(r => Worst(r.Spikes, tightest)).ToArray();
        for (int k = 0; k < tolerances.Length; k++)
        {
            TestContext.Out.WriteLine($"{model} rtol = atol = {tolerances[k]:E0}: {Count(runs[k].Spikes)} spikes (reference {Count(reference)}), {runs[k].Steps} steps " +
                $"({runs[k].Steps / 3.0 / duration:F1} per cell per ms); worst |Δt| against the reference {errors[k]:E3} ms, against rtol 1e-11 {self[k]:E3} ms");
        }
        Assert.That(Count(reference), Is.GreaterThanOrEqualTo(9), "the neurons fire");
        for (int k = 1; k < tolerances.Length; k++) Assert.That(runs[k].Steps, Is.GreaterThan(runs[k - 1].Steps), $"more steps at rtol {tolerances[k]:E0}");
        if (model == "adex")
        {
            var ownHalf = Run(model, SpikeTiming.Exact, 0.0005, null, duration).Spikes;
            TestContext.Out.WriteLine($"adex fixed scheme: dt 0.0005 vs 0.001 {Worst(ownHalf, reference):E3} ms; dt 0.0005 vs rtol 1e-11 {Worst(ownHalf, tightest):E3} ms");
            for (int k = 1; k < tolerances.Length; k++) Assert.That(errors[k], Is.LessThanOrEqualTo(Math.Min(0.01, 2e-4)), $"rtol {tolerances[k]:E0} against the fixed step");
            Assert.That(errors[1], Is.LessThan(errors[0]), "tighter than 1e-3 is closer to the reference");
            for (int k = 1; k < tolerances.Length - 1; k++) Assert.That(self[k], Is.LessThan(self[k - 1]), $"self-convergence at rtol {tolerances[k]:E0}");
        }
        else
        {
            for (int k = 2; k < tolerances.Length; k++) Assert.That(errors[k], Is.LessThan(errors[k - 1]), $"rtol {tolerances[k]:E0} closer to RK4");
            Assert.That(errors[3], Is.LessThanOrEqualTo(1e-7));
            Assert.That(errors[4], Is.LessThanOrEqualTo(1e-8));
        }
    }

    /// <summary>
    /// Exact timing: the step is cut at every (off-grid) arrival, so the spike times no longer depend on dt beyond the
    /// accuracy of the scheme that integrates each piece. 400 ms, 3 neurons. Measured (largest |Δt| over all spikes,
    /// dt 0.1 vs 0.025 ms and 0.05 vs 0.025 ms): lif-cond with its closed form 3.1e-3 and 6.2e-4 ms (the averaged-
    /// conductance propagator is second order); adex with its RK4 sub-steps 2.5e-2 and 2.2e-4 ms; with local adaptive
    /// steps (rtol = atol = 1e-8) lif-cond 4.6e-10 and 1.7e-10, adex 1.0e-7 and 3.2e-8, hh 8.8e-7 and 5.0e-7 ms. Bounds:
    /// about 3 to 30 times the measured values (hh's fixed scheme: see <see cref="ExactTimingHhFixedStepConvergesAtFirstOrder"/>). Grid mode, for comparison: 0.05-0.09 ms at dt 0.1 vs 0.025 (delays rounded
    /// to the step, input taken at step starts), and hh's spike counts differ.
    /// </summary>
    [TestCase("lif-cond", false, 1e-2, 2e-3)]
    [TestCase("adex", false, 0.1, 1e-3)]
    [TestCase("lif-cond", true, 5e-9, 5e-9)]
    [TestCase("adex", true, 1e-6, 3e-7)]
    [TestCase("hh", true, 1e-5, 3e-6)]
    public void ExactTimingAgreesAcrossStepSizes(string model, bool adaptive, double coarseBound, double midBound)
    {
        const double duration = 400;
        var options = adaptive ? new AdaptiveOptions { RelativeTolerance = 1e-8, AbsoluteTolerance = 1e-8 } : null;
        var fine = Run(model, SpikeTiming.Exact, 0.025, options, duration).Spikes;
        var mid = Run(model, SpikeTiming.Exact, 0.05, options, duration).Spikes;
        var coarse = Run(model, SpikeTiming.Exact, 0.1, options, duration).Spikes;
        var gridFine = Run(model, SpikeTiming.Grid, 0.025, options, duration).Spikes;
        var gridCoarse = Run(model, SpikeTiming.Grid, 0.1, options, duration).Spikes;
        TestContext.Out.WriteLine($"{model} {(adaptive ? "adaptive" : "fixed")}: {Count(fine)} spikes; exact 0.1 vs 0.025 {Worst(coarse, fine):E3} ms, 0.05 vs 0.025 {Worst(mid, fine):E3} ms; grid 0.1 vs 0.025 {Worst(gridCoarse, gridFine):E3} ms");
        Assert.That(Count(fine), Is.GreaterThanOrEqualTo(15), "the neurons fire");
        Assert.That(Worst(coarse, fine), Is.LessThanOrEqualTo(coarseBound), "dt 0.1 vs 0.025: same spike counts and times");
        Assert.That(Worst(mid, fine), Is.LessThanOrEqualTo(midBound), "dt 0.05 vs 0.025");
    }

    /// <summary>
    /// hh in exact mode with its own fixed-step scheme (exponential Euler, first order): the pieces between arrivals are
    /// exact in time, so the error is the scheme's alone and falls in proportion to dt. Against the RK4 reference
    /// (<see cref="HhRk4Reference"/>) over 50 ms, dt 0.02, 0.01, 0.005 ms: the measured order (log-log slope) must lie in
    /// [0.7, 1.3]. The constant is large (measured 0.14 ms at dt 0.001 over 200 ms of spiking), which is why dt 0.1 and
    /// 0.025 do not even give the same spike count over 100 ms; for timing work hh wants "integration": "adaptive".
    /// Measured: 1.37, 0.62, 0.30 ms (order 1.10).
    /// </summary>
    [Test]
    public void ExactTimingHhFixedStepConvergesAtFirstOrder()
    {
        const double duration = 50;
        var reference = HhRk4Reference.Run(Hh, Trains, Delay, 40.0, 2.0, 3, duration);
        double[] steps = [0.02, 0.01, 0.005];
        var errors = steps.Select(dt => Worst(Run("hh", SpikeTiming.Exact, dt, null, duration).Spikes, reference)).ToArray();
        double order = Math.Log(errors[0] / errors[2]) / Math.Log(steps[0] / steps[2]);
        TestContext.Out.WriteLine($"hh exponential Euler, exact mode, {Count(reference)} spikes: worst |Δt| against RK4 {string.Join(", ", errors.Select(e => e.ToString("E3")))} ms at dt {string.Join(", ", steps)}; order {order:F2}");
        Assert.That(errors, Has.All.LessThan(double.PositiveInfinity), "same spike counts as the reference");
        Assert.That(order, Is.InRange(0.7, 1.3));
    }

    /// <summary>
    /// 1100 neurons (two parallel chunks: 1024 and 76) with local adaptive steps in exact mode, 40 ms: 1 and 2 threads give
    /// the same spikes, final V and step counts, bit for bit (each cell's steps depend on its own state and events only).
    /// </summary>
    [TestCase("lif-cond")]
    [TestCase("adex")]
    [TestCase("hh")]
    public void SameBitsOnOneAndTwoThreads(string model)
    {
        var options = new AdaptiveOptions { RelativeTolerance = 1e-6, AbsoluteTolerance = 1e-6 };
        var one = Run(model, SpikeTiming.Exact, 0.1, options, 40, size: 1100, threads: 1);
        var two = Run(model, SpikeTiming.Exact, 0.1, options, 40, size: 1100, threads: 2);
        TestContext.Out.WriteLine($"{model}: {Count(one.Spikes)} spikes, {one.Steps} steps");
        Assert.That(Count(one.Spikes), Is.GreaterThan(0));
        Assert.That(two.Steps, Is.EqualTo(one.Steps));
        Assert.That(two.V, Is.EqualTo(one.V));
        for (int i = 0; i < one.Spikes.Length; i++) Assert.That(two.Spikes[i], Is.EqualTo(one.Spikes[i]), $"neuron {i}");
    }

    /// <summary>
    /// A checkpoint halfway (state, pending timed events, each cell's step size and step count), written to HDF5 and
    /// restored into a freshly built network, continues bit for bit as the uninterrupted run: local adaptive steps (exact and grid timing) and
    /// exact timing with the fixed scheme, 100 ms.
    /// </summary>
    [TestCase("lif-cond", true, SpikeTiming.Exact)]
    [TestCase("adex", true, SpikeTiming.Exact)]
    [TestCase("hh", true, SpikeTiming.Exact)]
    [TestCase("hh", true, SpikeTiming.Grid)]
    [TestCase("adex", false, SpikeTiming.Exact)]
    [TestCase("hh", false, SpikeTiming.Exact)]
    public void ResumesBitForBit(string model, bool adaptive, SpikeTiming timing)
    {
        var options = adaptive ? new AdaptiveOptions { RelativeTolerance = 1e-6, AbsoluteTolerance = 1e-6 } : null;
        var straight = Run(model, timing, 0.1, options, 100);
        var resumed = Run(model, timing, 0.1, options, 100, checkpoint: Path.Combine(Dir, $"{model}-{adaptive}-{timing}.h5"));
        Assert.That(Count(straight.Spikes), Is.GreaterThan(0));
        Assert.That(resumed.Steps, Is.EqualTo(straight.Steps));
        Assert.That(resumed.V, Is.EqualTo(straight.V));
        for (int i = 0; i < straight.Spikes.Length; i++) Assert.That(resumed.Spikes[i], Is.EqualTo(straight.Spikes[i]), $"neuron {i}");
    }

    /// <summary>STYLE.md: no allocation inside a step. With local adaptive steps (exact and grid timing) and with exact
    /// timing on the fixed scheme, a step of the network allocates nothing once its buffers have grown (the per-chunk
    /// stepper, vector field and state buffers are made once).</summary>
    [TestCase("lif-cond", true, SpikeTiming.Exact)]
    [TestCase("adex", true, SpikeTiming.Exact)]
    [TestCase("hh", true, SpikeTiming.Exact)]
    [TestCase("hh", true, SpikeTiming.Grid)]
    [TestCase("lif-cond", false, SpikeTiming.Exact)]
    [TestCase("adex", false, SpikeTiming.Exact)]
    [TestCase("hh", false, SpikeTiming.Exact)]
    public void StepsDoNotAllocate(string model, bool adaptive, SpikeTiming timing)
    {
        var options = adaptive ? new AdaptiveOptions { RelativeTolerance = 1e-6, AbsoluteTolerance = 1e-6 } : null;
        using var simulation = Build(model, timing, 0.1, options);
        simulation.Run(1000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        simulation.Run(1000);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }
}
