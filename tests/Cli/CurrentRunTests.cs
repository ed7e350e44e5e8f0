using System.Text.Json.Nodes;
using BioSim.IO.Hdf5;
using BioSim.IO.Runs;
using BioSim.IO.Sonata;
using BioSim.Tests.Circuits.Stimuli;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>
/// Current devices through `biosim run` and `biosim resume`: a run in exact timing with a noise device (per-target
/// streams) and a repeated step device (off-grid times, a delayed projection) onto lif, lif-cond, adex and hh, killed with
/// SIGKILL twice and resumed (on two threads, then one), ends with the same spikes and the same I_stim and V reports, bit
/// for bit, as one uninterrupted run on one thread: I_stim, the device step count and the queued current changes are
/// checkpointed, and the noise is a function of its interval index.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class CurrentRunTests : TempDirectoryFixture
{
    private string Experiment()
    {
        var json = JsonNode.Parse(NoiseCurrentTests.AllModels("exact"))!.AsObject();
        json["duration"] = 900.0;
        json["flush_interval"] = 45.0;
        json["record"] = JsonNode.Parse("""
            {"spikes": ["lif", "lifc", "adex", "hh"],
             "state": [{"population": "lif", "variable": "I_stim", "node_ids": [0, 1, 2, 1499], "every": 5},
                       {"population": "adex", "variable": "V", "node_ids": [0, 299]}]}
            """);
        string path = Path.Combine(Dir, "currents.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    [Test]
    public void KilledRunWithCurrentDevicesResumesToTheSameBits()
    {
        string experiment = Experiment();
        string killed = Path.Combine(Dir, "killed.h5");
        var moments = new Random(12);
        BiosimProcess.StopAfterProgress(["run", experiment, "-o", killed, "--checkpoint-every", "0"], p => p.Kill(), lines: moments.Next(1, 4));
        double previous = 0;
        for (int kill = 1; kill <= 2; kill++)
        {
            double checkpointMs;
            using (var file = Hdf5File.OpenReadOnly(killed))
            {
                var checkpoint = RunCheckpoints.ReadLatest(file);
                Assert.That(checkpoint, Is.Not.Null, "the killed run left a checkpoint");
                checkpointMs = checkpoint!.Value.TimeMs;
                Assert.That(checkpoint.Value.State.Reals.Keys, Has.Some.EndsWith("populations/lif/I_stim"), "I_stim is checkpointed");
            }
            TestContext.Out.WriteLine($"kill {kill}: newest checkpoint at t = {checkpointMs} ms");
            Assert.That(checkpointMs, Is.GreaterThan(previous).And.LessThan(900), "each process got further before it was killed");
            previous = checkpointMs;
            if (kill == 2) break;
            BiosimProcess.StopAfterProgress(["resume", killed, "--checkpoint-every", "0", "-t", "2"], p => p.Kill(), lines: moments.Next(1, 3));
        }
        var (code, _, stderr) = BiosimProcess.Run("resume", killed, "-t", "1");
        Assert.That(code, Is.EqualTo(0), stderr);
        string reference = Path.Combine(Dir, "uninterrupted.h5");
        (code, _, stderr) = BiosimProcess.Run("run", experiment, "-o", reference, "-q");
        Assert.That(code, Is.EqualTo(0), stderr);

        using var a = Hdf5File.OpenReadOnly(reference);
        using var b = Hdf5File.OpenReadOnly(killed);
        var spikesA = SonataFileReader.ReadSpikes(a).OrderBy(s => s.Population).ToList();
        var spikesB = SonataFileReader.ReadSpikes(b).OrderBy(s => s.Population).ToList();
        Assert.That(spikesB.Select(s => s.Population), Is.EqualTo(spikesA.Select(s => s.Population)));
        for (int p = 0; p < spikesA.Count; p++)
        {
            Assert.That(spikesA[p].TimestampsMs, Has.Length.GreaterThan(100), $"{spikesA[p].Population} fires");
            Assert.That(spikesB[p].TimestampsMs, Is.EqualTo(spikesA[p].TimestampsMs), spikesA[p].Population);
            Assert.That(spikesB[p].NodeIds, Is.EqualTo(spikesA[p].NodeIds), spikesA[p].Population);
        }
        foreach (string population in new[] { "lif", "adex" })
        {
            var reportA = a.ReadDataset<double>($"/report/{population}/data");
            Assert.That(reportA, Has.Length.GreaterThan(1000));
            Assert.That(b.ReadDataset<double>($"/report/{population}/data"), Is.EqualTo(reportA), $"{population} report");
        }
        Assert.That(a.ReadDataset<double>("/report/lif/data").Distinct().Count(), Is.GreaterThan(100), "I_stim follows the noise");
    }
}
