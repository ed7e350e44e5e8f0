using System.Diagnostics;
using System.Text.Json;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;
using BioSim.Tests.IO;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>
/// Jobs on clusters are killed and preempted: `biosim resume out.h5` continues a run from the newest checkpoint
/// in its output file. The reference is the same experiment run without interruption: every spike time, node id
/// and V frame must be equal bit for bit (the checkpoint holds the whole engine state, and the datasets are cut
/// back to the checkpoint before appending).
/// </summary>
[TestFixture, Category("Validation")]
public sealed class ResumeCommandTests : TempDirectoryFixture
{
    /// <summary>SIGKILL half-way (no chance to clean up), then resume on two threads: same file as one uninterrupted run on one.</summary>
    [Test]
    public void KilledRunResumesToTheSameResultAsAnUninterruptedRun()
    {
        KillResumeAndCompare(Experiment(), "Simulated 5000 ms");
    }

    /// <summary>Kills a run of <paramref name="experiment"/> after its second progress line, resumes it on two threads and
    /// compares the file with an uninterrupted run's.</summary>
    private void KillResumeAndCompare(string experiment, string summary)
    {
        string killed = Path.Combine(Dir, "killed.h5");
        StopHalfway(experiment, killed, p => p.Kill());
        Assert.That(Status(killed), Is.EqualTo("running"), "a killed run never wrote its final status");

        var (code, stdout, stderr) = BiosimProcess.Run("resume", killed, "-t", "2", "-q");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain(summary));
        AssertSameAsUninterrupted(experiment, killed);
    }

    /// <summary>SIGTERM (what Slurm sends before preemption) stops the run after the block with exit code 75 (EX_TEMPFAIL) and a
    /// checkpoint at that moment; resume finishes it.</summary>
    [Test]
    public void TerminatedRunCheckpointsWhereItStoppedAndResumes()
    {
        string experiment = Experiment();
        string stopped = Path.Combine(Dir, "stopped.h5");
        // A long interval: the only checkpoints are the one at the start and the one written on SIGTERM.
        int exit = StopHalfway(experiment, stopped, p => Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit(),
            checkpointEvery: "3600");
        Assert.That(exit, Is.EqualTo(75));
        Assert.That(Status(stopped), Does.StartWith("cancelled at t = "));
        using (var file = Hdf5File.OpenReadOnly(stopped))
        {
            using var root = file.OpenGroup("/checkpoint");
            using var latest = file.OpenGroup($"/checkpoint/slot{root.GetLongAttribute("latest")}");
            Assert.That(latest.GetDoubleAttribute("time"), Is.GreaterThan(0), "the checkpoint written on SIGTERM, not the one at the start");
        }

        var (code, _, stderr) = BiosimProcess.Run("resume", stopped, "-q");
        Assert.That(code, Is.EqualTo(0), stderr);
        AssertSameAsUninterrupted(experiment, stopped);
    }

    /// <summary>
    /// The same for multi-compartment cells: 40 ball-and-stick cells (examples/ball-and-stick.json, 2 s) whose
    /// checkpoint holds every node's V, the hh gates, the synapses' conductances and the delay rings. Killed, then resumed
    /// on two threads: every spike and every node's V frame equals one uninterrupted run's.
    /// </summary>
    [Test]
    public void KilledCableRunResumesToTheSameResult()
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(TestPaths.Example("ball-and-stick.json")))!.AsObject();
        json["duration"] = 2000.0;
        json["flush_interval"] = 20.0;
        foreach (var population in json["populations"]!.AsArray()) population!["size"] = 40;
        string experiment = Path.Combine(Dir, "cable-2s.json");
        File.WriteAllText(experiment, json.ToJsonString());
        KillResumeAndCompare(experiment, "Simulated 2000 ms");
    }

    [Test]
    public void ResumingSomethingElseGivesOneClearLine()
    {
        var (code, _, stderr) = BiosimProcess.Run("resume", Path.Combine(Dir, "missing.h5"));
        Assert.That(code, Is.EqualTo(3));
        Assert.That(stderr, Does.Contain("missing.h5: no such file"));

        string plain = Path.Combine(Dir, "plain.h5");
        using (var file = Hdf5File.Create(plain)) file.SetAttribute("note", "not a run");
        (code, _, stderr) = BiosimProcess.Run("resume", plain);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("plain.h5: not a BioSim run"));
    }

    private string Experiment() =>
        BiosimProcess.CubaVariant(Dir, j => { j["duration"] = 5000.0; j["flush_interval"] = 10.0; }, "cuba-5s.json");

    /// <summary>Starts a run, waits for its second progress line (≥ 500 ms simulated), applies <paramref name="stop"/>, returns the exit code.</summary>
    private static int StopHalfway(string experiment, string output, Action<Process> stop, string checkpointEvery = "0")
    {
        using var process = Process.Start(BiosimProcess.StartInfo("run", experiment, "-o", output, "--checkpoint-every", checkpointEvery))!;
        var stderr = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            lock (stderr)
            {
                if (stderr.ToString().Split("biosim: t = ").Length > 2) break;
            }
            Assert.That(process.HasExited, Is.False, () => $"biosim ended before it could be stopped: {stderr}");
            Thread.Sleep(20);
        }
        stop(process);
        process.WaitForExit();
        return process.ExitCode;
    }

    private void AssertSameAsUninterrupted(string experiment, string resumed)
    {
        string reference = Path.Combine(Dir, "uninterrupted.h5");
        var (code, _, stderr) = BiosimProcess.Run("run", experiment, "-o", reference, "-q");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(Status(resumed), Is.EqualTo("completed"));
        using var a = Hdf5File.OpenReadOnly(reference);
        using var b = Hdf5File.OpenReadOnly(resumed);
        var spikesA = SonataFileReader.ReadSpikes(a);
        var spikesB = SonataFileReader.ReadSpikes(b);
        Assert.That(spikesB.Select(s => s.Population), Is.EqualTo(spikesA.Select(s => s.Population)));
        for (int p = 0; p < spikesA.Count; p++)
        {
            Assert.That(spikesA[p].TimestampsMs, Has.Length.GreaterThan(1000));
            Assert.That(spikesB[p].TimestampsMs, Is.EqualTo(spikesA[p].TimestampsMs), $"spike times of {spikesA[p].Population}");
            Assert.That(spikesB[p].NodeIds, Is.EqualTo(spikesA[p].NodeIds), $"node ids of {spikesA[p].Population}");
        }
        var reportsA = SonataFileReader.ReadReports(a);
        var reportsB = SonataFileReader.ReadReports(b);
        Assert.That(reportsA, Is.Not.Empty);
        for (int r = 0; r < reportsA.Count; r++)
        {
            Assert.That(reportsB[r].StopMs, Is.EqualTo(reportsA[r].StopMs));
            Assert.That(reportsB[r].Data, Is.EqualTo(reportsA[r].Data), $"report of {reportsA[r].Population}");
        }
    }

    /// <summary>The status attribute as h5py reads it.</summary>
    private static string Status(string file)
    {
        using var attrs = JsonDocument.Parse(ExternalTools.RunPythonScript("run_attributes.py", file));
        return attrs.RootElement.GetProperty("status").GetString()!;
    }
}
