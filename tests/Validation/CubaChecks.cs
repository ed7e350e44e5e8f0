using System.Text.Json;
using BioSim.Engine.Random;
using BioSim.IO.Experiments;
using BioSim.Workflows.Runs;

namespace BioSim.Tests.Validation;

/// <summary>One comparison of BioSim with its reference: passes when |Value − Expected| ≤ Tolerance.</summary>
/// <param name="Name">What is compared.</param>
/// <param name="Value">BioSim's value.</param>
/// <param name="Expected">The reference value.</param>
/// <param name="Tolerance">The allowed difference (see <see cref="CubaChecks"/> for where each comes from).</param>
internal sealed record CubaCheck(string Name, double Value, double Expected, double Tolerance)
{
    /// <summary>|Value − Expected| in units of the tolerance: above 1 fails.</summary>
    public double Deviation => Tolerance > 0 ? Math.Abs(Value - Expected) / Tolerance : (Value == Expected ? 0 : double.PositiveInfinity);

    /// <summary>Within tolerance (a NaN value fails).</summary>
    public bool Passed => Math.Abs(Value - Expected) <= Tolerance;

    public override string ToString() =>
        $"{(Passed ? "ok  " : "FAIL")} {Name}: {Value:G6} vs {Expected:G6} ± {Tolerance:G3} ({Deviation:0.00} tolerances)";
}

/// <summary>Statistics of one CUBA run (definitions as in tests/reference/brian2_cuba.py).</summary>
internal sealed record CubaStatistics(ulong Seed, long Spikes, double RateHz, double RateExcHz, double RateInhHz, double CvIsiMean, double VMeanMv);

/// <summary>
/// The comparisons of a CUBA experiment (examples/cuba.json, or a perturbed copy of it) with Brian2, shared by
/// <see cref="CubaBrian2Tests"/> (which requires every check to pass on the example) and
/// <see cref="CubaPerturbationTests"/> (which requires each of five wrong parameters to fail at least one).
/// Both go through ExperimentReader and ModelBuilder, the path of <c>biosim run</c>.
/// <list type="number">
/// <item>Network statistics (<see cref="NetworkChecks"/>): the mean over seeds 1–20 of BioSim's rate (all, excitatory,
/// inhibitory), mean ISI CV and mean membrane potential against the mean over seeds 1–20 of Brian2 2.5.1 running
/// examples/CUBA.py (tests/data/brian2_cuba_reference.json, written by tests/reference/brian2_cuba.py, cython
/// target). The two simulators draw different networks, so the difference of the two means has the standard error
/// √(sd_B²/20 + sd_S²/20), with sd_B Brian2's seed-to-seed sd from that file and sd_S BioSim's (measured on seeds 1–20) from
/// tests/data/biosim_cuba_reference.json (written by tests/reference/biosim_cuba.py through the CLI); the tolerance is
/// <see cref="StandardErrors"/> standard errors.</item>
/// <item>Frozen input (<see cref="FrozenInputChecks"/>): 8 neurons of each population, built from the experiment's own
/// population specs and driven by the fixed input spike trains of tests/data/brian2_cuba_frozen_input.json (written by
/// tests/reference/brian2_cuba_frozen.py: Brian2, CUBA's neuron and synapse model, 'exact', input on the 0.1 ms grid,
/// Brian2 stepping at 0.01 ms so that its grid-bound threshold and refractoriness come within 0.01 ms of BioSim's
/// exact ones), each event carrying the weight, receptor and delay of the experiment's projection from that population.
/// Deterministic: V every 1 ms and every spike time are compared neuron by neuron.</item>
/// </list>
/// </summary>
internal static class CubaChecks
{
    /// <summary>BioSim seeds of the network statistics: 1 … 20, the seeds of tests/data/biosim_cuba_reference.json.</summary>
    public static readonly ulong[] Seeds = [.. Enumerable.Range(1, 20).Select(s => (ulong)s)];

    /// <summary>Network tolerance in standard errors of the difference of the two 20-seed means: 4 (for 5 roughly normal
    /// statistics, a false failure once in ~3000 draws of the networks).</summary>
    public const double StandardErrors = 4.0;

