using System.Text;
using System.Text.Json.Nodes;
using BioSim.Circuits.Cores;
using BioSim.IO.Experiments;
using BioSim.Workflows;
using BioSim.Workflows.Runs;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Circuits.Cores;

/// <summary>
/// Neurosynaptic cores (issue 16, item 1) against a naive dense reimplementation written here from the model's definition
/// (integer crossbar matrix, loops over every axon and neuron): random multi-core networks with all reset modes, a
/// memoryless core, floors, leaks, routes with delays 1-15 across cores, and external input spikes; spikes, potentials and
/// the event counts must agree exactly, tick by tick.
/// </summary>
[TestFixture]
public sealed class NeurosynapticCoreTests
{
    private const int N = 256;

    /// <summary>A random network: its experiment JSON (cores, input generator, one-to-one projection onto the axons), and the
    /// same network as plain arrays for the reference.</summary>
    private sealed class Network
    {
        public required int Cores;
        public required bool[,,] Crossbar;      // [core, axon, neuron]
        public required int[,] Types;           // [core, axon]
        public required int[,,] Weights;        // [core, neuron, type]
        public required int[,] Leak, Threshold; // [core, neuron]
        public required string[] Reset;
        public required int[] ResetValue;
        public required int?[] Floor;
        public required bool[] Memoryless;
        public required int[,] Route;           // [core·256 + neuron, (core, axon, delay)], core −1 for none
        public required List<double>[] Input;   // per element: external spike times
        public required string Json;
    }

    private static Network Build(int cores, int ticks, int seed)
    {
        var random = new Random(seed);
        var crossbar = new bool[cores, N, N];
        var types = new int[cores, N];
        var weights = new int[cores, N, 4];
        var leak = new int[cores, N];
        var threshold = new int[cores, N];
        string[] resets = ["zero", "linear", "none"];
        var reset = new string[cores];
        var resetValue = new int[cores];
        var floor = new int?[cores];
        var memoryless = new bool[cores];
        var route = new int[cores * N, 3];
        var coreArray = new JsonArray();
        for (int c = 0; c < cores; c++)
        {
            reset[c] = resets[c % 3];
            resetValue[c] = reset[c] == "zero" ? random.Next(-2, 2) : 0;
            floor[c] = c % 2 == 0 ? -random.Next(5, 20) : null;
            memoryless[c] = c == cores - 1;
            var rows = new JsonArray();
            for (int i = 0; i < N; i++)
            {
                types[c, i] = random.Next(4);
                var hex = new StringBuilder();
                for (int d = 0; d < N / 4; d++)
                {
                    int nibble = 0;
                    for (int b = 0; b < 4; b++)
                    {
                        bool on = random.NextDouble() < 0.08;
                        crossbar[c, i, 4 * d + b] = on;
                        if (on) nibble |= 8 >> b;
                    }
                    hex.Append("0123456789ABCDEF"[nibble]);
                }
                rows.Add(hex.ToString());
            }
            var w = new JsonArray();
            var l = new JsonArray();
            var th = new JsonArray();
            var routes = new JsonArray();
            for (int j = 0; j < N; j++)
            {
                var row = new JsonArray();
                for (int g = 0; g < 4; g++)
                {
                    weights[c, j, g] = random.Next(-3, 5);
                    row.Add(weights[c, j, g]);
                }
                w.Add(row);
                leak[c, j] = random.Next(-2, 2);
                l.Add(leak[c, j]);
                threshold[c, j] = random.Next(1, 9);
                th.Add(threshold[c, j]);
                route[c * N + j, 0] = -1;
                if (random.NextDouble() < 0.7)
                {
                    route[c * N + j, 0] = random.Next(cores);
                    route[c * N + j, 1] = random.Next(N);
                    route[c * N + j, 2] = random.Next(1, 16);
                    routes.Add(new JsonArray(j, route[c * N + j, 0], route[c * N + j, 1], route[c * N + j, 2]));
                }
            }
            var core = new JsonObject
            {
                ["axon_types"] = new JsonArray([.. Enumerable.Range(0, N).Select(i => (JsonNode)types[c, i])]),
                ["crossbar"] = rows, ["weights"] = w, ["leak"] = l, ["threshold"] = th, ["reset"] = reset[c],
                ["reset_value"] = resetValue[c], ["memoryless"] = memoryless[c], ["routes"] = routes,
            };
            if (floor[c] is int f) core["floor"] = f;
            coreArray.Add(core);
        }
        var input = new List<double>[cores * N];
        var times = new JsonArray();
        for (int e = 0; e < cores * N; e++)
        {
            input[e] = [];
            for (int k = 0; k < ticks; k++)
            {
                if (random.NextDouble() < 0.03) input[e].Add(k + 0.5);
            }
            times.Add(new JsonArray([.. input[e].Select(t => (JsonNode)t)]));
        }
        var json = new JsonObject
        {
            ["name"] = "cores", ["seed"] = seed, ["dt"] = 1.0, ["duration"] = (double)ticks,
            ["populations"] = new JsonArray(
                new JsonObject { ["name"] = "in", ["size"] = cores * N, ["model"] = "spike-generator", ["parameters"] = new JsonObject { ["times"] = times } },
                new JsonObject { ["name"] = "cores", ["size"] = cores * N, ["model"] = "neurosynaptic-cores", ["parameters"] = new JsonObject { ["cores"] = coreArray } }),
            ["projections"] = new JsonArray(new JsonObject
            {
                ["source"] = "in", ["target"] = "cores", ["receptor"] = "axons", ["connectivity"] = new JsonObject { ["rule"] = "one-to-one" }, ["weight"] = 1.0,
            }),
        };
        return new Network
        {
            Cores = cores, Crossbar = crossbar, Types = types, Weights = weights, Leak = leak, Threshold = threshold, Reset = reset,
            ResetValue = resetValue, Floor = floor, Memoryless = memoryless, Route = route, Input = input, Json = json.ToJsonString(),
        };
    }

