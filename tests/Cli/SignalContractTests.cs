using System.Diagnostics;
using System.Globalization;
using BioSim.IO.Hdf5;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>
/// The cluster contract of the long commands (README "Exit codes and signals"): SIGTERM stops with a checkpoint and exit
/// code 75; SIGUSR1 inside a Slurm job checkpoints, requeues the job itself (scontrol requeue, here a stand-in script on
/// PATH that records its arguments) and exits 75; outside Slurm it checkpoints and goes on; an existing output is never
/// replaced without --force; resume on a finished run says so and writes nothing; a killed file says how far it got.
/// </summary>
[TestFixture, Category("Validation")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SignalContractTests : TempDirectoryFixture
{
    private string Experiment() =>
        BiosimProcess.CubaVariant(Dir, j => { j["duration"] = 5000.0; j["flush_interval"] = 10.0; }, "cuba-5s.json");

    private string Short() => BiosimProcess.CubaVariant(Dir, j => j["duration"] = 100.0, "cuba-short.json");

    private static double LatestCheckpointTime(string path)
    {
        using var file = Hdf5File.OpenReadOnly(path);
        using var root = file.OpenGroup("/checkpoint");
        using var latest = file.OpenGroup($"/checkpoint/slot{root.GetLongAttribute("latest")}");
        return latest.GetDoubleAttribute("time");
    }

    private static string StatusOf(string path)
    {
        using var file = Hdf5File.OpenReadOnly(path);
        return file.GetStringAttribute("status");
    }

    /// <summary>Starts biosim with <paramref name="environment"/>, waits for its second progress line, applies
    /// <paramref name="signal"/> and returns the exit code and stderr.</summary>
    private static (int Code, string Stderr) SignalHalfway(string[] arguments, string signal, IReadOnlyDictionary<string, string>? environment = null) =>
        BiosimProcess.StopAfterProgress(arguments, p =>
        {
            if (signal == "KILL") p.Kill();
            else BiosimProcess.Signal(p, signal);
        }, environment: environment);

    [Test]
    public void SigtermCheckpointsAndExits75()
    {
        string output = Path.Combine(Dir, "out.h5");
        var (code, stderr) = SignalHalfway(["run", Experiment(), "-o", output, "--checkpoint-every", "3600"], "TERM");
        Assert.That(code, Is.EqualTo(75), stderr);
        Assert.That(stderr, Does.Contain($"biosim resume {output}"));
        Assert.That(StatusOf(output), Does.StartWith("cancelled at t = "));
        Assert.That(LatestCheckpointTime(output), Is.GreaterThan(0), "the checkpoint written on SIGTERM, not the one at the start");
    }

    /// <summary>Inside a Slurm job (SLURM_JOB_ID set), SIGUSR1 = checkpoint, requeue the job itself, exit 75. The stand-in
    /// scontrol proves the call and its arguments; an array task is requeued as ARRAYJOB_TASK.</summary>
    [TestCase(null, TestName = "SigUsr1InASlurmJobCheckpointsRequeuesAndExits75")]
    [TestCase("7", TestName = "SigUsr1InASlurmArrayTaskRequeuesTheTask")]
    public void SigUsr1InSlurm(string? arrayTask)
    {
        string bin = Path.Combine(Dir, "bin"), log = Path.Combine(Dir, "scontrol.log");
        Directory.CreateDirectory(bin);
        string scontrol = Path.Combine(bin, "scontrol");
        File.WriteAllText(scontrol, $"#!/bin/sh\necho \"$@\" >> '{log}'\n");
        File.SetUnixFileMode(scontrol, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var environment = new Dictionary<string, string>
        {
            ["SLURM_JOB_ID"] = "4242",
            ["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}",
        };
        if (arrayTask is not null)
        {
            environment["SLURM_ARRAY_JOB_ID"] = "4200";
            environment["SLURM_ARRAY_TASK_ID"] = arrayTask;
        }
        string output = Path.Combine(Dir, "out.h5");
        var (code, stderr) = SignalHalfway(["run", Experiment(), "-o", output, "--checkpoint-every", "3600"], "USR1", environment);
        Assert.That(code, Is.EqualTo(75), stderr);
        Assert.That(File.ReadAllText(log).Trim(), Is.EqualTo(arrayTask is null ? "requeue 4242" : "requeue 4200_7"));
        Assert.That(stderr, Does.Contain("requeued Slurm job"));
        Assert.That(LatestCheckpointTime(output), Is.GreaterThan(0));
        // The requeued job runs `biosim resume` (or a sweep task finds its checkpoint) and finishes.
        var (resumed, _, err) = BiosimProcess.Run("resume", output, "-q");
        Assert.That(resumed, Is.EqualTo(0), err);
        Assert.That(StatusOf(output), Is.EqualTo("completed"));
    }

    /// <summary>Outside Slurm, SIGUSR1 asks for a checkpoint without stopping: the run completes (exit 0) and its newest
    /// checkpoint is the one written on the signal (the interval is an hour, so no other was due).</summary>
    [Test]
    public void SigUsr1OutsideSlurmCheckpointsAndGoesOn()
    {
        string output = Path.Combine(Dir, "out.h5");
        var environment = new Dictionary<string, string> { ["SLURM_JOB_ID"] = "" };
        var (code, stderr) = SignalHalfway(["run", Experiment(), "-o", output, "--checkpoint-every", "3600"], "USR1", environment);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(StatusOf(output), Is.EqualTo("completed"));
        double t = LatestCheckpointTime(output);
        Assert.That(t, Is.GreaterThan(0).And.LessThan(5000), "a checkpoint from the signal, mid-run");
    }

    /// <summary>A killed run's file keeps "simulated" current with every flushed block (the README's snippet reads it).</summary>
    [Test]
    public void AKilledFileSaysHowFarItGot()
    {
        string output = Path.Combine(Dir, "out.h5");
        SignalHalfway(["run", Experiment(), "-o", output], "KILL");
        using var file = Hdf5File.OpenReadOnly(output);
        Assert.That(file.GetStringAttribute("status"), Is.EqualTo("running"));
        Assert.That(file.GetDoubleAttribute("simulated"), Is.GreaterThanOrEqualTo(500), "two progress lines were printed (≥ 10 % of 5 s each)");
    }

    [Test]
    public void AnExistingOutputIsNeverReplacedWithoutForce()
    {
        string output = Path.Combine(Dir, "out.h5");
        var (code, _, stderr) = BiosimProcess.Run("run", Short(), "-o", output, "-q");
        Assert.That(code, Is.EqualTo(0), stderr);
        byte[] before = File.ReadAllBytes(output);

        (code, _, stderr) = BiosimProcess.Run("run", Short(), "-o", output, "-q");
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr.Trim().Split('\n')[^1], Is.EqualTo($"biosim: error: {output} holds a completed run (simulated 100 ms); pass --force to replace it (its checkpoints included) or choose another output"));
        Assert.That(File.ReadAllBytes(output), Is.EqualTo(before), "nothing overwritten");

        (code, _, stderr) = BiosimProcess.Run("run", Short(), "-o", output, "-q", "--force");
        Assert.That(code, Is.EqualTo(0), stderr);

        string other = Path.Combine(Dir, "notes.h5");
        File.WriteAllText(other, "my notes");
        (code, _, stderr) = BiosimProcess.Run("run", Short(), "-o", other, "-q");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("exists and is not a readable BioSim output"));
        Assert.That(File.ReadAllText(other), Is.EqualTo("my notes"));
    }

    [Test]
    public void AStoppedRunWithACheckpointPointsToResume()
    {
        string output = Path.Combine(Dir, "out.h5");
        var (stopped, err) = SignalHalfway(["run", Experiment(), "-o", output, "--checkpoint-every", "3600"], "TERM");
        Assert.That(stopped, Is.EqualTo(75), err);
        var (code, _, stderr) = BiosimProcess.Run("run", Experiment(), "-o", output, "-q");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("holds a run that stopped (cancelled at t = ").And.Contain($"continue it with `biosim resume {output}`"));
    }

    [Test]
    public void ResumingAFinishedRunSaysItIsComplete()
    {
        string output = Path.Combine(Dir, "out.h5");
        Assert.That(BiosimProcess.Run("run", Short(), "-o", output, "-q").ExitCode, Is.EqualTo(0));
        byte[] before = File.ReadAllBytes(output);
        var (code, stdout, stderr) = BiosimProcess.Run("resume", output, "-q");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout.Trim(), Is.EqualTo($"{output}: the run is complete (simulated 100 ms); there is nothing to resume"));
        Assert.That(File.ReadAllBytes(output), Is.EqualTo(before));
    }

    [Test]
    public void ResumingAComparisonsCurvesFileNamesTheRightCommand()
    {
        string folder = Path.Combine(Dir, "cmp");
        string file = Path.Combine(Dir, "teacher.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(TestPaths.Example("compare-teacher.json")), documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
        json["epochs"] = 1;
        json["seeds"] = new System.Text.Json.Nodes.JsonArray(1);
        File.WriteAllText(file, json.ToJsonString());
        var (code, _, stderr) = BiosimProcess.Run("compare", file, "-o", folder, "-q");
        Assert.That(code, Is.EqualTo(0), stderr);
        string curves = Path.Combine(folder, "curves.h5");
        (code, _, stderr) = BiosimProcess.Run("resume", curves);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("this is the curves file of a rule comparison").And.Contain($"-o {folder} --resume"));
    }

    /// <summary>A checkpoint written by another build is refused (only the build that wrote it resumes it bit for bit), for a
    /// run's file and for a comparison's checkpoint; nothing is written.</summary>
    [Test]
    public void ACheckpointFromAnotherBuildIsRefused()
    {
        string output = Path.Combine(Dir, "out.h5");
        var (stopped, err) = SignalHalfway(["run", Experiment(), "-o", output, "--checkpoint-every", "3600"], "TERM");
        Assert.That(stopped, Is.EqualTo(75), err);
        using (var file = Hdf5File.OpenReadWrite(output)) file.SetAttribute("biosim_version", "0.0.9+0000000");
        byte[] before = File.ReadAllBytes(output);
        var (code, _, stderr) = BiosimProcess.Run("resume", output, "-q");
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain($"{output}: the checkpoint was written by BioSim 0.0.9+0000000; this is ").And.Contain("resume with that build, or start the run again"));
        Assert.That(File.ReadAllBytes(output), Is.EqualTo(before), "nothing written");

        string folder = Path.Combine(Dir, "cmp"), comparison = Path.Combine(Dir, "teacher.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(TestPaths.Example("compare-teacher.json")), documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
        json["epochs"] = 1;
        json["seeds"] = new System.Text.Json.Nodes.JsonArray(1);
        File.WriteAllText(comparison, json.ToJsonString());
        Assert.That(BiosimProcess.Run("compare", comparison, "-o", folder, "-q").ExitCode, Is.EqualTo(0));
        string checkpoint = Directory.GetFiles(Path.Combine(folder, "checkpoints"), "*.h5")[0];
        using (var file = Hdf5File.OpenReadWrite(checkpoint)) file.SetAttribute("biosim_version", "0.0.9+0000000");
        json["epochs"] = 2;
        File.WriteAllText(comparison, json.ToJsonString());
        (code, _, stderr) = BiosimProcess.Run("compare", comparison, "-o", folder, "-q", "--resume");
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain($"{checkpoint}: the checkpoint was written by BioSim 0.0.9+0000000"));
    }
}
