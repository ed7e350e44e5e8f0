using BioSim.Circuits.Cells;
using BioSim.Circuits.Mechanisms;
using BioSim.IO.Experiments;
using BioSim.IO.Swc;
using BioSim.Workflows;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.IO;

[TestFixture, Category("Unit")]
public sealed class CableCellReaderTests
{
    private static readonly CableCellReader Reader = BioSimServiceCollectionExtensions.BuildBioSimServices().GetRequiredService<CableCellReader>();

    private const string Cell = """
        {
          "morphology": { "Ra": 100, "sections": [
            { "name": "soma", "length": 20, "diameter": 20, "kind": "soma" },
            { "name": "apic", "length": 400, "diameter": 3, "parent": "soma", "parent_x": 1, "kind": "apical" } ] },
          "discretisation": { "d_lambda": 0.1 },
          "mechanisms": [
            { "name": "hh", "sections": ["soma"] },
            { "name": "pas", "sections": ["apic"], "parameters": { "g": 1e-4, "e": -65 } } ],
          "point_processes": [ { "name": "syn", "mechanism": "Exp2Syn", "section": "apic", "x": 0.7, "parameters": { "tau1": 0.5, "tau2": 5 } } ]
        }
        """;

    [Test]
    public void ReadsSectionsMechanismsAndPointProcesses()
    {
        var cell = Reader.Read(Cell, "cell.json");
        Assert.That(cell.Morphology.Sections.Select(s => s.Name), Is.EqualTo(new[] { "soma", "apic" }));
        Assert.That(cell.Morphology["apic"].Ra, Is.EqualTo(100));
        Assert.That(cell.DensityMechanisms.Select(m => m.Mechanism.GetType()), Is.EqualTo(new[] { typeof(HhMechanism), typeof(PassiveLeak) }));
        Assert.That(((PassiveLeak)cell.DensityMechanisms[1].Mechanism).e, Is.EqualTo(-65));
        var syn = (Exp2Synapse)cell.PointProcesses.Single().Mechanism;
        Assert.That(syn.tau2, Is.EqualTo(5));
        var population = new CablePopulation("p", 1, cell);
        Assert.That(population.InputNames, Is.EqualTo(new[] { "syn" }));
        Assert.That(population.Layout.SegmentsOf(cell.Morphology["apic"]), Is.EqualTo(Discretisation(400, 3)));
    }

    // NEURON's d_lambda rule for a cylinder with Ra = 100, cm = 1 at 100 Hz.
    private static int Discretisation(double length, double diameter) =>
        (int)((length / (0.1 * 1e5 * Math.Sqrt(diameter / (4 * Math.PI * 100 * 100 * 1))) + 0.9) / 2) * 2 + 1;

    [TestCase("\"sections\": [\"soma\"] }", "\"sections\": [\"basal\"] }", "cell.json: mechanisms[0].sections[0]: section 'basal' does not exist; the cell has: soma, apic")]
    [TestCase("\"section\": \"apic\"", "\"section\": \"tuft\"", "cell.json: point_processes[0].section: section 'tuft' does not exist")]
    [TestCase("{ \"name\": \"hh\"", "{ \"name\": \"kdr\"", "cell.json: mechanisms[0].name: unknown mechanism 'kdr'; allowed: Exp2Syn, ExpSyn, IClamp, hh, pas")]
    [TestCase("\"mechanism\": \"Exp2Syn\"", "\"mechanism\": \"hh\"", "cell.json: point_processes[0].mechanism: 'hh' is a density mechanism")]
    [TestCase("\"g\": 1e-4", "\"gbar\": 1e-4", "cell.json: mechanisms[1].parameters.gbar: 'pas' has no such parameter; allowed: g, e")]
    [TestCase("\"e\": -65", "\"e\": -65, \"g\": -1", "cell.json: mechanisms[1].parameters.g: must be a non-negative")]
    [TestCase("\"diameter\": 3", "\"diameter\": 0", "cell.json: morphology.sections[1].diameter: must be > 0")]
    [TestCase("\"parent\": \"soma\"", "\"parent\": \"axon\"", "cell.json: morphology.sections[1].parent: section 'axon' does not exist")]
    [TestCase("\"d_lambda\": 0.1", "\"dlambda\": 0.1", "cell.json: discretisation.dlambda: unknown field")]
    public void BadInputNamesTheField(string from, string to, string expected)
    {
        Assert.That(Cell, Does.Contain(from));
        var e = Assert.Throws<ExperimentException>(() => Reader.Read(Cell.Replace(from, to, StringComparison.Ordinal), "cell.json"))!;
        TestContext.Out.WriteLine(e.Message);
        Assert.That(e.Message, Does.StartWith(expected));
    }

    [Test]
    public void ReadsAnSwcFileNextToTheJsonAndPassesItsErrorsOn()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"biosim-cell-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "bs.swc"), "1 1 0 0 0 10 -1\n2 3 10 0 0 1 1\n3 3 410 0 0 1 2\n");
            File.WriteAllText(Path.Combine(dir, "cell.json"), """{ "morphology": { "swc": "bs.swc" }, "mechanisms": [ { "name": "pas", "sections": ["dend[0]"] } ] }""");
            var cell = Reader.ReadFile(Path.Combine(dir, "cell.json"));
            Assert.That(cell.Morphology["dend[0]"].Length, Is.EqualTo(400).Within(1e-12));
            File.WriteAllText(Path.Combine(dir, "bs.swc"), "1 1 0 0 0 10 -1\n2 3 10 0 0 1 5\n");
            var e = Assert.Throws<SwcFormatException>(() => Reader.ReadFile(Path.Combine(dir, "cell.json")))!;
            Assert.That(e.Message, Does.EndWith("bs.swc:2: point 2: parent 5 does not exist"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