    /// <summary>The network's JSON again after its crossbars, weights or thresholds were changed in the arrays.</summary>
    private static Network Rewrite(Network net)
    {
        var json = JsonNode.Parse(net.Json)!;
        var cores = json["populations"]![1]!["parameters"]!["cores"]!.AsArray();
        for (int c = 0; c < net.Cores; c++)
        {
            var rows = new JsonArray();
            for (int i = 0; i < N; i++)
            {
                var hex = new StringBuilder();
                for (int d = 0; d < N / 4; d++)
                {
                    int nibble = 0;
                    for (int b = 0; b < 4; b++) nibble |= net.Crossbar[c, i, 4 * d + b] ? 8 >> b : 0;
                    hex.Append("0123456789ABCDEF"[nibble]);
                }
                rows.Add(hex.ToString());
            }
            cores[c]!["crossbar"] = rows;
            cores[c]!["weights"] = new JsonArray([.. Enumerable.Range(0, N).Select(j => (JsonNode)new JsonArray([.. Enumerable.Range(0, 4).Select(g => (JsonNode)net.Weights[c, j, g])]))]);
            cores[c]!["threshold"] = new JsonArray([.. Enumerable.Range(0, N).Select(j => (JsonNode)net.Threshold[c, j])]);
            cores[c]!["routes"] = new JsonArray([.. Enumerable.Range(0, N).Where(j => net.Route[c * N + j, 0] >= 0)
                .Select(j => (JsonNode)new JsonArray(j, net.Route[c * N + j, 0], net.Route[c * N + j, 1], net.Route[c * N + j, 2]))]);
        }
        return new Network
        {
            Cores = net.Cores, Crossbar = net.Crossbar, Types = net.Types, Weights = net.Weights, Leak = net.Leak, Threshold = net.Threshold,
            Reset = net.Reset, ResetValue = net.ResetValue, Floor = net.Floor, Memoryless = net.Memoryless, Route = net.Route, Input = net.Input,
            Json = json.ToJsonString(),
        };
    }

