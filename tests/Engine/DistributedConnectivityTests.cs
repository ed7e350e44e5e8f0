using System.Text.Json.Nodes;
using BioSim.Circuits.Connectivity;
using BioSim.Circuits.Projections;
using BioSim.Engine.Distributed;
using BioSim.Engine.Random;
using BioSim.IO.Experiments;
using BioSim.Workflows;
using BioSim.Workflows.Runs;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Engine;

/// <summary>
/// A run split over processes generates, on each process, only the synapses onto its own neurons (issue 17: a cluster user
/// splits a network because it does not fit one machine). The reference is the same rule or experiment built whole in one
/// process: a piece must hold exactly the whole pattern's synapses onto its targets, in the same row order, with the same
/// weights and delays (bits; no tolerance), and the memory allocated while a piece is built must stay below what the whole
/// projection's arrays alone would take (measured with <see cref="GC.GetAllocatedBytesForCurrentThread"/>, exact to the
/// allocator's few-kilobyte allocation contexts; the bounds below leave 32 KB for that).
/// </summary>
[TestFixture, Category("Unit")]
public sealed class DistributedConnectivityTests
{
    private static RandomStream Stream => new(2026, "piece", "connectivity");

    /// <summary>The rules with parameters that exercise their draws: autapses excluded, multapses excluded, p = 1.</summary>
    private static IEnumerable<TestCaseData> Rules()
    {
        yield return new TestCaseData("fixed-probability", new FixedProbabilityParameters(0.1, allow_autapses: false), 2000, 2000, true).SetName("FixedProbability");
        yield return new TestCaseData("fixed-probability p=1", new FixedProbabilityParameters(1.0), 700, 500, false).SetName("FixedProbabilityOne");
        yield return new TestCaseData("fixed-indegree", new FixedIndegreeParameters(100, allow_autapses: false, allow_multapses: false), 2000, 2000, true).SetName("FixedIndegree");
        yield return new TestCaseData("fixed-indegree multapses", new FixedIndegreeParameters(150), 300, 2000, false).SetName("FixedIndegreeMultapses");
        yield return new TestCaseData("all-to-all", new AllToAllParameters(), 600, 600, true).SetName("AllToAll");
        yield return new TestCaseData("one-to-one", new OneToOneParameters(), 200_000, 200_000, true).SetName("OneToOne");
    }

    private static IConnectivityRule RuleFor(object parameters) => parameters switch
    {
        FixedProbabilityParameters => new FixedProbability(),
        FixedIndegreeParameters => new FixedIndegree(),
        AllToAllParameters => new AllToAll(),
        _ => new OneToOne(),
    };

    /// <summary>
    /// Each of four uneven target ranges (one empty) gets the whole pattern's synapses onto it, row by row in the same order,
    /// and the pieces' rows together are the whole rows. Building a piece of a quarter allocates at most its row index
    /// (twice for fixed-indegree, which counts sources before it places them) and 2.5 times its own synapses (4 bytes each: the
    /// row builder's estimate and the trimmed copy), where the whole pattern's target array alone is four times the piece.
    /// </summary>
    [TestCaseSource(nameof(Rules))]
    public void APieceHoldsTheWholePatternsSynapsesOntoItsTargetsAndAllocatesOnlyThem(string name, object parameters, int sources, int targets, bool same)
    {
        var rule = RuleFor(parameters);
        var whole = rule.Build(parameters, sources, targets, same, Stream);
        Assert.That(whole.IsWhole);
        int[] cuts = [0, targets / 4, targets / 4, targets / 2, targets];
        var covered = new int[sources];
        for (int r = 0; r + 1 < cuts.Length; r++)
        {
            int start = cuts[r], end = cuts[r + 1];
            rule.Build(parameters, sources, targets, same, Stream, start, end); // warm-up: the first call's allocations (JIT, statics) are not the piece's
            long before = GC.GetAllocatedBytesForCurrentThread();
            var piece = rule.Build(parameters, sources, targets, same, Stream, start, end);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.That((piece.TargetStart, piece.TargetEnd, piece.TargetCount, piece.SourceCount), Is.EqualTo((start, end, targets, sources)), name);
            for (int i = 0; i < sources; i++)
            {
                var expected = whole.Targets.AsSpan(whole.RowStart[i], whole.RowStart[i + 1] - whole.RowStart[i]).ToArray().Where(t => t >= start && t < end).ToArray();
                var got = piece.Targets.AsSpan(piece.RowStart[i], piece.RowStart[i + 1] - piece.RowStart[i]).ToArray();
                if (!expected.SequenceEqual(got)) Assert.Fail($"{name}, targets [{start}, {end}), row {i}: [{string.Join(", ", got)}] instead of [{string.Join(", ", expected)}]");
                covered[i] += got.Length;
            }
            int rowArrays = parameters is FixedIndegreeParameters ? 2 : 1;
            long bound = 4L * (rowArrays * (sources + 1L) + 5L * piece.SynapseCount / 2) + 32 * 1024;
            Assert.That(allocated, Is.LessThanOrEqualTo(bound), $"{name}, targets [{start}, {end}): {piece.SynapseCount} of {whole.SynapseCount} synapses");
            if (end - start == targets / 4) Assert.That(4L * whole.SynapseCount + 4L * rowArrays * (sources + 1), Is.GreaterThan(bound), "the bound would catch building the whole");
        }
        for (int i = 0; i < sources; i++) Assert.That(covered[i], Is.EqualTo(whole.RowStart[i + 1] - whole.RowStart[i]), $"{name}: row {i}");
    }

