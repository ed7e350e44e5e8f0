using BioSim.Circuits.Morphology;
using BioSim.IO.Swc;
using NUnit.Framework;

namespace BioSim.Tests.IO;

[TestFixture, Category("Unit")]
public sealed class SwcReaderTests
{
    private const string BallAndStick = """
        # ball and stick: soma radius 10 µm at the origin, a basal dendrite of radius 1 µm along x from the soma surface
        1 1 0 0 0 10 -1
        2 3 10 0 0 1 1
        3 3 210 0 0 1 2
        4 3 410 0 0 1 3
        5 3 610 0 0 1 4
        6 3 810 0 0 1 5
        """;

    /// <summary>
    /// Reference: the same cell built in code (soma cylinder 20 × 20 µm, dendrite 800 × 2 µm at soma(0.5)).
    /// A one-point soma of radius r is NEURON's Import3d cylinder of length = diameter = 2r, so the discretised
    /// cells must be identical: same node areas and capacitances, axial conductances equal to round-off.
    /// </summary>
    [Test]
    public void OnePointSomaAndAStraightDendriteGiveTheBallAndStick()
    {
        var read = SwcReader.Parse(Lines(BallAndStick), "bs.swc");
        Assert.That(read.Sections.Select(s => s.Name), Is.EqualTo(new[] { "soma", "dend[0]" }));
        Assert.That(read["dend[0]"].Kind, Is.EqualTo(SectionKind.Basal));
        Assert.That(read["dend[0]"].Length, Is.EqualTo(800).Within(1e-9));
        Assert.That(read["dend[0]"].Parent!.Name, Is.EqualTo("soma"));
        var built = new Morphology();
        built.AddCylinder("soma", 20, 20, kind: SectionKind.Soma);
        built.AddCylinder("dend", 800, 2, "soma", 0.5, SectionKind.Basal);
        var d = new Discretisation { Nseg = 9 };
        var a = new CompartmentLayout(read, d);
        var b = new CompartmentLayout(built, d);
        Assert.That(a.NodeCount, Is.EqualTo(b.NodeCount));
        for (int i = 0; i < a.NodeCount; i++)
        {
            Assert.That(a.NodeArea[i], Is.EqualTo(b.NodeArea[i]).Within(1e-9 * (1 + b.NodeArea[i])), $"area of node {i}");
            Assert.That(a.Tree.Parent[i], Is.EqualTo(b.Tree.Parent[i]));
            if (i > 0) Assert.That(a.Tree.AxialConductance[i], Is.EqualTo(b.Tree.AxialConductance[i]).Within(1e-12 * b.Tree.AxialConductance[i]), $"axial conductance of node {i}");
        }
    }

    [Test]
    public void BranchPointsStartNewSectionsAtTheParentsLastPoint()
    {
        var m = SwcReader.Parse(Lines("""
            1 1 0 0 0 5 -1
            2 4 0 5 0 2 1
            3 4 0 105 0 1.5 2
            4 4 -30 145 0 1 3
            5 4 30 145 0 1 3
            6 3 0 -5 0 1 1
            7 2 5 0 0 0.5 1
            8 2 55 0 0 0.5 7
            """), "y.swc");
        Assert.That(m.Sections.Select(s => s.Name), Is.EquivalentTo(new[] { "soma", "apic[0]", "apic[1]", "apic[2]", "dend[0]", "axon[0]" }));
        var trunk = m["apic[0]"];
        Assert.That(trunk.Length, Is.EqualTo(100).Within(1e-12));
        var branches = m.Sections.Where(s => s.Parent == trunk).ToArray();
        Assert.That(branches, Has.Length.EqualTo(2));
        foreach (var br in branches)
        {
            Assert.That(br.ParentX, Is.EqualTo(1.0));
            Assert.That(br.Length, Is.EqualTo(50).Within(1e-12), "starts at the branch point (0, 105), ends 50 µm away");
            Assert.That(br.Points[0].Diameter, Is.EqualTo(3.0), "the copied branch point keeps its diameter");
        }
        // A one-point dendrite off the soma runs from the soma centre to its point.
        Assert.That(m["dend[0]"].Length, Is.EqualTo(5).Within(1e-12));
    }