    /// <summary>The reference: per tick k (1, 2, …), the spikes (element ids) and every potential, from the definition. An input
    /// spike at time s (dt = tick = 1 ms) is delivered at the start of the next step and taken by that step's tick:
    /// tick ⌊s⌋ + 2.</summary>
    private static (List<int>[] Spikes, int[][] V, long Events, long Fired, long ActiveCoreTicks) Reference(Network net, int ticks)
    {
        int cores = net.Cores;
        var v = new int[cores * N];
        var pending = new bool[ticks + 17, cores, N];
        foreach (var (times, e) in net.Input.Select((t, e) => (t, e)))
        {
            foreach (double s in times)
            {
                int k = (int)Math.Floor(s) + 2;
                if (k <= ticks) pending[k, e / N, e % N] = true;
            }
        }
        var spikes = new List<int>[ticks + 1];
        var potentials = new int[ticks + 1][];
        long events = 0, fired = 0, active = 0;
        for (int k = 1; k <= ticks; k++)
        {
            spikes[k] = [];
            for (int c = 0; c < cores; c++)
            {
                bool any = false;
                for (int i = 0; i < N; i++) any |= pending[k, c, i];
                bool anySpike = false;
                for (int j = 0; j < N; j++)
                {
                    int e = c * N + j;
                    long sum = 0;
                    for (int i = 0; i < N; i++)
                    {
                        if (pending[k, c, i] && net.Crossbar[c, i, j])
                        {
                            sum += net.Weights[c, j, net.Types[c, i]];
                            events++;
                        }
                    }
                    long u = (net.Memoryless[c] ? 0 : v[e]) + sum + net.Leak[c, j];
                    if (u >= net.Threshold[c, j])
                    {
                        spikes[k].Add(e);
                        fired++;
                        anySpike = true;
                        u = net.Reset[c] switch { "zero" => net.ResetValue[c], "linear" => u - net.Threshold[c, j], _ => u };
                        if (net.Route[e, 0] >= 0 && k + net.Route[e, 2] <= ticks) pending[k + net.Route[e, 2], net.Route[e, 0], net.Route[e, 1]] = true;
                    }
                    long low = Math.Max(net.Floor[c] ?? -(1 << 19), -(1 << 19));
                    u = Math.Clamp(u, low, (1 << 19) - 1);
                    v[e] = net.Memoryless[c] ? 0 : (int)u;
                }
                if (any || anySpike) active++;
            }
            potentials[k] = (int[])v.Clone();
        }
        return (spikes, potentials, events, fired, active);
    }

    [TestCase(3, 200, 1)]
    [TestCase(2, 300, 2)]
    public void EveryTickEqualsTheNaiveDenseModelBitForBit(int cores, int ticks, int seed)
    {
        var net = Build(cores, ticks, seed);
        var (spikes, potentials, events, fired, active) = Reference(net, ticks);
        Assert.That(fired, Is.GreaterThan(100), "the network is active");
        Assert.That(spikes.Skip(1).Count(s => s.Any(e => net.Route[e, 0] >= 0)), Is.GreaterThan(ticks / 2), "routed spikes in most ticks");

        using var services = new ServiceCollection().AddBioSim().BuildServiceProvider();
        var experiment = services.GetRequiredService<ExperimentReader>().Read(net.Json, "cores.json");
        var model = services.GetRequiredService<ModelBuilder>().Build(experiment);
        using var simulation = model.Simulator;
        var population = (NeurosynapticCoresPopulation)simulation.Population("cores");
        int index = simulation.Populations.ToList().IndexOf(population);
        for (int k = 1; k <= ticks; k++)
        {
            simulation.Step();
            var last = simulation.LastSpikes[index];
            Assert.That(last.Ids.ToArray(), Is.EqualTo(spikes[k]), $"tick {k}: the neurons that spike");
            Assert.That(last.Times.ToArray(), Is.All.EqualTo((double)k), $"tick {k}: spikes carry the tick's time");
            double[] expected = [.. potentials[k].Select(x => (double)x)];
            Assert.That(population.Variable("V"), Is.EqualTo(expected), $"tick {k}: every potential");
        }
        Assert.That(population.SynapticEvents, Is.EqualTo(events));
        Assert.That(population.Spikes, Is.EqualTo(fired));
        Assert.That(population.ActiveCoreTicks, Is.EqualTo(active));
        Assert.That(population.EnergyPicojoules, Is.EqualTo(26.0 * events), "the default 26 pJ per synaptic event");
    }

