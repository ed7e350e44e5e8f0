using System.Text.Json;
using System.Text.Json.Nodes;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;
using BioSim.Tests.IO;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>
/// Cable cells end to end: <c>biosim run examples/ball-and-stick.json</c> (two ball-and-stick cells with hh at the soma,
/// a current step, LIF spike sources onto dendritic ExpSyns and a recurrent soma → Exp2Syn connection with a 2 ms delay),
/// its HDF5 read by h5py, and the same cells run by NEURON 8.2 (Debian python3-neuron) from the same JSON by
/// tests/scripts/neuron_experiment.py, which replays the LIF spikes BioSim wrote and rebuilds the recurrent connection as
/// a NetCon on soma(0.5).
/// </summary>
[TestFixture, Category("Validation")]
public sealed class CableRunTests : TempDirectoryFixture
{
    /// <summary>
    /// Every compartment of both cells, every step (4000 frames × 22 segments per cell), against NEURON at the same dt
    /// and method. BioSim repeats NEURON's arithmetic (same nodes, matrix, hh rate table, staggered gates, event
    /// timing), so the traces agree to round-off: measured 8e-10 mV; the bound 1e-6 mV leaves room for a different
    /// summation order and still fails on any change of scheme (a one-step shift of an event moves V by ~0.1 mV). Spikes:
    /// the same count per cell, each within one step (NEURON's fixed step reports the end of the step in which V crossed
    /// 10 mV, BioSim interpolates inside it).
    /// </summary>
    [Test]
    public void BallAndStickExampleMatchesNeuron()
    {
        string output = Path.Combine(Dir, "out.h5");
        string png = Path.Combine(Dir, "cells.png");
        var (code, stdout, stderr) = BiosimProcess.Run("run", TestPaths.Example("ball-and-stick.json"), "-o", output, "--plot", png);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("cells"));
        Assert.That(new FileInfo(png).Length, Is.GreaterThan(10_000), "the plot of a compartment report (several columns per node)");

        using var compare = JsonDocument.Parse(ExternalTools.RunPythonScript("neuron_experiment.py", TestPaths.Example("ball-and-stick.json"), output));
        var cells = compare.RootElement.GetProperty("populations").GetProperty("cells");
        TestContext.Out.WriteLine(cells.GetRawText());
        Assert.That(cells.GetProperty("frames").GetInt32(), Is.EqualTo(4000));
        Assert.That(cells.GetProperty("compartments").GetInt32(), Is.EqualTo(2 * 22), "soma nseg 1 + dendrite nseg 21 (d_lambda) per cell");
        Assert.That(cells.GetProperty("max_dv_soma").GetDouble(), Is.LessThan(1e-6));
        Assert.That(cells.GetProperty("max_dv").GetDouble(), Is.LessThan(1e-6));
        int total = 0;
        foreach (var cell in new[] { "0", "1" })
        {
            var neuron = cells.GetProperty("neuron_spikes").GetProperty(cell).EnumerateArray().Select(x => x.GetDouble()).ToArray();
            var ours = cells.GetProperty("biosim_spikes").GetProperty(cell).EnumerateArray().Select(x => x.GetDouble()).ToArray();
            Assert.That(ours, Has.Length.EqualTo(neuron.Length), $"cell {cell}: spike count");
            for (int k = 0; k < ours.Length; k++) Assert.That(ours[k], Is.EqualTo(neuron[k]).Within(0.025), $"cell {cell}: spike {k} within one step");
            total += ours.Length;
        }
        Assert.That(total, Is.GreaterThanOrEqualTo(4), "the example fires (otherwise the recurrent path is not exercised)");

