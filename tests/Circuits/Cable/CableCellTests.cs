using BioSim.Circuits;
using BioSim.Circuits.Cells;
using BioSim.Circuits.Mechanisms;
using BioSim.Circuits.Morphology;
using BioSim.Engine.Cable;
using BioSim.Engine.Plugins;
using BioSim.Engine.Simulation;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Circuits.Cable;

[TestFixture, Category("Unit")]
public sealed class CableCellTests
{
    private static Morphology BallAndStick()
    {
        var m = new Morphology();
        m.AddCylinder("soma", 20, 20, kind: SectionKind.Soma);
        m.AddCylinder("dend", 500, 2, "soma", 1, SectionKind.Basal, ra: 100);
        return m;
    }

    [Test]
    public void AMechanismOnAMissingSectionNamesItAndTheKnownOnes()
    {
        var cell = new CableCell(BallAndStick());
        var e = Assert.Throws<ArgumentException>(() => cell.Insert(new HhMechanism(), "soma", "apical"))!;
        Assert.That(e.Message, Does.Contain("section 'apical' does not exist").And.Contain("soma, dend"));
        var p = Assert.Throws<ArgumentException>(() => cell.Place("syn", new ExpSynapse(), "axon", 0.5))!;
        Assert.That(p.Message, Does.Contain("Point process 'syn'").And.Contain("section 'axon' does not exist"));
        var bad = Assert.Throws<ArgumentException>(() => cell.Insert(new PassiveLeak { g = -1 }))!;
        Assert.That(bad.Message, Does.Contain("g: must be a non-negative"));
        var parent = Assert.Throws<ArgumentException>(() => BallAndStick().AddCylinder("x", 10, 1, "nowhere"))!;
        Assert.That(parent.Message, Does.Contain("parent 'nowhere' does not exist"));
    }

    /// <summary>NEURON's d_lambda rule (stdlib.hoc lambda_f at 100 Hz, d_lambda 0.1); reference values from NEURON 8.2 in neuron_cells.json (7, 9, 9) and by hand here.</summary>
    [Test]
    public void DLambdaRuleGivesOddSegmentCounts()
    {
        var m = BallAndStick();
        // λ_100 = 1e5 √(2/(4π·100·100·1)) = 398.9 µm; L/(0.1 λ) = 12.53 → 2⌊(12.53 + 0.9)/2⌋ + 1 = 13.
        Assert.That(Discretisation.DLambdaRule.SegmentsOf(m["dend"]), Is.EqualTo(13));
        Assert.That(Discretisation.DLambdaRule.SegmentsOf(m["soma"]), Is.EqualTo(1));
    }

    /// <summary>exp2syn.mod normalises the peak of g = B − A to the weight: the peak over time equals the weight (to the 1e-4 of a 0.001 ms sampling).</summary>
    [Test]
    public void Exp2SynapsePeaksAtTheWeight()
    {
        var m = new Morphology();
        m.AddCylinder("soma", 20, 20);
        var cell = new CableCell(m);
        cell.Insert(new PassiveLeak());
        cell.Place("syn", new Exp2Synapse { tau1 = 0.5, tau2 = 5 }, "soma");
        var population = new CablePopulation("c", 1, cell);
        var sim = new Simulator([population], [], 0.001);
        population.Input("syn").Current[0] = 0.01;
        double peak = 0;
        var synapse = population.PointProcess("syn");
        for (int n = 0; n < 10000; n++)
        {
            sim.Step();
            peak = Math.Max(peak, synapse.State("B")[0] - synapse.State("A")[0]);
        }
        TestContext.Out.WriteLine($"Exp2Syn peak {peak:R} µS for weight 0.01 µS: relative error {peak / 0.01 - 1:E2}");
        // The normalisation makes the continuous peak the weight; sampled every 1 µs the maximum falls short by the
        // grid's offset from the true peak time: measured −9.2e-9 relative. Asserted 1e-7 relative (11 times).
        Assert.That(peak, Is.EqualTo(0.01).Within(1e-9));
    }

