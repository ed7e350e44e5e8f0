using BioSim.Circuits.Connectivity;
using BioSim.Circuits.Neurons.Lif;
using BioSim.Circuits.Plasticity;
using BioSim.Circuits.Projections;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Events;
using BioSim.Plasticity.Synaptic;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity.Synaptic;

/// <summary>
/// The STDP rules against their definitions, written here event by event from explicit sums over spike pairs (and
/// triplets), with no traces: for given presynaptic and postsynaptic spike times, the weights a projection ends with
/// after running its rule step by step (<see cref="Projection.Learn"/>, the path the simulation takes) equal the
/// closed form to 1e-12. Five sources onto three targets, all-to-all, each synapse with its own delay, spike times
/// drawn off the grid; each pairing scheme, additive and multiplicative, with and without the bounds being hit.
/// </summary>
[TestFixture]
public sealed class StdpClosedFormTests
{
    private const double Dt = 0.1;
    private const int Sources = 5;
    private const int TargetCount = 3;
    private const double DurationMs = 400;

    [TestCase("all-to-all", "additive", 0.0, 10.0)]
    [TestCase("nearest", "additive", 0.0, 10.0)]
    [TestCase("all-to-all", "multiplicative", 0.0, 2.0)]
    [TestCase("nearest", "multiplicative", 0.5, 2.0)]
    [TestCase("all-to-all", "additive", 0.97, 1.01)]  // both bounds are hit
    [TestCase("nearest", "additive", 0.99, 1.01)]
    public void PairStdpEqualsTheSumOverPairs(string pairing, string dependence, double wMin, double wMax)
    {
        var p = new StdpParameters
        {
            tau_plus = 16.0, tau_minus = 27.0, A_plus = 0.011, A_minus = 0.0125, w_min = wMin, w_max = wMax,
            weight_dependence = dependence, pairing = pairing,
        };
        var (projection, synapses) = Run(new Stdp().Create(p), out var pre, out var post);
        bool nearest = pairing == "nearest";
        bool multiplicative = dependence == "multiplicative";
        int upper = 0, lower = 0;
        for (int k = 0; k < synapses.Count; k++)
        {
            var (i, j, d) = synapses[k];
            double w = 1.0;
            var arrivals = pre[i].Select(t => t + d).ToArray();
            foreach (var (t, isPre) in Merge(arrivals, post[j]))
            {
                if (isPre)
                {
                    double y = Trace(post[j].Where(s => s < t), t, p.tau_minus, nearest);
                    double free = w - p.A_minus * y * (multiplicative ? w - p.w_min : 1);
                    if (free < p.w_min) lower++;
                    w = Math.Max(p.w_min, free);
                }
                else
                {
                    double x = Trace(arrivals.Where(s => s <= t), t, p.tau_plus, nearest);
                    double free = w + p.A_plus * x * (multiplicative ? p.w_max - w : 1);
                    if (free > p.w_max) upper++;
                    w = Math.Min(p.w_max, free);
                }
            }
            Assert.That(projection.Weights[k], Is.EqualTo(w).Within(1e-12), $"synapse {k} ({i} -> {j}, delay {d} ms)");
            if (pairing == "all-to-all" && dependence == "additive" && wMax > 2 && wMin == 0)
            {
                // No bound reached: the change is the sum of the pair window over all pairs (Song et al. 2000, eq. 1).
                double sum = 0;
                foreach (double a in arrivals)
                {
                    foreach (double s in post[j]) sum += s >= a ? p.A_plus * Math.Exp(-(s - a) / p.tau_plus) : -p.A_minus * Math.Exp((s - a) / p.tau_minus);
                }
                Assert.That(projection.Weights[k] - 1.0, Is.EqualTo(sum).Within(1e-12), $"pair sum of synapse {k}");
            }
        }
        if (wMax < 2) Assert.That(Math.Min(lower, upper), Is.GreaterThan(0), $"this case is meant to hit both bounds (lower {lower}, upper {upper} times)");
        else Assert.That((lower, upper), Is.EqualTo((0, 0)), "this case is meant to stay inside the bounds");
    }