    /// <summary>
    /// Frozen input: the largest allowed |V_BioSim − V_Brian2| at the 1 ms samples, 0.05 mV. Both integrate the same linear
    /// system exactly, so between spikes they agree to rounding; after a spike Brian2 counts the refractory period from
    /// the start of its crossing step (dt_Brian2 = 0.01 ms) and BioSim from the crossing itself, so BioSim's V leaves
    /// V_reset up to 0.01 ms later, a difference of up to 0.01 ms · dV/dt (≤ ~1 mV/ms here) that then decays with τ_m.
    /// Measured on examples/cuba.json (2026-12-07): 0.0072 mV (exc), 0.012 mV (inh); the bound is about four times the larger.
    /// </summary>
    public const double FrozenVoltageTolerance = 0.05;

    /// <summary>
    /// Frozen input: the largest allowed |t_BioSim − (t_Brian2 + dt_Brian2/2)|, 0.1 ms (one BioSim step). Brian2 reports
    /// the start of its 0.01 ms crossing step, hence the half step; the rest is the V difference above divided by the
    /// slope at threshold, large only for grazing crossings. Measured: 0.0056 ms (exc), 0.014 ms (inh); with the frozen
    /// trains of an earlier draw, 0.023 ms (a crossing after a V difference of ~0.01 mV at a shallow slope).
    /// </summary>
    public const double FrozenSpikeTimeTolerance = 0.1;

    /// <summary>All the checks: <see cref="NetworkChecks"/> then <see cref="FrozenInputChecks"/>.</summary>
    public static List<CubaCheck> Evaluate(Experiment experiment, ModelBuilder builder, out List<CubaStatistics> perSeed)
    {
        var checks = NetworkChecks(experiment, builder, out perSeed);
        checks.AddRange(FrozenInputChecks(experiment, builder));
        return checks;
    }

    /// <summary>Runs <paramref name="experiment"/> for one seed and returns its statistics. The first population is the
    /// excitatory one, the second the inhibitory one (as in examples/cuba.json).</summary>
    public static CubaStatistics RunNetwork(Experiment experiment, ModelBuilder builder, ulong seed)
    {
        var sim = builder.Build(experiment with { Seed = seed }).Simulator;
        var sizes = experiment.Populations.Select(p => p.Size).ToArray();
        var offsets = new int[sizes.Length];
        for (int p = 1; p < sizes.Length; p++) offsets[p] = offsets[p - 1] + sizes[p - 1];
        int n = sizes.Sum();
        var trains = Enumerable.Range(0, n).Select(_ => new List<double>()).ToArray();
        var counts = new long[sizes.Length];
        var voltages = experiment.Populations.Select(p => sim.Population(p.Name).Variable("V")).ToArray();
        double vSum = 0;
        for (long step = 0; step < experiment.Steps; step++)
        {
            sim.Step();
            for (int p = 0; p < sizes.Length; p++)
            {
                var s = sim.LastSpikes[p];
                for (int k = 0; k < s.Count; k++) trains[offsets[p] + s.Ids[k]].Add(s.Times[k]);
                counts[p] += s.Count;
                foreach (double v in voltages[p]) vSum += v;
            }
        }
        double seconds = experiment.Duration / 1000;
        return new CubaStatistics(seed, counts.Sum(), counts.Sum() / (n * seconds), counts[0] / (sizes[0] * seconds),
            counts[1] / (sizes[1] * seconds), trains.Where(t => t.Count >= 3).Select(CoefficientOfVariation).Average(),
            vSum / ((double)n * experiment.Steps));
    }

