using BioSim.Circuits.Cells;
using BioSim.IO.Experiments;
using BioSim.Workflows;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.IO;

/// <summary>Cable populations in experiment files: SWC morphologies relative to the experiment file, and the errors of a bad SWC path or file.</summary>
[TestFixture, Category("Unit")]
public sealed class CableExperimentReaderTests
{
    private static readonly ExperimentReader Reader = BioSimServiceCollectionExtensions.BuildBioSimServices().GetRequiredService<ExperimentReader>();

    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "biosim-cable-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(_dir, "morph"));
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static string Experiment(string swc) => $$$"""
        {"name": "swc", "seed": 1, "dt": 0.025, "duration": 1.0,
         "populations": [{"name": "cells", "size": 3, "model": "cable", "method": "crank-nicolson",
           "cell": {"morphology": {"swc": "{{{swc}}}", "Ra": 150},
                    "mechanisms": [{"name": "pas", "parameters": {"g": 0.0002}}]}}],
         "record": {"state": [{"population": "cells", "variable": "V", "sections": ["soma"]}]}}
        """;

    // A soma of three points (the NeuroMorpho convention) and one basal dendrite of two pieces.
    private const string Swc = """
        # id type x y z r parent
        1 1 0 0 0 5 -1
        2 1 0 -5 0 5 1
        3 1 0 5 0 5 1
        4 3 5 0 0 1 1
        5 3 55 0 0 1 4
        6 3 105 0 0 0.5 5
        """;

    [Test]
    public void SwcPathIsTakenFromTheExperimentFolder()
    {
        File.WriteAllText(Path.Combine(_dir, "morph", "cell.swc"), Swc);
        string file = Path.Combine(_dir, "exp.json");
        File.WriteAllText(file, Experiment("morph/cell.swc"));
        var e = Reader.ReadFile(file);
        var cable = (CablePopulationParameters)e.Populations[0].Parameters;
        Assert.That(cable.Method, Is.EqualTo(BioSim.Engine.Cable.CableMethod.CrankNicolson));
        Assert.That(cable.Cell.Morphology.Sections.Select(s => s.Kind.ToString()), Is.EqualTo(new[] { "Soma", "Basal" }));
        Assert.That(cable.Cell.Morphology.Sections.All(s => s.Ra == 150), Is.True);
        Assert.That(e.Record.State[0].Sections, Is.EqualTo(new[] { "soma" }));
    }

    [Test]
    public void MissingSwcFileNamesExperimentFileAndField()
    {
        string file = Path.Combine(_dir, "exp.json");
        File.WriteAllText(file, Experiment("morph/missing.swc"));
        var error = Assert.Throws<ExperimentException>(() => Reader.ReadFile(file))!;
        Assert.That(error.File, Is.EqualTo(file));
        Assert.That(error.FieldPath, Is.EqualTo("populations[0].cell.morphology.swc"));
        Assert.That(error.Message, Does.Contain("missing.swc").And.Contain("cannot be read"));
    }

    [Test]
    public void MalformedSwcKeepsItsLine()
    {
        File.WriteAllText(Path.Combine(_dir, "morph", "cell.swc"), Swc.Replace("5 3 55 0 0 1 4", "5 3 55 0 0 1", StringComparison.Ordinal));
        string file = Path.Combine(_dir, "exp.json");
        File.WriteAllText(file, Experiment("morph/cell.swc"));
        var error = Assert.Throws<ExperimentException>(() => Reader.ReadFile(file))!;
        Assert.That(error.FieldPath, Is.EqualTo("populations[0].cell.morphology.swc"));
        Assert.That(error.Message, Does.Contain("cell.swc:6").And.Contain("expected 7 fields"));
    }

    [Test]
    public void SectionsOfAStateProbeMustExist()
    {
        File.WriteAllText(Path.Combine(_dir, "morph", "cell.swc"), Swc);
        string file = Path.Combine(_dir, "exp.json");
        File.WriteAllText(file, Experiment("morph/cell.swc").Replace("\"sections\": [\"soma\"]", "\"sections\": [\"apic[0]\"]", StringComparison.Ordinal));
        var error = Assert.Throws<ExperimentException>(() => Reader.ReadFile(file))!;
        Assert.That(error.FieldPath, Is.EqualTo("record.state[0].sections[0]"));
    }
}