    [Test]
    public void ThreePointSomaAndContourGiveASphereEquivalentCylinder()
    {
        var three = SwcReader.Parse(Lines("""
            1 1 0 0 0 8 -1
            2 1 0 -8 0 8 1
            3 1 0 8 0 8 1
            4 3 8 0 0 1 1
            5 3 108 0 0 1 4
            """), "three.swc");
        Assert.That(three["soma"].Length, Is.EqualTo(16));
        Assert.That(three["soma"].Piece(0, 16).Area, Is.EqualTo(4 * Math.PI * 64).Within(1e-9));
        // A closed square outline of half-width 5 µm: mean distance from the centroid over its 5 points (4 corners + the repeat).
        var contour = SwcReader.Parse(Lines("""
            1 1 5 5 0 0.1 -1
            2 1 -5 5 0 0.1 1
            3 1 -5 -5 0 0.1 2
            4 1 5 -5 0 0.1 3
            5 1 5 5 0 0.1 4
            6 3 5 0 0 1 1
            7 3 105 0 0 1 6
            """), "contour.swc");
        Assert.That(contour["soma"].Length, Is.GreaterThan(10).And.LessThan(16));
        Assert.That(contour["soma"].Points[0].Diameter, Is.EqualTo(contour["soma"].Length));
    }

    [TestCase("1 1 0 0 0 5 -1\n2 3 0 5 0 1 1\n3 3 0 10 0 1 7\n", "m.swc:3:", "parent 7 does not exist")]
    [TestCase("1 1 0 0 0 5 -1\n2 3 0 5 0 1 4\n3 3 0 10 0 1 2\n4 3 0 15 0 1 3\n", "cycle", "")]
    [TestCase("1 1 0 0 0 5 -1\n2 3 0 5 0 1 2\n", "m.swc:2:", "own parent")]
    [TestCase("1 1 0 0 0 5 -1\n# a comment line\n2 3 0 5 0 0 1\n", "m.swc:3:", "radius must be > 0")]
    [TestCase("1 1 0 0 0 5 -1\n2 9 0 5 0 1 1\n", "m.swc:2:", "unknown type 9")]
    [TestCase("1 1 0 0 0 5 -1\n2 3 0 5 0 1\n", "m.swc:2:", "expected 7 fields")]
    [TestCase("1 1 0 0 0 5 -1\n2 3 0 x 0 1 1\n", "m.swc:2:", "y must be a finite number")]
    [TestCase("1 1 0 0 0 5 -1\n2 3 0 5 0 1 1\n2 3 0 9 0 1 1\n", "m.swc:3:", "already used on line 2")]
    [TestCase("1 1 0 0 0 5 -1\n2 3 0 5 0 1 -1\n", "m.swc:2:", "second root")]
    [TestCase("1 3 0 0 0 5 -1\n2 3 0 5 0 1 1\n", "m.swc:1:", "expects the soma")]
    [TestCase("# nothing\n", "m.swc:", "has no points")]
    public void BadFilesNameTheFileAndLine(string text, string where, string what)
    {
        var e = Assert.Throws<SwcFormatException>(() => SwcReader.Parse(Lines(text), "m.swc"))!;
        TestContext.Out.WriteLine(e.Message);
        Assert.That(e.Message, Does.Contain(where));
        Assert.That(e.Message, Does.Contain(what));
    }

    [Test]
    public void CycleErrorNamesALineOnTheCycle()
    {
        var e = Assert.Throws<SwcFormatException>(() => SwcReader.Parse(Lines("1 1 0 0 0 5 -1\n2 3 0 5 0 1 4\n3 3 0 10 0 1 2\n4 3 0 15 0 1 3\n"), "c.swc"))!;
        Assert.That(e.Line, Is.InRange(2, 4));
        Assert.That(e.Message, Does.Match(@"c\.swc:[234]: point \d is its own ancestor"));
    }

    [Test]
    public void ReadsFromAFileAndNamesItInErrors()
    {
        string path = Path.Combine(Path.GetTempPath(), $"biosim-swc-{Environment.ProcessId}.swc");
        try
        {
            File.WriteAllText(path, BallAndStick);
            Assert.That(SwcReader.Read(path).Sections, Has.Count.EqualTo(2));
            File.WriteAllText(path, "1 1 0 0 0 5 -1\n2 3 0 5 0 0 1\n");
            var e = Assert.Throws<SwcFormatException>(() => SwcReader.Read(path))!;
            Assert.That(e.Message, Does.StartWith(path + ":2:"));
            var missing = Assert.Throws<SwcFormatException>(() => SwcReader.Read(path + ".missing"))!;
            Assert.That(missing.Message, Does.Contain("cannot be read"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string[] Lines(string text) => text.Split('\n');
}
