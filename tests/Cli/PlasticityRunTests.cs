using System.Text.Json.Nodes;
using BioSim.IO.Experiments;
using BioSim.IO.Hdf5;
using BioSim.IO.Runs;
using BioSim.IO.Sonata;
using BioSim.Tests.IO;
using BioSim.Workflows;
using BioSim.Workflows.Runs;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>
/// Plasticity inside a run, through `biosim run` and `biosim resume`: the weights are part of the checkpointed state, so a
/// run with STDP killed with SIGKILL and resumed (on two threads) ends with the same weights, weight report and spikes,
/// bit for bit, as one uninterrupted run on one thread; and a bad plasticity description is one line naming the file and field.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class PlasticityRunTests : TempDirectoryFixture
{
    /// <summary>3000 Poisson inputs at 5 Hz onto 10 conductance-based LIF neurons with additive STDP (the Song example's
    /// rule), 6 s: 3010 elements, above the size at which steps use threads, so "-t 2" really splits them.</summary>
    private string Experiment()
    {
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("stdp-song2000.json")))!.AsObject();
        json["duration"] = 6000.0;
        json["flush_interval"] = 20.0;
        json["populations"]![0]!["size"] = 3000;
        json["populations"]![0]!["parameters"]!["rate"] = 5.0;
        json["populations"]![1]!["size"] = 10;
        json["record"] = JsonNode.Parse("""{"spikes": ["neuron"], "weights": [{"projection": "input->neuron", "every": 500, "synapses": [0, 1, 2, 17, 29999]}]}""");
        string path = Path.Combine(Dir, "stdp-6s.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    /// <summary>SIGKILL three times at moments drawn from a seeded generator (after 1-3 progress lines of the first process, 1-2 of
    /// each resumed one, resumed on 2 threads and then 1), each time from the newest checkpoint, then resumed to the end.</summary>
    [Test]
    public void KilledStdpRunResumesToTheSameWeightsAsAnUninterruptedRun()
    {
        string experiment = Experiment();
        string killed = Path.Combine(Dir, "killed.h5");
        var moments = new Random(14);
        BiosimProcess.StopAfterProgress(["run", experiment, "-o", killed, "--checkpoint-every", "0"], p => p.Kill(), lines: moments.Next(1, 4));
        double previous = 0;
        for (int kill = 1; kill <= 3; kill++)
        {
            double checkpointMs;
            using (var file = Hdf5File.OpenReadOnly(killed))
            {
                var checkpoint = RunCheckpoints.ReadLatest(file);
                Assert.That(checkpoint, Is.Not.Null, "the killed run left a checkpoint");
                checkpointMs = checkpoint!.Value.TimeMs;
                Assert.That(checkpoint.Value.State.Reals.Keys, Has.Some.EndsWith("projections/0/weights"), "weights are checkpointed");
            }
            TestContext.Out.WriteLine($"kill {kill}: newest checkpoint at t = {checkpointMs} ms");
            Assert.That(checkpointMs, Is.GreaterThan(previous).And.LessThan(6000), "each process got further before it was killed");
            previous = checkpointMs;
            if (kill == 3) break;
            BiosimProcess.StopAfterProgress(["resume", killed, "--checkpoint-every", "0", "-t", kill == 1 ? "2" : "1"], p => p.Kill(), lines: moments.Next(1, 3));
        }

        var (code, _, stderr) = BiosimProcess.Run("resume", killed, "-t", "2");
        Assert.That(code, Is.EqualTo(0), stderr);
        string reference = Path.Combine(Dir, "uninterrupted.h5");
        (code, _, stderr) = BiosimProcess.Run("run", experiment, "-o", reference, "-q");
        Assert.That(code, Is.EqualTo(0), stderr);

        using var a = Hdf5File.OpenReadOnly(reference);
        using var b = Hdf5File.OpenReadOnly(killed);
        var spikesA = SonataFileReader.ReadSpikes(a).Single();
        var spikesB = SonataFileReader.ReadSpikes(b).Single();
        Assert.That(spikesA.TimestampsMs, Has.Length.GreaterThan(100), "the neurons spike");
        Assert.That(spikesB.TimestampsMs, Is.EqualTo(spikesA.TimestampsMs));
        Assert.That(spikesB.NodeIds, Is.EqualTo(spikesA.NodeIds));
        const string root = "/weights/input->neuron/";
        var finalA = a.ReadDataset<double>(root + "final");
        Assert.That(finalA, Has.Length.EqualTo(30000));
        Assert.That(b.ReadDataset<double>(root + "final"), Is.EqualTo(finalA), "final weights");
        Assert.That(b.ReadDataset<double>(root + "data"), Is.EqualTo(a.ReadDataset<double>(root + "data")), "weight report");
        Assert.That(b.ReadDataset<double>(root + "time"), Is.EqualTo(a.ReadDataset<double>(root + "time")));
        Assert.That(a.ReadDataset<double>(root + "time"), Has.Length.EqualTo(120), "a frame every 500 steps of 0.1 ms over 6 s");
        Assert.That(a.ReadDataset<ulong>(root + "synapse_ids"), Is.EqualTo(new ulong[] { 0, 1, 2, 17, 29999 }));
        Assert.That(a.ReadDataset<ulong>(root + "source_ids")[29999], Is.EqualTo(2999UL), "CSR order: synapse 29999 is source 2999's last");
        Assert.That(a.ReadDataset<ulong>(root + "target_ids")[17], Is.EqualTo(7UL));
        // STDP did move the weights (initially uniform in [0, 0.1]).
        var initial = a.ReadDataset<double>(root + "data").Take(5).ToArray();
        Assert.That(finalA.Where((w, k) => k is 0 or 1 or 2 or 17 or 29999).ToArray(), Is.Not.EqualTo(initial));
    }

    private static readonly IServiceProvider Services = BioSimServiceCollectionExtensions.BuildBioSimServices();

    /// <summary>Each bad plasticity description is refused with the file, the field and what to do.</summary>
    [TestCase("""{"rule": "stdp", "w_min": 0.2, "w_max": 0.1}""", "projections[0].plasticity", "w_min: 0.2 is above w_max = 0.1")]
    [TestCase("""{"rule": "stdp"}""", "projections[0].plasticity", "w_max")]
    [TestCase("""{"rule": "hebb", "w_max": 1}""", "projections[0].plasticity.rule", "unknown plasticity rule 'hebb'; allowed: stdp, stdp-triplet")]
    [TestCase("""{"rule": "stdp", "w_max": 0.05}""", "projections[0].weight", "outside the rule's bounds")]
    [TestCase("""{"rule": "stdp", "w_max": 1, "pairing": "closest"}""", "projections[0].plasticity", "pairing: unknown 'closest'; allowed: all-to-all, nearest")]
    [TestCase("""{"rule": "stdp", "w_max": 1, "tau_plus": -20}""", "projections[0].plasticity", "tau_plus")]
    [TestCase("""{"rule": "stdp-triplet", "w_max": 1, "A3_plus": -1}""", "projections[0].plasticity", "A3_plus")]
    public void BadPlasticityIsOneLineNamingTheField(string plasticity, string field, string problem)
    {
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("stdp-song2000.json")))!.AsObject();
        json["projections"]![0]!["plasticity"] = JsonNode.Parse(plasticity);
        var error = Assert.Throws<ExperimentException>(() => Services.GetRequiredService<ExperimentReader>().Read(json.ToJsonString(), "song.json"))!;
        Assert.That(error.Message, Does.Contain("song.json").And.Contain(field).And.Contain(problem));
    }

    /// <summary>STDP needs the target's spikes: a projection onto a pure rate model (the dendritic pyramidal cell with
    /// rate_scale 0, which emits no Poisson spikes) is refused when the network is built, naming the field, the population
    /// and its model; with its default rate_scale the same projection is accepted (the cell's Poisson spikes drive the rule).</summary>
    [Test]
    public void StdpOntoARateModelIsRefused()
    {
        var json = JsonNode.Parse("""
            { "name": "rate-target", "seed": 1, "dt": 0.1, "duration": 10,
              "populations": [
                {"name": "a", "size": 4, "model": "poisson-generator", "parameters": {"rate": 10}},
                {"name": "b", "size": 2, "model": "pyramidal", "parameters": {"rate_scale": 0}, "receptors": [{"name": "basal", "model": "exp-current", "tau": 5}]}],
              "projections": [{"source": "a", "target": "b", "receptor": "basal", "connectivity": {"rule": "all-to-all"}, "weight": 0.5,
                               "plasticity": {"rule": "stdp", "w_max": 1}}] }
            """)!;
        var experiment = Services.GetRequiredService<ExperimentReader>().Read(json.ToJsonString(), "rate-target.json");
        var error = Assert.Throws<ExperimentException>(() => Services.GetRequiredService<ModelBuilder>().Build(experiment))!;
        Assert.That(error.Message, Does.Contain("rate-target.json").And.Contain("projections[0].plasticity")
            .And.Contain("'b' (model 'pyramidal')").And.Contain("emits none"));
        json["populations"]![1]!["parameters"]!.AsObject().Remove("rate_scale");
        experiment = Services.GetRequiredService<ExperimentReader>().Read(json.ToJsonString(), "spiking-target.json");
        using var simulation = Services.GetRequiredService<ModelBuilder>().Build(experiment).Simulator;
        simulation.Run(100);
    }

    /// <summary>A weight report of a projection that does not exist, or of synapses beyond the projection, names the field.</summary>
    [Test]
    public void BadWeightReportNamesTheField()
    {
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("stdp-song2000.json")))!.AsObject();
        json["record"]!["weights"] = JsonNode.Parse("""[{"projection": "in->out"}]""");
        var reader = Services.GetRequiredService<ExperimentReader>();
        var error = Assert.Throws<ExperimentException>(() => reader.Read(json.ToJsonString(), "song.json"))!;
        Assert.That(error.Message, Does.Contain("song.json").And.Contain("record.weights[0].projection").And.Contain("input->neuron"));

        json["record"]!["weights"] = JsonNode.Parse("""[{"projection": "input->neuron", "synapses": [5, 1000]}]""");
        json["duration"] = 1.0;
        var experiment = reader.Read(json.ToJsonString(), "song.json");
        error = Assert.Throws<ExperimentException>(() => Services.GetRequiredService<ExperimentRunner>().Run(experiment, Path.Combine(Dir, "bad.h5")))!;
        Assert.That(error.Message, Does.Contain("record.weights[0].synapses").And.Contain("1000 synapses"));
    }
}
