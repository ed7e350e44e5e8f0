using System.Reflection;
using System.Text.Json;
using BioSim.Circuits;
using BioSim.Circuits.Cells;
using BioSim.Circuits.Connectivity;
using BioSim.Circuits.Cores;
using BioSim.Circuits.Mechanisms;
using BioSim.Circuits.Microcircuit;
using BioSim.Circuits.Morphology;
using BioSim.Circuits.Neurons.AdEx;
using BioSim.Circuits.Neurons.Dendritic;
using BioSim.Circuits.Neurons.HodgkinHuxley;
using BioSim.Circuits.Neurons.Lif;
using BioSim.Circuits.Neurons.LifCond;
using BioSim.Circuits.Neurons.RateCircuit;
using BioSim.Circuits.Populations;
using BioSim.Circuits.Projections;
using BioSim.Circuits.Stimuli;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Events;
using BioSim.Engine.Plugins;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Circuits;

/// <summary>
/// Contracts over the catalogue: every registered population model (cable included), mechanism and connectivity rule,
/// found by name, so a new plug-in is covered without a new test. Each gives the same bits for the same seed with one
/// and two threads, continues bit for bit from a snapshot restored into a freshly built network, and rejects an
/// invalid parameter (every numeric field set to NaN in turn, or an integer to −1) with a message that starts with the
/// field's name. A population model needs an example here only when its defaults do not make neurons that fire (the
/// table in <see cref="Example"/>); one without an example is built from its default parameters.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class CatalogueContractTests
{
    private static readonly Catalogue Plugins = new ServiceCollection().AddCircuits().BuildServiceProvider().GetRequiredService<Catalogue>();

    private static IEnumerable<string> PopulationModels() => Plugins.Names<IPopulationModel>();

    private static IEnumerable<string> MechanismNames() => Plugins.Names<Mechanism>();

    private static IEnumerable<string> RuleNames() => Plugins.Names<IConnectivityRule>();

    /// <summary>Parameters and receptors that make a network of the model active, and its size (at least two parallel chunks).</summary>
    private static (object Parameters, ReceptorSpec[] Receptors, int Size, double Weight) Example(string model)
    {
        var current = new ReceptorSpec("exc", ReceptorSpec.ExpCurrent, 2.0);
        var cond = new ReceptorSpec("exc", ReceptorSpec.ExpConductance, 5.0, 0.0);
        return model switch
        {
            "lif" => (new LifParameters { I_e = 25.0 }, [current], 2500, 0.3),
            "adex" => (new AdExParameters { I_e = 800.0 }, [cond], 2500, 0.5),
            "hh" => (new HhParameters { I_e = 125.66 }, [cond with { Tau = 2.0 }], 2500, 0.05),
            "lif-cond" => (new LifCondParameters { I_e = 150.0 }, [cond], 2500, 0.3),
            "pyramidal" => (new PyramidalParameters(), [new ReceptorSpec("basal", ReceptorSpec.ExpCurrent, 5.0)], 2500, 0.05),
            "interneuron" => (new InterneuronParameters(), [new ReceptorSpec("dendrite", ReceptorSpec.ExpCurrent, 5.0)], 2500, 0.05),
            "rate-circuit" => (RateCircuit(24), [], 24, 0),
            // 30-20-10 (40 cells), noisy (its task, the samples it is shown, is no parameter: the input stays at rest).
            "microcircuit" => (new MicrocircuitParameters { noise = 0.1, sample_duration = 10 }, [], 40, 0),
            "cable" => (new CablePopulationParameters(Cell(null)), [], 40, 0.002),
            "spike-generator" => (new SpikeGeneratorParameters { times = SpikeTrains(2500) }, [], 2500, 0),
            "poisson-generator" => (new PoissonGeneratorParameters { rate = 40.0, rate_times = [10.0], rates = [120.0] }, [], 2500, 0),
            "neurosynaptic-cores" => (Cores(10), [], 2560, 1.0),
            "step-current-generator" => (new StepCurrentParameters { amplitude_times = [1.0, 5.5], amplitude_values = [100.0, 0.0] }, [], 2500, 0),
            "noise-generator" => (new NoiseCurrentParameters { mean = 10.0, std = 5.0, dt_noise = 0.5 }, [], 2500, 0),
            _ => (Activator.CreateInstance(Plugins.Find<IPopulationModel>(model)!.ParametersType)!, [], 2500, 0),
        };
    }

    /// <summary>Off-grid spike times for a spike generator: neuron i fires 1 + i % 4 times within the 30 ms of a contract run.</summary>
    private static double[][] SpikeTrains(int n) =>
        [.. Enumerable.Range(0, n).Select(i => Enumerable.Range(0, 1 + i % 4).Select(k => 0.0137 * (i % 97) + 7.31 * k).ToArray())];

    /// <summary>Cores whose neurons fire on their leak (λ 1, α 3) and excite each other through random crossbars and routes.</summary>
    private static NeurosynapticCoresParameters Cores(int cores)
    {
        var random = new RandomStream(6, "contract", "cores").ForElement(0);
        var specs = new CoreSpec[cores];
        for (int c = 0; c < cores; c++)
        {
            var rows = new string[CoreSpec.Size];
            var digits = new char[CoreSpec.Size / 4];
            for (int i = 0; i < rows.Length; i++)
            {
                for (int d = 0; d < digits.Length; d++) digits[d] = random.NextDouble() < 0.1 ? "0123456789ABCDEF"[(int)random.NextUInt32(16)] : '0';
                rows[i] = new string(digits);
            }
            specs[c] = new CoreSpec
            {
                crossbar = rows,
                axon_types = [.. Enumerable.Range(0, CoreSpec.Size).Select(i => i % 4)],
                weights = [[1, 2, -1, 0]],
                leak = [1],
                threshold = [.. Enumerable.Range(0, CoreSpec.Size).Select(j => 3 + j % 5)],
                reset = c % 2 == 0 ? "zero" : "linear",
                routes = [.. Enumerable.Range(0, CoreSpec.Size).Where(j => j % 3 != 0).Select(j => new[] { j, (int)random.NextUInt32((uint)cores), (int)random.NextUInt32(CoreSpec.Size), 1 + j % 15 })],
            };
        }
        return new NeurosynapticCoresParameters { cores = specs };
    }

    private static RateCircuitParameters RateCircuit(int n)
    {
        var random = new RandomStream(5, "contract", "rate-circuit").ForElement(0);
        var w = new double[n][];
        for (int i = 0; i < n; i++)
        {
            w[i] = new double[n];
            for (int j = 0; j < n; j++) w[i][j] = (random.NextDouble() - 0.5) * 2.0 / Math.Sqrt(n);
        }
        return new RateCircuitParameters
        {
            tau = [.. Enumerable.Range(0, n).Select(i => 5.0 + i % 7)],
            W = w,
            b = [.. Enumerable.Range(0, n).Select(i => 0.01 * i)],
            U = [.. Enumerable.Range(0, n).Select(i => new[] { 0.1 * (i % 3) })],
            input_amplitude = [[1.0]],
            input_omega = [[0.3]],
            input_phase = [[0.2]],
        };
    }

    /// <summary>A ball and stick that fires under a clamp: hh on the soma, and <paramref name="extra"/> on the dendrite
    /// (a density mechanism) or at its middle (a point process named "probe"), plus a synapse "syn" for recurrent input.</summary>
    private static CableCell Cell(Mechanism? extra)
    {
        var m = new Morphology();
        m.AddCylinder("soma", 20, 20, kind: SectionKind.Soma);
        m.AddCylinder("dend", 200, 2, "soma", 1, SectionKind.Basal, ra: 100, nseg: 5);
        var cell = new CableCell(m).Insert(new HhMechanism(), "soma").Insert(new PassiveLeak(), "dend");
        cell.Place("clamp", new CurrentClamp { del = 1, dur = 100, amp = 0.5 }, "soma");
        cell.Place("syn", new ExpSynapse { tau = 2 }, "dend", 0.8);
        if (extra is { IsPointProcess: true }) cell.Place("probe", extra, "dend");
        else if (extra is not null) cell.Insert(extra, "dend");
        return cell;
    }

    private sealed class SpikeLog : IStepObserver
    {
        public List<(int Id, double Time)> Spikes { get; } = [];

        public void AfterStep(double t, IReadOnlyList<SpikeList> spikes)
        {
            for (int k = 0; k < spikes[0].Count; k++) Spikes.Add((spikes[0].Ids[k], spikes[0].Times[k]));
        }
    }

    private sealed record Outcome(List<(int Id, double Time)> Spikes, StateSnapshot State);

    /// <summary>A recurrent network of one population (random initial state of its first variable, fixed-probability
    /// projection onto its first input), run for <paramref name="steps"/> steps, optionally through a snapshot.</summary>
    private static Outcome Run(Func<IPopulation> build, double weight, int steps, int threads, int snapshotAt = -1)
    {
        var (simulation, log) = Network(build, weight, threads);
        if (snapshotAt >= 0)
        {
            simulation.Run(snapshotAt);
            var snapshot = simulation.Snapshot();
            var before = log.Spikes.ToList();
            (simulation, log) = Network(build, weight, threads);
            log.Spikes.AddRange(before);
            simulation.Restore(snapshot);
        }
        simulation.Run(steps - simulation.StepIndex);
        return new Outcome(log.Spikes, simulation.Snapshot());
    }

    private static (Simulator, SpikeLog) Network(Func<IPopulation> build, double weight, int threads)
    {
        var population = build();
        string first = population.VariableNames[0];
        var values = population.Variable(first);
        double spread = population.UnitOf(first) == "mV" ? 20.0 : 0.5;
        var random = new RandomStream(11, "net", "initial");
        for (int i = 0; i < values.Length; i++)
        {
            var element = random.ForElement((uint)i);
            values[i] += spread * (element.NextDouble() - 0.5);
        }
        var projections = new List<Projection>();
        if (population.InputNames.Count > 0)
        {
            var pattern = new FixedProbability().Build(new FixedProbabilityParameters(0.02), population.Size, population.Size, true,
                new RandomStream(11, "net", "connectivity"));
            var weights = new double[pattern.SynapseCount];
            Array.Fill(weights, weight);
            projections.Add(new Projection("rec", population.Name, population, population.InputNames[0], pattern, weights, 1.0));
        }
        var simulation = new Simulator([population], projections, 0.025, threads, minElementsForThreads: 0);
        var log = new SpikeLog();
        simulation.AddObserver(log);
        return (simulation, log);
    }

    private static Func<IPopulation> Builder(string model)
    {
        var (parameters, receptors, size, _) = Example(model);
        var m = Plugins.Find<IPopulationModel>(model)!;
        return () => m.Create("net", size, parameters, receptors, seed: 11);
    }

    private static void AssertSame(Outcome actual, Outcome expected)
    {
        Assert.That(actual.Spikes, Is.EqualTo(expected.Spikes));
        Assert.That(actual.State.Reals.Keys, Is.EquivalentTo(expected.State.Reals.Keys));
        foreach (var (key, values) in expected.State.Reals)
        {
            Assert.That(actual.State.Reals[key].Select(BitConverter.DoubleToInt64Bits), Is.EqualTo(values.Select(BitConverter.DoubleToInt64Bits)), key);
        }
    }

    [TestCaseSource(nameof(PopulationModels))]
    public void PopulationModelGivesTheSameBitsWithOneAndTwoThreads(string model)
    {
        var one = Run(Builder(model), Example(model).Weight, 1200, 1);
        var two = Run(Builder(model), Example(model).Weight, 1200, 2);
        TestContext.Out.WriteLine($"{model}: {one.Spikes.Count} spikes");
        AssertSame(two, one);
    }

    [TestCaseSource(nameof(PopulationModels))]
    public void PopulationModelSnapshotRoundTripIsBitExact(string model)
    {
        var straight = Run(Builder(model), Example(model).Weight, 1200, 1);
        var resumed = Run(Builder(model), Example(model).Weight, 1200, 2, snapshotAt: 600);
        AssertSame(resumed, straight);
    }

    [TestCaseSource(nameof(PopulationModels))]
    public void PopulationModelRejectsInvalidParametersByName(string model)
    {
        var m = Plugins.Find<IPopulationModel>(model)!;
        var (parameters, receptors, _, _) = Example(model);
        Assert.That(m.Validate(parameters), Is.Null, "the example is valid");
        int checkedFields = 0;
        foreach (var (field, invalid) in Invalidated(parameters))
        {
            checkedFields++;
            Assert.That(m.Validate(invalid), Does.StartWith(field + ":"), field);
            var error = Assert.Throws<ArgumentException>(() => m.Create("pop", Example(model).Size, invalid, receptors))!;
            Assert.That(error.Message, Does.Contain("'pop'").And.Contain(field + ":"), field);
        }
        if (checkedFields == 0)
        {
            // A cable cell's parameters are its mechanisms, checked as the cell is described: see MechanismRejectsInvalidParametersByName.
            Assert.That(m.Compartmental, Is.True, $"model '{model}' has no numeric parameter to check");
        }
    }

    [TestCaseSource(nameof(MechanismNames))]
    public void MechanismRejectsInvalidParametersByName(string name)
    {
        var prototype = Plugins.Find<Mechanism>(name)!;
        Assert.That(prototype.Validate(), Is.Null);
        int checkedFields = 0;
        foreach (var property in Settable(prototype.GetType()).Where(p => p.PropertyType == typeof(double)))
        {
            checkedFields++;
            var invalid = Plugins.Find<Mechanism>(name)!;
            property.SetValue(invalid, double.NaN);
            Assert.That(invalid.Validate(), Does.StartWith(property.Name + ":"), property.Name);
            var error = Assert.Throws<ArgumentException>(() => Cell(invalid))!;
            Assert.That(error.Message, Does.Contain(property.Name + ":"), property.Name);
        }
        Assert.That(checkedFields, Is.GreaterThan(0), $"mechanism '{name}' has no numeric parameter");
    }

    [TestCaseSource(nameof(MechanismNames))]
    public void MechanismGivesTheSameBitsWithOneAndTwoThreadsAndThroughASnapshot(string name)
    {
        IPopulation Build() => new CablePopulation("net", 40, Cell(Plugins.Find<Mechanism>(name)));
        var one = Run(Build, 0.002, 1200, 1);
        var two = Run(Build, 0.002, 1200, 2);
        var resumed = Run(Build, 0.002, 1200, 2, snapshotAt: 600);
        Assert.That(one.Spikes, Is.Not.Empty);
        AssertSame(two, one);
        AssertSame(resumed, one);
    }

    /// <summary>Parameters of each rule for the contracts: JSON as experiment files give it ("{}" for rules with defaults only).</summary>
    private static object RuleParameters(IConnectivityRule rule, string name) => JsonSerializer.Deserialize(name switch
    {
        "fixed-probability" => """{"p": 0.1}""",
        "fixed-indegree" => """{"indegree": 7}""",
        _ => "{}",
    }, rule.ParametersType)!;

    [TestCaseSource(nameof(RuleNames))]
    public void ConnectivityRuleGivesTheSameBitsForTheSameSeed(string name)
    {
        var rule = Plugins.Find<IConnectivityRule>(name)!;
        object parameters = RuleParameters(rule, name);
        Assert.That(rule.Validate(parameters, 300, 300), Is.Null);
        var a = rule.Build(parameters, 300, 300, true, new RandomStream(3, "p", "connectivity"));
        var b = rule.Build(parameters, 300, 300, true, new RandomStream(3, "p", "connectivity"));
        Assert.That(a.SynapseCount, Is.GreaterThan(0));
        Assert.That(b.RowStart.ToArray(), Is.EqualTo(a.RowStart.ToArray()));
        Assert.That(b.Targets.ToArray(), Is.EqualTo(a.Targets.ToArray()));
    }

    [TestCaseSource(nameof(RuleNames))]
    public void ConnectivityRuleRejectsInvalidParametersByName(string name)
    {
        var rule = Plugins.Find<IConnectivityRule>(name)!;
        foreach (var (field, invalid) in Invalidated(RuleParameters(rule, name)))
        {
            Assert.That(rule.Validate(invalid, 300, 300), Does.StartWith(field + ":"), field);
        }
    }

    private static IEnumerable<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.SetMethod!.IsPublic);

    /// <summary>Copies of a parameters record with one field made invalid: a double NaN, an int −1, one entry of an array NaN.</summary>
    private static IEnumerable<(string Field, object Invalid)> Invalidated(object parameters)
    {
        var type = parameters.GetType();
        var clone = type.GetMethod("<Clone>$") ?? throw new AssertionException($"{type.Name} is not a record");
        foreach (var property in Settable(type))
        {
            object? value = property.GetValue(parameters);
            object? bad = value switch
            {
                double => double.NaN,
                int => -1,
                double[] array when array.Length > 0 => array.Select((x, i) => i == 0 ? double.NaN : x).ToArray(),
                double[][] matrix when matrix.Length > 0 => matrix.Select((row, i) => i == 0 ? row.Select(_ => double.NaN).ToArray() : row).ToArray(),
                _ => null,
            };
            if (bad is null) continue;
            var copy = clone.Invoke(parameters, null)!;
            property.SetValue(copy, bad);
            yield return (property.Name, copy);
        }
    }
}