    /// <summary>The network statistics of seeds 1–20 against Brian2 (see the class summary).</summary>
    public static List<CubaCheck> NetworkChecks(Experiment experiment, ModelBuilder builder, out List<CubaStatistics> perSeed)
    {
        perSeed = [.. Seeds.Select(seed => RunNetwork(experiment, builder, seed))];
        using var brian = JsonDocument.Parse(File.ReadAllText(TestPaths.Data("brian2_cuba_reference.json")));
        using var biosim = JsonDocument.Parse(File.ReadAllText(TestPaths.Data("biosim_cuba_reference.json")));
        var b = brian.RootElement.GetProperty("summary");
        var s = biosim.RootElement.GetProperty("summary");
        int nb = brian.RootElement.GetProperty("seeds").GetArrayLength();
        var checks = new List<CubaCheck>();
        var runs = perSeed;
        int ns = runs.Count;
        void Add(string key, Func<CubaStatistics, double> value)
        {
            double sdB = b.GetProperty(key).GetProperty("sd").GetDouble(), sdS = s.GetProperty(key).GetProperty("sd").GetDouble();
            double standardError = Math.Sqrt(sdB * sdB / nb + sdS * sdS / ns);
            checks.Add(new CubaCheck($"network {key} (mean of {runs.Count} seeds)", runs.Average(value),
                b.GetProperty(key).GetProperty("mean").GetDouble(), StandardErrors * standardError));
        }
        Add("rate_hz", r => r.RateHz);
        Add("rate_exc_hz", r => r.RateExcHz);
        Add("rate_inh_hz", r => r.RateInhHz);
        Add("cv_isi_mean", r => r.CvIsiMean);
        Add("v_mean_mv", r => r.VMeanMv);
        return checks;
    }