    /// <summary>A range outside the target population is refused by name.</summary>
    [Test]
    public void ARangeOutsideTheTargetsIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new AllToAll().Build(new AllToAllParameters(), 5, 10, false, Stream, 4, 11));
        Assert.That(e!.Message, Does.Contain("[4, 11)").And.Contain("10 targets"));
    }

    /// <summary>One population of 4096 (4 chunks) connected to itself by every rule, with per-synapse weights (normal) and delays
    /// (uniform), and a second population of 1500 (2 chunks) that receives from the first by fixed probability; with
    /// <paramref name="onlyFirst"/>, the first population and its first two projections alone (split over 2 processes, each
    /// process then holds half of every projection).</summary>
    private static Experiment FourRules(bool onlyFirst = false)
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var json = JsonNode.Parse("""
            {"name": "pieces", "seed": 7, "dt": 0.1, "duration": 1.0,
             "populations": [
               {"name": "a", "size": 4096, "model": "lif", "parameters": {"tau_m": 20.0, "E_L": -49.0, "V_th": -50.0, "V_reset": -60.0, "t_ref": 5.0},
                "receptors": [{"name": "exc", "model": "exp-current", "tau": 5.0}]},
               {"name": "b", "size": 1500, "model": "lif", "parameters": {"tau_m": 20.0, "E_L": -49.0, "V_th": -50.0, "V_reset": -60.0, "t_ref": 5.0},
                "receptors": [{"name": "exc", "model": "exp-current", "tau": 5.0}]}],
             "projections": [
               {"source": "a", "target": "a", "receptor": "exc", "connectivity": {"rule": "fixed-probability", "p": 0.05, "allow_autapses": false},
                "weight": {"normal": [0.5, 0.1]}, "delay": {"uniform": [0.2, 2.0]}},
               {"source": "a", "target": "a", "receptor": "exc", "connectivity": {"rule": "fixed-indegree", "indegree": 200, "allow_multapses": false},
                "weight": {"uniform": [0.1, 0.3]}, "delay": {"uniform": [0.3, 1.0]}},
               {"source": "a", "target": "a", "receptor": "exc", "connectivity": {"rule": "one-to-one"}, "weight": {"normal": [1.0, 0.2]}, "delay": 0.5},
               {"source": "b", "target": "b", "receptor": "exc", "connectivity": {"rule": "all-to-all"}, "weight": 0.2, "delay": {"uniform": [0.1, 0.9]}},
               {"source": "a", "target": "b", "receptor": "exc", "connectivity": {"rule": "fixed-probability", "p": 0.1}, "weight": {"uniform": [0.0, 1.0]}, "delay": 1.0}],
             "record": {"spikes": ["a"]}}
            """)!.AsObject();
        if (onlyFirst)
        {
            json["populations"]!.AsArray().RemoveAt(1);
            var projections = json["projections"]!.AsArray();
            while (projections.Count > 2) projections.RemoveAt(2);
        }
        return services.GetRequiredService<ExperimentReader>().Read(json.ToJsonString(), "pieces.json");
    }

    private sealed record Held(int[] Ids, int[] Sources, int[] Targets, double[] Weights, double[] Delays, int Whole, double MinDelay, double MaxDelay, int MaxSteps);

    private static Held Describe(Projection p)
    {
        int[] ids = p.WholeSynapseIds();
        var sources = new int[p.SynapseCount];
        for (int i = 0; i + 1 < p.RowStart.Length; i++)
        {
            for (int k = p.RowStart[i]; k < p.RowStart[i + 1]; k++) sources[k] = i;
        }
        return new Held(ids, sources, p.Targets.ToArray(), Enumerable.Range(0, p.SynapseCount).Select(p.Weight).ToArray(),
            Enumerable.Range(0, p.SynapseCount).Select(p.Delay).ToArray(), p.WholeSynapseCount, p.MinDelayMs, p.MaxDelayMs, p.MaxDelaySteps(0.1));
    }

    /// <summary>Builds the experiment on each of <paramref name="processes"/> members of an in-process group (each on its own
    /// thread); returns each one's projections as held after the simulator is built, and the bytes the build allocated on it.</summary>
    private static (Held[] Projections, long Allocated)[] BuildSplit(Experiment experiment, int processes)
    {
        var members = InProcessGroup.Create(processes);
        var results = new (Held[], long)[processes];
        var errors = new Exception?[processes];
        var workers = Enumerable.Range(0, processes).Select(r => new Thread(() =>
        {
            try
            {
                results[r] = BuildOne(experiment, members[r]);
            }
            catch (Exception e)
            {
                errors[r] = e;
                members[r].Abandon();
            }
        })).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        members[0].Dispose();
        if ((errors.FirstOrDefault(e => e is not null and not OperationCanceledException) ?? errors.FirstOrDefault(e => e is not null)) is { } error)
            throw new AggregateException($"a process failed: {error.Message}", error);
        return results;
    }

    private static (Held[], long) BuildOne(Experiment experiment, IProcessGroup? processes)
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var builder = services.GetRequiredService<ModelBuilder>();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var built = builder.Build(experiment, 1, processes: processes);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        using var sim = built.Simulator;
        built.CodePreparation?.Wait();
        return (built.Projections.Select(Describe).ToArray(), allocated);
    }

    /// <summary>
    /// Split over 2 and 3 processes, every process's synapses of every projection (rules, weights, delays drawn per source
    /// row) are the one-process projection's synapses onto its own neurons, at the same whole index, with the same source,
    /// target, weight and delay bits; together the processes hold each synapse once; each reports the whole projection's
    /// synapse count and delays.
    /// </summary>
    [TestCase(2)]
    [TestCase(3)]
    public void EachProcessGeneratesOnlyTheSynapsesOntoItsOwnNeurons(int processes)
    {
        var experiment = FourRules();
        var (one, _) = BuildOne(experiment, null);
        var split = BuildSplit(experiment, processes);
        for (int p = 0; p < one.Length; p++)
        {
            var whole = one[p];
            var seen = new int[whole.Whole];
            foreach (var (held, _) in split)
            {
                var part = held[p];
                Assert.That((part.Whole, part.MinDelay, part.MaxDelay, part.MaxSteps), Is.EqualTo((whole.Whole, whole.MinDelay, whole.MaxDelay, whole.MaxSteps)), $"projection {p}");
                for (int k = 0; k < part.Ids.Length; k++)
                {
                    int id = part.Ids[k];
                    seen[id]++;
                    if (part.Sources[k] != whole.Sources[id] || part.Targets[k] != whole.Targets[id]
                        || BitConverter.DoubleToInt64Bits(part.Weights[k]) != BitConverter.DoubleToInt64Bits(whole.Weights[id])
                        || BitConverter.DoubleToInt64Bits(part.Delays[k]) != BitConverter.DoubleToInt64Bits(whole.Delays[id]))
                    {
                        Assert.Fail($"projection {p}, synapse {id}: {part.Sources[k]}→{part.Targets[k]} w {part.Weights[k]} d {part.Delays[k]}, one process: "
                            + $"{whole.Sources[id]}→{whole.Targets[id]} w {whole.Weights[id]} d {whole.Delays[id]}");
                    }
                }
            }
            Assert.That(seen.All(n => n == 1), $"projection {p}: every synapse held by exactly one process");
        }
    }

    /// <summary>
    /// A population of 4096 connected to itself by fixed probability and fixed in-degree (1.66 million synapses with their
    /// weights and delays, about 36 MB, most of what the build allocates), split over 2 processes that each own half of it:
    /// each process's build allocates less than 65 % of what the one-process build allocates (half, plus what is not synapses
    /// and the second preparation of its delays). A process that built the whole projections and then dropped the other's
    /// synapses would allocate at least what one process does.
    /// </summary>
    [Test]
    public void EachProcessAllocatesAboutItsShareOfTheSynapses()
    {
        var experiment = FourRules(onlyFirst: true);
        BuildOne(experiment, null); // warm-up: the first build's allocations (JIT, caches) are no projection's
        var (one, oneAllocated) = BuildOne(experiment, null);
        var split = BuildSplit(experiment, 2);
        long synapses = one.Sum(h => (long)h.Whole);
        Assert.That(synapses, Is.GreaterThan(1_600_000));
        foreach (var (held, allocated) in split)
        {
            double share = held.Sum(h => (double)h.Ids.Length) / synapses;
            Assert.That(share, Is.EqualTo(0.5).Within(0.01), "each process owns half of the neurons");
            Assert.That(allocated, Is.LessThan(0.65 * oneAllocated), $"a process holding {share:P1} of the synapses; one process allocated {oneAllocated} bytes");
        }
    }
}
