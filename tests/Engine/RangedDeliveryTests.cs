using BioSim.Circuits.Connectivity;
using BioSim.Circuits.Neurons.Lif;
using BioSim.Circuits.Projections;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;
using NUnit.Framework;

namespace BioSim.Tests.Engine;

/// <summary>
/// Delivery of a step's spikes split by target range over threads (grid timing) against delivery by one thread: each
/// target must receive its inputs in the same order, so states and spikes agree bit for bit. The network mixes what a
/// range split has to get right: per-synapse weights and delays, zero delay (straight into the state), two projections
/// into one receptor, a range boundary inside rows, and a population whose incoming projection has unsorted rows (which
/// must fall back to one thread).
/// </summary>
[TestFixture, Category("Unit")]
public sealed class RangedDeliveryTests
{
    private const int SizeA = 1000, SizeB = 301;

    private static (Simulator Simulation, LifPopulation A, LifPopulation B, ITransmitter[] Projections) Network(int threads, int minDeliveries)
    {
        var receptors = new[] { new ReceptorSpec("exc", ReceptorSpec.ExpCurrent, 2.0), new ReceptorSpec("inh", ReceptorSpec.ExpCurrent, 5.0) };
        var a = new LifPopulation("a", SizeA, new LifParameters { I_e = 25.0 }, receptors);
        var b = new LifPopulation("b", SizeB, new LifParameters { I_e = 22.0 }, receptors);
        var random = new RandomStream(5, "ranged", "initial-V");
        foreach (var (population, size) in new[] { (a, SizeA), (b, SizeB) })
        {
            var v = population.Variable("V");
            for (int i = 0; i < size; i++) v[i] += -10.0 + 15.0 * random.ForElement((uint)(i + (population == a ? 0 : SizeA))).NextDouble();
        }
        var connect = new FixedProbability();
        var aa = connect.Build(new FixedProbabilityParameters(0.05), SizeA, SizeA, true, new RandomStream(5, "ranged", "aa"));
        var weights = new double[aa.SynapseCount];
        var delays = new double[aa.SynapseCount];
        var draw = new RandomStream(5, "ranged", "weights");
        for (int k = 0; k < weights.Length; k++)
        {
            var e = draw.ForElement((uint)k);
            weights[k] = 0.1 + 0.4 * e.NextDouble();
            delays[k] = 0.1 + 2.0 * e.NextDouble();
        }
        var ab = connect.Build(new FixedProbabilityParameters(0.1), SizeA, SizeB, true, new RandomStream(5, "ranged", "ab"));
        // b → a with every row reversed: targets descending, so a (and with it every projection into a) cannot be split.
        var ba = connect.Build(new FixedProbabilityParameters(0.1), SizeB, SizeA, true, new RandomStream(5, "ranged", "ba"));
        var reversed = ba.Targets.ToArray();
        for (int i = 0; i < SizeB; i++) reversed.AsSpan(ba.RowStart[i], ba.RowStart[i + 1] - ba.RowStart[i]).Reverse();
        var baReversed = new ConnectivityPattern(ba.RowStart.ToArray(), reversed, SizeA);
        var bb = connect.Build(new FixedProbabilityParameters(0.2), SizeB, SizeB, true, new RandomStream(5, "ranged", "bb"));
        ITransmitter[] projections =
        [
            new Projection("aa", "a", a, "exc", aa, weights, 0.0, delays),
            new Projection("ab-exc", "a", b, "exc", ab, 0.3, 0.0),
            new Projection("ab-exc-again", "a", b, "exc", ab, weights.AsSpan(0, ab.SynapseCount).ToArray(), 0.7),
            new Projection("bb-inh", "b", b, "inh", bb, -0.2, 1.3),
            new Projection("ba", "b", a, "inh", baReversed, -0.25, 0.5),
        ];
        var simulation = new Simulator([a, b], projections, 0.1, threads, minElementsForThreads: 0, minDeliveriesForThreads: minDeliveries);
        return (simulation, a, b, projections);
    }

    [TestCase(2)]
    [TestCase(3)]
    public void SplitDeliveryGivesTheSameStatesAndSpikesAsOneThread(int threads)
    {
        var (one, a1, b1, _) = Network(1, int.MaxValue);
        var (split, a2, b2, _) = Network(threads, 0);
        Assert.That(split.DeliversByTargetRange, Is.True);
        long spikes = 0;
        for (int n = 0; n < 2000; n++)
        {
            one.Step();
            split.Step();
            for (int p = 0; p < 2; p++)
            {
                Assert.That(split.LastSpikes[p].Ids.ToArray(), Is.EqualTo(one.LastSpikes[p].Ids.ToArray()), $"step {n}, population {p}");
                Assert.That(split.LastSpikes[p].Times.ToArray(), Is.EqualTo(one.LastSpikes[p].Times.ToArray()), $"step {n}, population {p}");
                spikes += one.LastSpikes[p].Count;
            }
        }
        // Enough activity that every kind of synapse delivered many times (expected from the drive: both populations fire).
        Assert.That(spikes, Is.GreaterThan(5000));
        foreach (var (x, y) in new[] { (a1, a2), (b1, b2) })
        {
            foreach (var name in x.VariableNames)
            {
                Assert.That(y.Variable(name), Is.EqualTo(x.Variable(name)), $"{x.Name}.{name} after 200 ms");
            }
        }
        split.Dispose();
    }

    [Test]
    public void ProjectionWithUnsortedRowsCannotBeSplitAndOneWithSortedRowsCan()
    {
        var (simulation, _, _, transmitters) = Network(2, 0);
        Assert.That(transmitters.Select(t => t.CanTransmitByTargetRange), Is.EqualTo(new[] { true, true, true, true, false }));
        simulation.Dispose();
    }
}
