using System.Text.Json;
using BioSim.Circuits.Cells;
using BioSim.Circuits.Mechanisms;
using BioSim.Circuits.Morphology;
using BioSim.Engine.Cable;
using BioSim.IO.Swc;
using BioSim.Tests.Circuits.Cable;
using BioSim.Tests.IO;
using NUnit.Framework;

namespace BioSim.Tests.Validation;

/// <summary>
/// The same SWC file loaded by BioSim's <see cref="SwcReader"/> and by NEURON 8.2's Import3d (tests/scripts/swc_neuron.py,
/// run with /usr/bin/python3): sections (names, parents, attachment points, lengths, nseg by the d_lambda rule, areas),
/// total membrane area, input resistance at soma(0.5) (NEURON: h.Impedance at 0 Hz) and a passive transient (IClamp
/// 0.05 nA for 10 ms at the soma, backward Euler, dt 0.025 ms). Ra 100 Ω·cm, cm 1 µF/cm², pas g 1e-4 S/cm² everywhere.
/// The cell, tests/data/small-pyramid*.swc, is synthetic (13 sections: apical trunk with two tufts and an oblique, two
/// branching basal dendrites, an axon; tapering, 3-d), with the soma in the three SWC conventions.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class SwcNeuronTests
{
    private const double Dt = 0.025;

    /// <summary>
    /// A one-point soma and NeuroMorpho's three-point soma both become a cylinder of length = diameter = 2r in both
    /// simulators, dendrites start at their own first point and hang from soma(0.5): the geometry is the same. NEURON
    /// keeps 3-d points in single precision (pt3d is float), so lengths and areas agree to ~2e-8 relative, not to double
    /// round-off: bound 1e-6. Input resistance (measured 1.3e-8 relative apart; NEURON's Impedance solves the same matrix
    /// at 0 Hz, BioSim's value comes from backward-Euler steps of 1e5 ms, whose capacitive term is ~1e-8 of the leak):
    /// bound 1e-6. Transient (measured 4.6e-8 mV, same arithmetic as in <see cref="NeuronCellsTests"/>): bound 1e-6 mV.
    /// </summary>
    [TestCase("small-pyramid.swc")]
    [TestCase("small-pyramid-1point.swc")]
    public void PointSomaMatchesImport3d(string file)
    {
        var (neuron, ours, population) = Load(file);
        Assert.That(ours.Sections.Select(s => s.Name), Is.EquivalentTo(neuron.Select(s => s.Name)), "section names");
        foreach (var n in neuron)
        {
            var s = ours[n.Name];
            Assert.That(s.Parent?.Name, Is.EqualTo(n.Parent), $"{n.Name}: parent");
            if (n.ParentX is double px) Assert.That(s.ParentX, Is.EqualTo(px).Within(1e-12), $"{n.Name}: parent x");
            Assert.That(s.Length, Is.EqualTo(n.L).Within(1e-6 * n.L), $"{n.Name}: L");
            Assert.That(population.Layout.SegmentsOf(s), Is.EqualTo(n.Nseg), $"{n.Name}: nseg (d_lambda)");
            Assert.That(SectionArea(population, s), Is.EqualTo(n.Area).Within(1e-6 * n.Area), $"{n.Name}: area");
        }
        var reference = Reference(file).RootElement;
        double totalArea = population.Layout.NodeArea.Sum();
        Assert.That(totalArea, Is.EqualTo(reference.GetProperty("total_area").GetDouble()).Within(1e-6 * totalArea), "total area");
        double rin = InputResistance(ours), rinNeuron = reference.GetProperty("input_resistance").GetDouble();
        TestContext.Out.WriteLine($"{file}: {ours.Sections.Count} sections, area {totalArea:F3} µm², R_in BioSim {rin:F6} MΩ, NEURON {rinNeuron:F6} MΩ");
        Assert.That(rin, Is.EqualTo(rinNeuron).Within(1e-6 * rinNeuron), "input resistance");
        double maxDv = TransientDifference(ours, reference);
        TestContext.Out.WriteLine($"{file}: passive transient, max |ΔV| {maxDv:E2} mV");
        Assert.That(maxDv, Is.LessThan(1e-6));
    }

    /// <summary>
    /// A soma given as a closed outline (13 points, an 18 × 14 µm ellipse, radius 0.5 µm at each point): BioSim takes it
    /// as a contour and makes the cylinder of length = diameter = twice the mean distance of the points from their
    /// centroid (16.1 µm: area 817 µm², about the outlined cell body); NEURON's SWC reader takes the points as a chain of
    /// frusta with their radii (a 1 µm-wide tube 49.9 µm long: 157 µm²), attaches the dendrites at soma(0) (the first
    /// contour point is the soma's arc 0) and starts each soma child at that contour point (longer first sections).
    /// Measured: R_in 153.2 MΩ (BioSim) against 184.3 MΩ (NEURON). What does not touch the soma is the same: the section
    /// tree and names, and the lengths and areas of every section whose parent is not the soma (bound 1e-6, as above).
    /// </summary>
    [Test]
    public void ContourSomaDiffersOnlyAtTheSoma()
    {
        var (neuron, ours, population) = Load("small-pyramid-contour.swc");
        Assert.That(ours.Sections.Select(s => s.Name), Is.EquivalentTo(neuron.Select(s => s.Name)), "section names");
        int compared = 0;
        foreach (var n in neuron.Where(n => n.Parent is not null && n.Parent != "soma"))
        {
            var s = ours[n.Name];
            Assert.That(s.Parent?.Name, Is.EqualTo(n.Parent), $"{n.Name}: parent");
            Assert.That(s.Length, Is.EqualTo(n.L).Within(1e-6 * n.L), $"{n.Name}: L");
            Assert.That(SectionArea(population, s), Is.EqualTo(n.Area).Within(1e-6 * n.Area), $"{n.Name}: area");
            compared++;
        }
        Assert.That(compared, Is.EqualTo(8));
        var soma = neuron.Single(n => n.Name == "soma");
        double ourSoma = SectionArea(population, ours["soma"]);
        var reference = Reference("small-pyramid-contour.swc").RootElement;
        TestContext.Out.WriteLine($"contour soma: BioSim L = diam = {ours["soma"].Length:F3} µm, area {ourSoma:F1} µm²; NEURON L {soma.L:F3} µm, area {soma.Area:F1} µm²; " +
            $"R_in BioSim {InputResistance(ours):F2} MΩ, NEURON {reference.GetProperty("input_resistance").GetDouble():F2} MΩ");
        // The documented difference, as measured: NEURON's chain-of-frusta soma has under a fifth of the outlined area.
        Assert.That(soma.Area, Is.LessThan(0.2 * ourSoma));
        Assert.That(ourSoma, Is.EqualTo(Math.PI * ours["soma"].Length * ours["soma"].Length).Within(1e-9 * ourSoma));
    }

    private sealed record NeuronSection(string Name, double L, int Nseg, double Area, string? Parent, double? ParentX);

    private static readonly Dictionary<string, JsonDocument> Cache = [];

    private static JsonDocument Reference(string file)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(file, out var doc)) Cache[file] = doc = JsonDocument.Parse(ExternalTools.RunPythonScript("swc_neuron.py", TestPaths.Data(file)));
            return doc;
        }
    }

    private static (List<NeuronSection> Neuron, Morphology Ours, CablePopulation Population) Load(string file)
    {
        var neuron = Reference(file).RootElement.GetProperty("sections").EnumerateArray().Select(s => new NeuronSection(
            s.GetProperty("name").GetString()!, s.GetProperty("L").GetDouble(), s.GetProperty("nseg").GetInt32(), s.GetProperty("area").GetDouble(),
            s.GetProperty("parent").ValueKind == JsonValueKind.Null ? null : s.GetProperty("parent").GetString(),
            s.GetProperty("parent_x").ValueKind == JsonValueKind.Null ? null : s.GetProperty("parent_x").GetDouble())).ToList();
        var morphology = SwcReader.Read(TestPaths.Data(file), ra: 100, cm: 1);
        var population = new CablePopulation("cell", 1, Passive(morphology, amp: 0));
        Assert.That(morphology.Sections, Has.Count.EqualTo(neuron.Count), "number of sections");
        return (neuron, morphology, population);
    }

    private static CableCell Passive(Morphology morphology, double amp, double del = 1, double dur = 10)
    {
        var cell = new CableCell(morphology, Discretisation.DLambdaRule) { VInit = -65 };
        cell.Insert(new PassiveLeak { g = 1e-4, e = -65 });
        cell.Place("stim", new CurrentClamp { del = del, dur = dur, amp = amp }, "soma", 0.5);
        return cell;
    }

    private static double SectionArea(CablePopulation population, Section section) =>
        population.Layout.MembraneNodes(section).Sum(i => population.Layout.NodeArea[i]);

    /// <summary>Steady-state ΔV/I at soma(0.5) for 0.01 nA: backward Euler with dt = 1e5 ms reaches the steady state in a few steps.</summary>
    private static double InputResistance(Morphology morphology)
    {
        const double amp = 0.01, dt = 1e5;
        var population = new CablePopulation("rin", 1, Passive(morphology, amp, del: 0, dur: 1e9));
        int soma = population.Node("soma", 0.5);
        var run = CableRunner.Run(population, dt, 10 * dt, [soma]);
        return (run.Traces[0][^1] + 65) / amp;
    }

    private static double TransientDifference(Morphology morphology, JsonElement reference)
    {
        var population = new CablePopulation("cell", 1, Passive(morphology, 0.05), CableMethod.BackwardEuler);
        var run = CableRunner.Run(population, Dt, 20, [population.Node("soma", 0.5)]);
        var expected = reference.GetProperty("transient").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        Assert.That(expected, Has.Length.EqualTo(800));
        double max = 0;
        for (int k = 0; k < expected.Length; k++) max = Math.Max(max, Math.Abs(run.Traces[0][k + 1] - expected[k]));
        return max;
    }
}
