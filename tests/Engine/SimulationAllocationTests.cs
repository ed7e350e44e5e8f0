using BioSim.Circuits.Connectivity;
using BioSim.Circuits.Neurons.Lif;
using BioSim.Circuits.Projections;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;
using NUnit.Framework;

namespace BioSim.Tests.Engine;

[TestFixture, Category("Unit")]
public sealed class SimulationAllocationTests
{
    /// <summary>
    /// STYLE.md: no allocation inside a step. A recurrent LIF network (neuron update, in-step crossings, sorting,
    /// delivery with and without delay, ring advance) allocates nothing per step once its spike buffers have grown.
    /// </summary>
    [Test]
    public void NetworkStepDoesNotAllocate([Values(1, 2)] int threads)
    {
        var p = new LifParameters { tau_m = 20, E_L = -49, V_th = -50, V_reset = -60, t_ref = 5 };
        var population = new LifPopulation("exc", 3001, p, [new ReceptorSpec("exc", ReceptorSpec.ExpCurrent, 5), new ReceptorSpec("inh", ReceptorSpec.ExpCurrent, 10)]);
        var v = population.Variable("V");
        var init = new RandomStream(3, "exc", "initial/V");
        for (int i = 0; i < v.Length; i++) v[i] = -60 + 10 * init.ForElement((uint)i).NextDouble();
        var rule = new FixedProbability();
        var fast = new Projection("fast", "exc", population, "exc",
            rule.Build(new FixedProbabilityParameters(0.02), 3001, 3001, true, new RandomStream(3, "fast", "connectivity")), 0.5, 0.0);
        var slow = new Projection("slow", "exc", population, "inh",
            rule.Build(new FixedProbabilityParameters(0.02), 3001, 3001, true, new RandomStream(3, "slow", "connectivity")), -1.0, 1.5);
        // minElementsForThreads 0: two threads really step this small network together.
        using var sim = new Simulator([population], [fast, slow], 0.1, threads, minElementsForThreads: 0);
        sim.Run(500);
        // The calling thread's allocations (the workers' own loop is covered by StepTeamTests).
        long before = GC.GetAllocatedBytesForCurrentThread();
        sim.Run(1000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero);
    }

    /// <summary>
    /// The same for multi-compartment cells: 12 cells with hh, passive dendrites, a clamp, synapses and recurrent events
    /// (the cable benchmark's cell), stepped on one or two threads, allocate nothing per step on the calling thread (the
    /// per-thread scratch and the hh vectors are made once).
    /// </summary>
    [Test]
    public void CableStepDoesNotAllocate([Values(1, 2)] int threads)
    {
        var m = new BioSim.Circuits.Morphology.Morphology();
        m.AddCylinder("soma", 20, 20, kind: BioSim.Circuits.Morphology.SectionKind.Soma, nseg: 1);
        m.AddCylinder("apic", 600, 3, "soma", 1, BioSim.Circuits.Morphology.SectionKind.Apical, nseg: 21);
        m.AddCylinder("dend", 200, 1.5, "soma", 0, BioSim.Circuits.Morphology.SectionKind.Basal, nseg: 7);
        var cell = new BioSim.Circuits.Cells.CableCell(m);
        cell.Insert(new BioSim.Circuits.Mechanisms.HhMechanism(), "soma", "apic");
        cell.Insert(new BioSim.Circuits.Mechanisms.PassiveLeak(), "dend");
        cell.Place("stim", new BioSim.Circuits.Mechanisms.CurrentClamp { del = 0, dur = 1e9, amp = 0.3 }, "soma", 0.5);
        cell.Place("syn", new BioSim.Circuits.Mechanisms.ExpSynapse { tau = 2, e = 0 }, "apic", 0.5);
        const int cells = 12;
        var population = new BioSim.Circuits.Cells.CablePopulation("cells", cells, cell);
        var sources = new int[cells][];
        for (int i = 0; i < cells; i++) sources[i] = [(i + 1) % cells, (i + 2) % cells];
        var pattern = ConnectivityPattern.FromColumns(sources, cells);
        var ring = new Projection("ring", "cells", population, "syn", pattern, 0.001, 1.0);
        using var sim = new Simulator([population], [ring], 0.025, threads, minElementsForThreads: 0);
        sim.Run(2000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        sim.Run(2000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero);
    }
}