    [TestCase("all-to-all")]
    [TestCase("nearest")]
    public void TripletRuleEqualsItsSumsOverPairsAndTriplets(string pairing)
    {
        // Pfister & Gerstner (2006) eqs. 3-4 with amplitudes large enough to matter at this length.
        var p = new TripletStdpParameters
        {
            tau_plus = 16.8, tau_minus = 33.7, tau_x = 101, tau_y = 125, A2_plus = 4e-3, A3_plus = 6.2e-3, A2_minus = 7e-3,
            A3_minus = 2.3e-3, w_min = 0, w_max = 100, pairing = pairing,
        };
        var (projection, synapses) = Run(new TripletStdp().Create(p), out var pre, out var post);
        bool nearest = pairing == "nearest";
        for (int k = 0; k < synapses.Count; k++)
        {
            var (i, j, d) = synapses[k];
            double w = 1.0;
            var arrivals = pre[i].Select(t => t + d).ToArray();
            foreach (var (t, isPre) in Merge(arrivals, post[j]))
            {
                if (isPre)
                {
                    double o1 = Trace(post[j].Where(s => s < t), t, p.tau_minus, nearest);
                    double r2 = Trace(arrivals.Where(s => s < t), t, p.tau_x, nearest);
                    w = Math.Max(p.w_min, w - o1 * (p.A2_minus + p.A3_minus * r2));
                }
                else
                {
                    double r1 = Trace(arrivals.Where(s => s <= t), t, p.tau_plus, nearest);
                    double o2 = Trace(post[j].Where(s => s < t), t, p.tau_y, nearest);
                    w = Math.Min(p.w_max, w + r1 * (p.A2_plus + p.A3_plus * o2));
                }
            }
            Assert.That(projection.Weights[k], Is.EqualTo(w).Within(1e-12), $"synapse {k} ({i} -> {j}, delay {d} ms)");
            Assert.That(Math.Abs(w - 1.0), Is.GreaterThan(1e-3), "the spikes change the weight");
        }
    }

    /// <summary>Σ exp(−(t − s)/τ) over <paramref name="earlier"/> (all-to-all), or over the latest of them only (nearest).</summary>
    private static double Trace(IEnumerable<double> earlier, double t, double tau, bool nearest)
    {
        var list = earlier.ToList();
        if (list.Count == 0) return 0;
        return nearest ? Math.Exp(-(t - list.Max()) / tau) : list.Sum(s => Math.Exp(-(t - s) / tau));
    }

    /// <summary>The events of one synapse in time order, presynaptic first at equal times.</summary>
    private static IEnumerable<(double Time, bool Pre)> Merge(double[] arrivals, double[] posts) =>
        arrivals.Select(t => (t, true)).Concat(posts.Select(t => (t, false))).OrderBy(e => e.Item1).ThenBy(e => e.Item2 ? 0 : 1);

    /// <summary>
    /// Five sources onto three LIF targets (the targets are not stepped: their spikes are given), all-to-all with
    /// per-synapse delays of 1–4 ms and initial weight 1, exact timing; random spike times (fixed seed) over 400 ms,
    /// handed to <see cref="Projection.Learn"/> step by step as the simulation does.
    /// </summary>
    private static (Projection Projection, List<(int Source, int Target, double Delay)> Synapses) Run(
        ISynapticPlasticity rule, out double[][] pre, out double[][] post)
    {
        var random = new Random(20061);
        pre = Enumerable.Range(0, Sources).Select(_ => Train(random, 40)).ToArray();
        post = Enumerable.Range(0, TargetCount).Select(_ => Train(random, 30)).ToArray();
        var rowStart = new int[Sources + 1];
        var targets = new List<int>();
        var delays = new List<double>();
        var synapses = new List<(int, int, double)>();
        for (int i = 0; i < Sources; i++)
        {
            for (int j = 0; j < TargetCount; j++)
            {
                double d = 1.0 + random.NextDouble() * 3.0;
                targets.Add(j);
                delays.Add(d);
                synapses.Add((i, j, d));
            }
            rowStart[i + 1] = targets.Count;
        }
        var receptor = new[] { new ReceptorSpec("e", ReceptorSpec.ExpCurrent, 5.0) };
        var source = new LifPopulation("pre", Sources, new LifParameters(), receptor);
        var target = new LifPopulation("post", TargetCount, new LifParameters(), receptor);
        var pattern = new ConnectivityPattern(rowStart, targets.ToArray(), TargetCount);
        var projection = new Projection("pre->post", "pre", target, "e", pattern, Enumerable.Repeat(1.0, targets.Count).ToArray(), 0, delays.ToArray());
        projection.AttachPlasticity(rule, source);
        projection.PrepareExact(Dt);

        var preList = new SpikeList();
        var postList = new SpikeList();
        long steps = (long)(DurationMs / Dt);
        for (long n = 0; n < steps; n++)
        {
            double from = n * Dt, to = (n + 1) * Dt;
            Fill(preList, pre, from, to);
            Fill(postList, post, from, to);
            projection.Learn(preList, postList, n);
        }
        return (projection, synapses);
    }

    /// <summary>Spikes in (from, to], sorted by time (then index), as the simulation hands them over.</summary>
    private static void Fill(SpikeList list, double[][] trains, double from, double to)
    {
        list.Clear();
        for (int i = 0; i < trains.Length; i++)
        {
            foreach (double t in trains[i]) if (t > from && t <= to) list.Add(i, t);
        }
        list.SortByTime();
    }

    /// <summary>A Poisson-like train at <paramref name="rateHz"/> over the first 380 ms, times off the step grid.</summary>
    private static double[] Train(Random random, double rateHz)
    {
        var times = new List<double>();
        double t = 0;
        while (true)
        {
            t += -Math.Log(1 - random.NextDouble()) * 1000 / rateHz + 0.5;
            if (t > DurationMs - 20) return times.ToArray();
            times.Add(t);
        }
    }
}