    /// <summary>The batched path of a deployment (<see cref="NeurosynapticCoresPopulation.Tick()"/> with input through
    /// <see cref="NeurosynapticCoresPopulation.Stimulate"/>, spikes left as bit masks) against the same naive dense model: the
    /// same spikes, potentials and event counts tick by tick. "wide" makes a core whose weights need 32-bit sums (every
    /// weight ±255 on a dense crossbar), so both accumulator widths are compared; "runs" routes neurons 0-99 of each core to
    /// axons 10-109 of the next with delay 3 (the layer-to-layer routing done a word at a time, across word boundaries);
    /// "int16" gives weights beyond a byte (rows of int16 instead of bytes); "bytes" gives byte weights up to ±30, so that
    /// rows are summed as bytes four active axons at a time before they are widened (with the random weights, up to 4, 31 at a
    /// time), on a denser crossbar with more active axons than that per tick.</summary>
    [TestCase(3, 200, 1, "random")]
    [TestCase(2, 150, 4, "wide")]
    [TestCase(3, 200, 6, "runs")]
    [TestCase(2, 150, 7, "int16")]
    [TestCase(2, 150, 8, "bytes")]
    [TestCase(2, 150, 9, "bytes3")]
    public void TheBatchedTickEqualsTheNaiveDenseModelBitForBit(int cores, int ticks, int seed, string variant)
    {
        var net = Build(cores, ticks, seed);
        if (variant is "bytes" or "bytes3")
        {
            int[] levels = variant == "bytes" ? [30, -30, 17, -9] : [3, -3, 2, -1];
            for (int c = 0; c < cores; c++)
            {
                for (int j = 0; j < N; j++)
                {
                    for (int g = 0; g < 4; g++) net.Weights[c, j, g] = levels[(j + g) % 4];
                    net.Threshold[c, j] = variant == "bytes" ? 45 : 4;
                }
                for (int i = 0; i < N; i++)
                {
                    for (int j = 0; j < N; j++) net.Crossbar[c, i, j] = variant == "bytes" ? (i * 7 + j * 3) % 5 == 0 : (i * 7 + j * 3) % 5 != 0;
                }
            }
            net = Rewrite(net);
        }
        if (variant == "int16")
        {
            // weights beyond a byte on a sparse crossbar: int16 rows (not bytes), sums still within int16
            for (int c = 0; c < cores; c++)
            {
                for (int j = 0; j < N; j++)
                {
                    for (int g = 0; g < 4; g++) net.Weights[c, j, g] = g % 2 == 0 ? 200 : -150;
                    net.Threshold[c, j] = 100;
                }
            }
            net = Rewrite(net);
        }
        if (variant == "runs")
        {
            for (int e = 0; e < cores * N; e++)
            {
                int j = e % N;
                (net.Route[e, 0], net.Route[e, 1], net.Route[e, 2]) = j < 100 ? ((e / N + 1) % cores, 10 + j, 3) : (-1, 0, 0);
            }
            net = Rewrite(net);
        }
        if (variant == "wide")
        {
            for (int j = 0; j < N; j++)
            {
                for (int g = 0; g < 4; g++) net.Weights[0, j, g] = g % 2 == 0 ? 255 : -255;
                net.Threshold[0, j] = 300;
            }
            for (int i = 0; i < N; i++)
            {
                for (int j = 0; j < N; j++) net.Crossbar[0, i, j] = (i + j) % 3 != 0;
            }
            net = Rewrite(net);
        }
        var (spikes, potentials, events, fired, active) = Reference(net, ticks);
        Assert.That(fired, Is.GreaterThan(100), "the network is active");
        if (variant == "bytes3")
        {
            // weights up to ±3: byte sums of 42 axons, taken half a word at a time; the events show more active axons per tick
            // than that (each axon has about 205 connections on this crossbar)
            double perTick = events / (205.0 * ticks * cores);
            TestContext.Out.WriteLine($"about {perTick:F0} active axons per core and tick");
            Assert.That(perTick, Is.GreaterThan(42), "ticks with more active axons than one byte sum holds");
        }
        var parameters = System.Text.Json.JsonSerializer.Deserialize<NeurosynapticCoresParameters>(
            JsonNode.Parse(net.Json)!["populations"]![1]!["parameters"]!.ToJsonString())!;
        var population = new NeurosynapticCoresPopulation("cores", cores * N, parameters);
        var external = new ulong[ticks + 2, cores, N / 64];
        for (int e = 0; e < cores * N; e++)
        {
            foreach (double s in net.Input[e])
            {
                int k = (int)Math.Floor(s) + 2;
                if (k <= ticks) external[k, e / N, e % N / 64] |= 1UL << (e % 64);
            }
        }
        for (int k = 1; k <= ticks; k++)
        {
            for (int c = 0; c < cores; c++) population.Stimulate(c, [external[k, c, 0], external[k, c, 1], external[k, c, 2], external[k, c, 3]]);
            population.Tick();
            var ids = new List<int>();
            for (int c = 0; c < cores; c++)
            {
                var bits = population.Fired(c);
                for (int j = 0; j < N; j++)
                {
                    if ((bits[j / 64] >> (j % 64) & 1) != 0) ids.Add(c * N + j);
                }
            }
            Assert.That(ids, Is.EqualTo(spikes[k]), $"tick {k}: the neurons that spike");
            Assert.That(population.Variable("V"), Is.EqualTo(potentials[k].Select(x => (double)x).ToArray()), $"tick {k}: every potential");
        }
        Assert.That(population.SynapticEvents, Is.EqualTo(events));
        Assert.That(population.Spikes, Is.EqualTo(fired));
        Assert.That(population.ActiveCoreTicks, Is.EqualTo(active));
    }