        // The SONATA mapping as h5py sees it: each cell a node with 22 columns, element ids = section index (soma 0, dend 1).
        using var dump = JsonDocument.Parse(ExternalTools.RunPythonScript("sonata_dump.py", output));
        using var file = Hdf5File.OpenReadOnly(output);
        var report = SonataFileReader.ReadReports(file).Single();
        Assert.That((report.Population, report.Frames, report.Elements, report.Units), Is.EqualTo(("cells", 4000, 44, "mV")));
        Assert.That(SonataFileReader.ReadSpikes(file).Select(s => s.Population), Is.EquivalentTo(new[] { "input", "cells" }));
    }

    /// <summary>
    /// examples/swc-pyramid.json: a cell read from tests/data/small-pyramid.swc (13 sections, 59 segments) with hh at the
    /// soma, a current step and a LIF-driven ExpSyn on a tuft; NEURON loads the SWC with Import3d. Every compartment,
    /// every step: measured 3.8e-6 mV apart. The geometry is equal only to NEURON's single-precision 3-d points (~2e-8
    /// relative, see <see cref="Validation.SwcNeuronTests"/>), which the spike's upstroke (~100 mV/ms) amplifies; bound 1e-4 mV.
    /// </summary>
    [Test]
    public void SwcExampleMatchesNeuron()
    {
        string output = Path.Combine(Dir, "swc.h5");
        var (code, _, stderr) = BiosimProcess.Run("run", TestPaths.Example("swc-pyramid.json"), "-o", output);
        Assert.That(code, Is.EqualTo(0), stderr);
        using var compare = JsonDocument.Parse(ExternalTools.RunPythonScript("neuron_experiment.py", TestPaths.Example("swc-pyramid.json"), output));
        var cell = compare.RootElement.GetProperty("populations").GetProperty("pyramid");
        TestContext.Out.WriteLine(cell.GetRawText());
        Assert.That((cell.GetProperty("frames").GetInt32(), cell.GetProperty("compartments").GetInt32()), Is.EqualTo((2400, 59)));
        Assert.That(cell.GetProperty("max_dv").GetDouble(), Is.LessThan(1e-4));
        var neuron = cell.GetProperty("neuron_spikes").GetProperty("0").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var ours = cell.GetProperty("biosim_spikes").GetProperty("0").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        Assert.That(ours, Has.Length.EqualTo(neuron.Length).And.Length.GreaterThan(0));
        for (int k = 0; k < ours.Length; k++) Assert.That(ours[k], Is.EqualTo(neuron[k]).Within(0.025), $"spike {k} within one step");
    }

    /// <summary>
    /// Same spikes and the same compartment report, bit for bit, with 1 and 2 threads: 240 ball-and-stick cells (about
    /// 87 cells per parallel work item, so three items) with LIF inputs and random recurrent cable → cable connections.
    /// </summary>
    [Test]
    public void SameSpikesWithOneAndTwoThreads()
    {
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("ball-and-stick.json")))!.AsObject();
        json["duration"] = 60.0;
        var populations = json["populations"]!.AsArray();
        populations[0]!["size"] = 240;
        populations[1]!["size"] = 240;
        json["projections"]![1]!["connectivity"] = JsonNode.Parse("""{"rule": "fixed-probability", "p": 0.02, "allow_autapses": false}""");
        json["projections"]![1]!["delay"] = JsonNode.Parse("""{"uniform": [1.0, 3.0]}""");
        json["record"]!["state"]![0]!["node_ids"] = JsonNode.Parse("[0, 100, 239]");
        string experiment = Path.Combine(Dir, "network.json");
        File.WriteAllText(experiment, json.ToJsonString());

        var runs = new[] { 1, 2 }.Select(threads =>
        {
            string output = Path.Combine(Dir, $"t{threads}.h5");
            var (code, _, stderr) = BiosimProcess.Run("run", experiment, "-o", output, "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.That(code, Is.EqualTo(0), stderr);
            using var file = Hdf5File.OpenReadOnly(output);
            var spikes = SonataFileReader.ReadSpikes(file).Single(s => s.Population == "cells");
            return (spikes, report: SonataFileReader.ReadReports(file).Single());
        }).ToArray();
        Assert.That(runs[0].spikes.TimestampsMs, Has.Length.GreaterThan(100), "the network fires");
        Assert.That(runs[1].spikes.TimestampsMs, Is.EqualTo(runs[0].spikes.TimestampsMs));
        Assert.That(runs[1].spikes.NodeIds, Is.EqualTo(runs[0].spikes.NodeIds));
        Assert.That(runs[1].report.Data, Is.EqualTo(runs[0].report.Data));
    }

    /// <summary>Errors in the cell part of an experiment stop the run with exit code 2 and one line naming the file and JSON path.</summary>
    [TestCase("\"sections\": [\"dend\"], \"parameters\"", "\"sections\": [\"apical\"], \"parameters\"", "populations[1].cell.mechanisms[1].sections[0]: section 'apical' does not exist; the cell has: soma, dend")]
    [TestCase("{\"name\": \"hh\"", "{\"name\": \"kdr\"", "populations[1].cell.mechanisms[0].name: unknown mechanism 'kdr'; allowed: Exp2Syn, ExpSyn, IClamp, hh, pas")]
    [TestCase("\"receptor\": \"dendritic\"", "\"receptor\": \"apical\"", "projections[0].receptor: population 'cells' has no receptor 'apical'; it has: dendritic, proximal")]
    public void BadCellFieldsNameFileAndPath(string from, string to, string expected)
    {
        string text = File.ReadAllText(TestPaths.Example("ball-and-stick.json"));
        Assert.That(text, Does.Contain(from));
        string experiment = Path.Combine(Dir, "bad.json");
        File.WriteAllText(experiment, text.Replace(from, to, StringComparison.Ordinal));
        var (code, _, stderr) = BiosimProcess.Run("run", experiment, "-o", Path.Combine(Dir, "out.h5"));
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("bad.json: " + expected));
    }
}
