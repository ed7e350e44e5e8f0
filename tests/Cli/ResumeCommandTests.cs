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
/// back to the checkpoint before appending). Bit-equality alone would also hold if resuming silently started again
/// from t = 0, so each test also reads the checkpoint the stopped process left (it must be past t = 0) and checks
/// from the resumed run's first progress line that it continued from exactly that checkpoint.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class ResumeCommandTests : TempDirectoryFixture
{
    /// <summary>SIGKILL half-way (no chance to clean up), then resume on two threads: same file as one uninterrupted run on one.</summary>
    [Test]
    public void KilledRunResumesToTheSameResultAsAnUninterruptedRun()
    {
        KillResumeAndCompare(Experiment(), "Simulated 5000 ms", durationMs: 5000, flushMs: 10);
    }

    /// <summary>Kills a run of <paramref name="experiment"/> after its second progress line, resumes it on two threads and
    /// compares the file with an uninterrupted run's. The killed run checkpoints after every block (--checkpoint-every 0)
    /// and is killed at t ≥ 500 ms (its second progress line), so its file must hold a checkpoint past t = 0.</summary>
    private void KillResumeAndCompare(string experiment, string summary, double durationMs, double flushMs)
    {
        string killed = Path.Combine(Dir, "killed.h5");
        StopHalfway(experiment, killed, p => p.Kill());
        Assert.That(Status(killed), Is.EqualTo("running"), "a killed run never wrote its final status");
        double checkpointMs = LatestCheckpointMs(killed);
        TestContext.Out.WriteLine($"the killed file's latest complete checkpoint: t = {checkpointMs} ms");
        Assert.That(checkpointMs, Is.GreaterThanOrEqualTo(durationMs / 10).And.LessThan(durationMs),
            "a periodic checkpoint at or after the second progress line, before the end");

        var (code, stdout, stderr) = BiosimProcess.Run("resume", killed, "-t", "2");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain(summary));
        AssertResumedFrom(stderr, checkpointMs, flushMs);
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
        int exit = StopHalfway(experiment, stopped, p => BiosimProcess.Signal(p, "TERM"),
            checkpointEvery: "3600");
        Assert.That(exit, Is.EqualTo(75));
        double checkpointMs = LatestCheckpointMs(stopped);
        Assert.That(checkpointMs, Is.GreaterThan(0), "the checkpoint written on SIGTERM, not the one at the start");
        Assert.That(Status(stopped), Is.EqualTo(FormattableString.Invariant($"cancelled at t = {checkpointMs:0.###} ms")),
            "the checkpoint is where the run says it stopped");

        var (code, _, stderr) = BiosimProcess.Run("resume", stopped);
        Assert.That(code, Is.EqualTo(0), stderr);
        AssertResumedFrom(stderr, checkpointMs, 10);
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
        KillResumeAndCompare(experiment, "Simulated 2000 ms", durationMs: 2000, flushMs: 20);
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
    private static int StopHalfway(string experiment, string output, Action<Process> stop, string checkpointEvery = "0") =>
        BiosimProcess.StopAfterProgress(["run", experiment, "-o", output, "--checkpoint-every", checkpointEvery], stop).ExitCode;

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

    /// <summary>The time of the checkpoint resume starts from: the newest complete one (io/Runs/RunCheckpoints: attribute
    /// <c>time</c> of /checkpoint/slot&lt;latest&gt;, read with the reader `biosim resume` uses), and that its step
    /// count is the same moment (× the file's dt).</summary>
    private static double LatestCheckpointMs(string output)
    {
        using var file = Hdf5File.OpenReadOnly(output);
        var checkpoint = BioSim.IO.Runs.RunCheckpoints.ReadLatest(file);
        Assert.That(checkpoint, Is.Not.Null, $"{output} holds no complete checkpoint");
        var (state, timeMs, _) = checkpoint!.Value;
        Assert.That(state.Step * file.GetDoubleAttribute("dt"), Is.EqualTo(timeMs).Within(1e-9), "step × dt = time");
        return timeMs;
    }

    /// <summary>
    /// The resumed run's first progress line ("biosim: t = … / … ms", one after every block until the next tenth of the
    /// duration) is the first block after the checkpoint: t = checkpoint + flush interval. A resume from t = 0 would
    /// print t = flush interval.
    /// </summary>
    private static void AssertResumedFrom(string stderr, double checkpointMs, double flushMs)
    {
        var first = System.Text.RegularExpressions.Regex.Match(stderr, @"biosim: t = ([0-9.]+) / ");
        Assert.That(first.Success, Is.True, $"no progress line in:\n{stderr}");
        double t = double.Parse(first.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(t, Is.EqualTo(checkpointMs + flushMs).Within(0.05), $"the resumed run's first block ends one flush interval after the checkpoint at {checkpointMs} ms");
    }

    /// <summary>The status attribute as h5py reads it.</summary>
    private static string Status(string file)
    {
        using var attrs = JsonDocument.Parse(ExternalTools.RunPythonScript("run_attributes.py", file));
        return attrs.RootElement.GetProperty("status").GetString()!;
    }
}