    /// <summary>With ten cores (2560 elements, above the threshold for threads) the spikes are the same on one and two threads,
    /// and a run restored from a snapshot taken half-way ends with the same potentials, counters and spikes.</summary>
    [Test]
    public void ThreadsAndSnapshotsDoNotChangeTheBits()
    {
        const int ticks = 120;
        var net = Build(10, ticks, 3);
        using var services = new ServiceCollection().AddBioSim().BuildServiceProvider();
        var experiment = services.GetRequiredService<ExperimentReader>().Read(net.Json, "cores.json");
        var builder = services.GetRequiredService<ModelBuilder>();
        (List<(int, double)> Spikes, double[] V, long Events) Run(int threads, bool viaSnapshot)
        {
            var model = builder.Build(experiment with { Threads = threads });
            using var sim = model.Simulator;
            var spikes = new List<(int, double)>();
            int index = sim.Populations.ToList().FindIndex(p => p.Name == "cores");
            for (int k = 0; k < ticks; k++)
            {
                if (viaSnapshot && k == ticks / 2)
                {
                    var snapshot = sim.Snapshot();
                    var fresh = builder.Build(experiment with { Threads = threads }).Simulator;
                    fresh.Restore(snapshot);
                    for (int m = k; m < ticks; m++)
                    {
                        fresh.Step();
                        var s = fresh.LastSpikes[index];
                        for (int n = 0; n < s.Count; n++) spikes.Add((s.Ids[n], s.Times[n]));
                    }
                    var cores = (NeurosynapticCoresPopulation)fresh.Population("cores");
                    var result = (spikes, (double[])cores.Variable("V").Clone(), cores.SynapticEvents);
                    fresh.Dispose();
                    return result;
                }
                sim.Step();
                var last = sim.LastSpikes[index];
                for (int n = 0; n < last.Count; n++) spikes.Add((last.Ids[n], last.Times[n]));
            }
            var population = (NeurosynapticCoresPopulation)sim.Population("cores");
            return (spikes, (double[])population.Variable("V").Clone(), population.SynapticEvents);
        }
        var one = Run(1, false);
        var two = Run(2, false);
        var resumed = Run(1, true);
        Assert.That(one.Spikes, Has.Count.GreaterThan(1000));
        Assert.That(two.Spikes, Is.EqualTo(one.Spikes));
        Assert.That(two.V, Is.EqualTo(one.V));
        Assert.That(resumed.Spikes, Is.EqualTo(one.Spikes));
        Assert.That(resumed.V, Is.EqualTo(one.V));
        Assert.That(resumed.Events, Is.EqualTo(one.Events));
    }