    [Test]
    public void SnapshotRoundTripIsBitExactAndStepsDoNotAllocate()
    {
        CablePopulation Make()
        {
            var cell = new CableCell(BallAndStick(), Discretisation.DLambdaRule);
            cell.Insert(new HhMechanism(), "soma");
            cell.Insert(new PassiveLeak { e = -65 }, "dend");
            cell.Place("syn", new ExpSynapse { tau = 2 }, "dend", 0.7);
            cell.Place("stim", new CurrentClamp { del = 1, dur = 20, amp = 0.2 }, "soma");
            return new CablePopulation("cells", 3, cell, CableMethod.CrankNicolson);
        }
        var a = Make();
        var simA = new Simulator([a], [], 0.025);
        for (int n = 0; n < 200; n++)
        {
            if (n % 37 == 0) a.Input("syn").Current[n % 3] += 0.01;
            simA.Step();
        }
        var snapshot = simA.Snapshot();
        var b = Make();
        var simB = new Simulator([b], [], 0.025);
        simB.Restore(snapshot);
        long before = GC.GetAllocatedBytesForCurrentThread();
        simA.Run(400);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        simB.Run(400);
        Assert.That(b.Voltages.ToArray(), Is.EqualTo(a.Voltages.ToArray()));
        Assert.That(allocated, Is.LessThan(400 * 64), "no allocation per cell step (the loop itself may allocate a few bytes per step)");
    }

    /// <summary>Cells are split into chunks fixed by the population (about 4096 nodes each), so 1 and 2 threads give the same bits, recurrent synapses included.</summary>
    [Test]
    public void ThreadCountDoesNotChangeTheResult()
    {
        double[] Run(int threads)
        {
            var m = new Morphology();
            m.AddCylinder("soma", 20, 20, nseg: 1);
            m.AddCylinder("dend", 500, 2, "soma", 1, nseg: 600);
            var cell = new CableCell(m);
            cell.Insert(new HhMechanism(), "soma");
            cell.Insert(new PassiveLeak { e = -65 }, "dend");
            cell.Place("syn", new ExpSynapse { tau = 2 }, "dend", 0.1);
            cell.Place("stim", new CurrentClamp { del = 1, dur = 20, amp = 0.3 }, "soma");
            var population = new CablePopulation("cells", 30, cell);
            Assert.That(population.ParallelChunk, Is.LessThan(10), "several chunks");
            var sources = Enumerable.Range(0, 30).Select(i => new[] { (i + 1) % 30, (i + 7) % 30 }).ToArray();
            var pattern = BioSim.Circuits.Connectivity.ConnectivityPattern.FromColumns(sources, 30);
            var projection = new BioSim.Circuits.Projections.Projection("rec", "cells", population, "syn", pattern,
                Enumerable.Range(0, pattern.SynapseCount).Select(k => 0.001 * (1 + k % 5)).ToArray(), 0.5);
            var sim = new Simulator([population], [projection], 0.025, threads);
            sim.Run(800);
            return population.Voltages.ToArray();
        }
        Assert.That(Run(2), Is.EqualTo(Run(1)));
    }

    [Test]
    public void MechanismsAreRegisteredUnderNeuronsNames()
    {
        using var services = new ServiceCollection().AddCircuits().BuildServiceProvider();
        var catalogue = services.GetRequiredService<Catalogue>();
        Assert.That(catalogue.Names<Mechanism>(), Is.EqualTo(new[] { "Exp2Syn", "ExpSyn", "IClamp", "hh", "pas" }));
        Assert.That(catalogue.Find<Mechanism>("hh"), Is.TypeOf<HhMechanism>());
        Assert.That(catalogue.Find<Mechanism>("pas"), Is.Not.SameAs(catalogue.Find<Mechanism>("pas")), "a fresh description each time");
    }
}