    /// <summary>
    /// The frozen-input comparison (see the class summary): per population, the total number of spikes (must equal
    /// Brian2's), the worst spike-time offset (≤ <see cref="FrozenSpikeTimeTolerance"/>; a spike count that differs for
    /// any neuron counts as an infinite offset) and the worst |ΔV| at the 1 ms samples (≤ <see cref="FrozenVoltageTolerance"/>).
    /// </summary>
    public static List<CubaCheck> FrozenInputChecks(Experiment experiment, ModelBuilder builder)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(TestPaths.Data("brian2_cuba_frozen_input.json")));
        var root = document.RootElement;
        double dt = root.GetProperty("dt_ms").GetDouble(), brianDt = root.GetProperty("brian2_dt_ms").GetDouble();
        long steps = (long)Math.Round(root.GetProperty("duration_ms").GetDouble() / dt);
        int sampleEvery = root.GetProperty("sample_every").GetInt32();
        var neurons = root.GetProperty("neurons").EnumerateArray().Select(FrozenNeuron.Read).ToList();
        var checks = new List<CubaCheck> { new("frozen dt (ms)", experiment.Dt, dt, 0) };
        if (experiment.Dt != dt) return checks;

        string excitatory = experiment.Populations[0].Name, inhibitory = experiment.Populations[1].Name;
        var sizes = neurons.GroupBy(x => x.Population).ToDictionary(g => g.Key, g => g.Max(x => x.Index) + 1);
        var small = experiment with
        {
            Populations = [.. experiment.Populations.Select(p => p with { Size = sizes[p.Name], Initial = new Dictionary<string, Distribution>() })],
            Projections = [],
        };
        var sim = builder.Build(small, threads: 1).Simulator;

        var populations = small.Populations.Select(p => sim.Population(p.Name)).ToDictionary(p => p.Name);
        // Each event goes where the experiment's projection from that population would put it: its receptor, its weight,
        // its delay (the reference has none, so a delay shows as events arriving late).
        var projectionOf = new Dictionary<(string Source, string Target), (string Receptor, double Weight, int DelaySteps)>();
        foreach (var p in experiment.Projections)
        {
            if (p.Weight is not ConstantDistribution weight || p.Delay is not ConstantDistribution delay)
            {
                throw new InvalidOperationException($"Projection '{p.Name}': the frozen-input check needs a constant weight and delay, as in examples/cuba.json.");
            }
            if (!projectionOf.TryAdd((p.Source, p.Target), (p.Receptor, weight.Value, (int)Math.Round(delay.Value / dt))))
            {
                throw new InvalidOperationException($"Two projections from '{p.Source}' to '{p.Target}': the frozen-input check expects one, as in examples/cuba.json.");
            }
        }
        foreach (var x in neurons) populations[x.Population].Variable("V")[x.Index] = x.V0;

        var next = new int[neurons.Count * 2];
        var spikes = neurons.Select(_ => new List<double>()).ToArray();
        var samples = neurons.Select(_ => new List<double>()).ToArray();
        var index = neurons.Select((x, k) => (x, k)).ToDictionary(t => (t.x.Population, t.x.Index), t => t.k);
        for (long n = 0; n < steps; n++)
        {
            if (n % sampleEvery == 0)
            {
                for (int k = 0; k < neurons.Count; k++) samples[k].Add(populations[neurons[k].Population].Variable("V")[neurons[k].Index]);
            }
            for (int k = 0; k < neurons.Count; k++)
            {
                var x = neurons[k];
                Deliver(x.Excitatory, ref next[2 * k], n, projectionOf[(excitatory, x.Population)], populations[x.Population], x.Index);
                Deliver(x.Inhibitory, ref next[2 * k + 1], n, projectionOf[(inhibitory, x.Population)], populations[x.Population], x.Index);
            }
            sim.Step();
            for (int p = 0; p < small.Populations.Count; p++)
            {
                var s = sim.LastSpikes[p];
                for (int k = 0; k < s.Count; k++) spikes[index[(small.Populations[p].Name, s.Ids[k])]].Add(s.Times[k]);
            }
        }

        foreach (var group in neurons.Select((x, k) => (x, k)).GroupBy(t => t.x.Population))
        {
            int ours = group.Sum(t => spikes[t.k].Count), theirs = group.Sum(t => t.x.SpikeTimes.Length);
            checks.Add(new CubaCheck($"frozen {group.Key}: spikes of {group.Count()} neurons", ours, theirs, 0));
            double worstTime = 0, worstV = 0;
            foreach (var (x, k) in group)
            {
                for (int m = 0; m < Math.Min(x.SpikeTimes.Length, spikes[k].Count); m++)
                {
                    worstTime = Math.Max(worstTime, Math.Abs(spikes[k][m] - (x.SpikeTimes[m] + brianDt / 2)));
                }
                if (x.SpikeTimes.Length != spikes[k].Count) worstTime = double.PositiveInfinity;
                for (int m = 0; m < x.V.Length; m++) worstV = Math.Max(worstV, Math.Abs(samples[k][m] - x.V[m]));
            }
            checks.Add(new CubaCheck($"frozen {group.Key}: worst |t_BioSim − (t_Brian2 + dt_Brian2/2)| (ms)", worstTime, 0, FrozenSpikeTimeTolerance));
            checks.Add(new CubaCheck($"frozen {group.Key}: worst |ΔV| (mV)", worstV, 0, FrozenVoltageTolerance));
        }
        return checks;
    }

    /// <summary>Adds the events of arrival step <paramref name="step"/> (delayed by the projection's delay) to the input
    /// ring of the projection's receptor, for the step about to be taken.</summary>
    private static void Deliver(int[] arrivals, ref int next, long step, (string Receptor, double Weight, int DelaySteps) projection,
        BioSim.Engine.Simulation.IDynamics target, int neuron)
    {
        while (next < arrivals.Length && arrivals[next] + projection.DelaySteps == step)
        {
            target.Input(projection.Receptor).Current[neuron] += projection.Weight;
            next++;
        }
    }

    private static double CoefficientOfVariation(List<double> times)
    {
        var isi = new double[times.Count - 1];
        for (int k = 1; k < times.Count; k++) isi[k - 1] = times[k] - times[k - 1];
        double mean = isi.Average();
        double variance = isi.Sum(x => (x - mean) * (x - mean)) / isi.Length;
        return Math.Sqrt(variance) / mean;
    }

    private sealed record FrozenNeuron(string Population, int Index, double V0, int[] Excitatory, int[] Inhibitory, double[] SpikeTimes, double[] V)
    {
        public static FrozenNeuron Read(JsonElement e) => new(
            e.GetProperty("population").GetString()!, e.GetProperty("index").GetInt32(), e.GetProperty("v0_mv").GetDouble(),
            [.. e.GetProperty("exc_arrival_steps").EnumerateArray().Select(x => x.GetInt32())],
            [.. e.GetProperty("inh_arrival_steps").EnumerateArray().Select(x => x.GetInt32())],
            [.. e.GetProperty("spike_times_ms").EnumerateArray().Select(x => x.GetDouble())],
            [.. e.GetProperty("v_mv").EnumerateArray().Select(x => x.GetDouble())]);
    }
}