    [TestCase("", "cores[0].axon_types", "a core has 256", 257)]
    [TestCase("\"routes\": [[3, 0, 1, 2], [3, 0, 5, 1]]", "cores[0].routes[1]", "neuron 3 is routed twice", 0)]
    [TestCase("\"weights\": [[1, 2, 300, 0]]", "cores[0].weights[0][2]", "out of range", 0)]
    [TestCase("\"routes\": [[3, 4, 1, 2]]", "cores[0].routes[0]", "core 4 does not exist", 0)]
    [TestCase("\"threshold\": [0]", "cores[0].threshold[0]", "thresholds lie in [1, ", 0)]
    [TestCase("\"routes\": [[3, 0, 1, 16]]", "cores[0].routes[0]", "delays are 1-15 ticks", 0)]
    [TestCase("\"crossbar\": [\"0G\"]", "cores[0].crossbar[0]", "not a hexadecimal digit", 0)]
    [TestCase("\"crossbar\": [\"00000000000000000000000000000000000000000000000000000000000000001\"]", "cores[0].crossbar[0]", "65 hex digits (260 neurons); a core has 256 neurons", 0)]
    [TestCase("LEAK257", "cores[0].leak", "257 neurons; a core has 256", 0)]
    public void BadCoresGetOneClearLine(string field, string path, string problem, int repeatTypes)
    {
        if (repeatTypes > 0) field = "\"axon_types\": [" + string.Join(",", Enumerable.Repeat("0", repeatTypes)) + "]";
        if (field == "LEAK257") field = "\"leak\": [" + string.Join(",", Enumerable.Repeat("0", 257)) + "]";   // more than 256 neurons
        string json = $$"""
            { "name": "x", "seed": 1, "dt": 1, "duration": 5,
              "populations": [{"name": "c", "size": 256, "model": "neurosynaptic-cores", "parameters": {"cores": [{ {{field}} }]} }] }
            """;
        using var services = new ServiceCollection().AddBioSim().BuildServiceProvider();
        var error = Assert.Throws<ExperimentException>(() => services.GetRequiredService<ExperimentReader>().Read(json, "cores.json"))!;
        TestContext.Out.WriteLine(error.Message);
        Assert.That(error.Message, Does.Contain("cores.json").And.Contain(path).And.Contain(problem));
        Assert.That(error.Message.Split('\n'), Has.Length.EqualTo(1), "one line");
    }

    /// <summary>From the command line: <c>biosim run</c> records the cores' spikes in the SONATA file (read back with h5py), and
    /// reports the event counts and the energy estimate in its JSON summary and as attributes of <c>/counters/cores</c>,
    /// equal to the reference's.</summary>
    [Test]
    public void BiosimRunRecordsTheSpikesAndReportsTheEventCounts()
    {
        const int ticks = 100;
        var net = Build(2, ticks, 5);
        var (_, _, events, fired, active) = Reference(net, ticks);
        string directory = Cli.BiosimProcess.TempDirectory();
        string experiment = Path.Combine(directory, "cores.json");
        var json = JsonNode.Parse(net.Json)!;
        json["record"] = JsonNode.Parse("""{"spikes": ["cores"]}""");
        File.WriteAllText(experiment, json.ToJsonString());
        string output = Path.Combine(directory, "cores.h5");
        var (code, stdout, stderr) = Cli.BiosimProcess.Run("run", experiment, "-o", output, "--json", "-q");
        Assert.That(code, Is.EqualTo(0), stderr);
        using var summary = System.Text.Json.JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        var cores = summary.RootElement.GetProperty("populations").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "cores");
        var counters = cores.GetProperty("counters");
        Assert.That(counters.GetProperty("synaptic_events").GetDouble(), Is.EqualTo(events));
        Assert.That(counters.GetProperty("spikes").GetDouble(), Is.EqualTo(fired));
        Assert.That(counters.GetProperty("active_core_ticks").GetDouble(), Is.EqualTo(active));
        Assert.That(counters.GetProperty("energy_pj").GetDouble(), Is.EqualTo(26.0 * events));
        using var dump = System.Text.Json.JsonDocument.Parse(BioSim.Tests.IO.ExternalTools.RunPythonScript("sonata_dump.py", output));
        Assert.That(dump.RootElement.GetProperty("spikes").GetProperty("cores").GetProperty("node_ids").GetArrayLength(), Is.EqualTo(fired), "h5py reads every spike");
        using var file = BioSim.IO.Hdf5.Hdf5File.OpenReadOnly(output);
        using var group = file.OpenGroup("/counters/cores");
        Assert.That(group.GetDoubleAttribute("synaptic_events"), Is.EqualTo(events));
        Assert.That(group.GetDoubleAttribute("energy_pj"), Is.EqualTo(26.0 * events));
    }
}
