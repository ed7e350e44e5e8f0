using System.Globalization;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace BioSim.Tests.Cli.Slurm;

/// <summary>
/// The signal contract (README "Exit codes and signals") under a real Slurm, with job scripts as a user would write them
/// around the installed <c>biosim</c> (<see cref="SlurmFixture.RunJobScript"/>: <c>exec biosim run</c>, or <c>exec biosim
/// resume</c> when the output exists): an array task requeued while running continues from its checkpoint and ends
/// with the uninterrupted run's traces bit for bit; SIGTERM to the batch shell and a plain <c>scancel</c> stop the job
/// with exit code 75 and a readable checkpoint and the job never comes back; SIGUSR1 to the batch shell (what
/// <c>sbatch --signal=B:USR1@s</c> sends before the time limit) makes biosim requeue its own job, which then finishes.
/// The experiment is CUBA (examples/cuba.json) for 40 s of model time, about 5 s of wall time, long enough to act on a
/// running job after its second progress line (≥ 10 % of the duration) and well before its end.
/// </summary>
[TestFixture, Category("Validation")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SlurmRunJobTests : SlurmFixture
{
    private const double DurationMs = 40_000, FlushMs = 10;

    private string _experiment = "", _reference = "";

    /// <summary>The uninterrupted reference: the same experiment run once outside Slurm.</summary>
    [OneTimeSetUp]
    public void RunReference()
    {
        _experiment = BiosimProcess.CubaVariant(Root, j => { j["duration"] = DurationMs; j["flush_interval"] = FlushMs; }, "cuba-40s.json");
        _reference = Path.Combine(Root, "uninterrupted.h5");
        var (code, _, stderr) = BiosimProcess.Run("run", _experiment, "-o", _reference, "-q");
        Assert.That(code, Is.EqualTo(0), stderr);
    }

    [Test]
    public void AnArrayTaskRequeuedWhileRunningResumesToTheUninterruptedResult()
    {
        string job = Submit(RunJobScript(_experiment), "--array=0-1", $"--output={Dir}/job-%a.log");
        string log = Path.Combine(Dir, "job-0.log");
        WaitForProgress(log);
        var (code, _, errors) = Slurm("scontrol", "requeue", $"{job}_0");
        Assert.That(code, Is.EqualTo(0), errors);

        var requeued = WaitUntilFinished($"{job}_0", log);
        var sibling = WaitUntilFinished($"{job}_1", Path.Combine(Dir, "job-1.log"));
        string text = File.ReadAllText(log);
        Assert.That(requeued["JobState"], Is.EqualTo("COMPLETED"), text);
        Assert.That(requeued["ExitCode"], Is.EqualTo("0:0"), text);
        Assert.That(requeued["Restarts"], Is.EqualTo("1"), "requeued once");
        Assert.That(sibling["JobState"], Is.EqualTo("COMPLETED"));
        Assert.That(sibling["Restarts"], Is.EqualTo("0"));

        string first = text[..text.LastIndexOf("biosim-job: start", StringComparison.Ordinal)];
        Assert.That(first, Does.Contain("interrupted; ").And.Contain("checkpoint written at the interruption"),
            "the requeue's SIGTERM reached biosim, which wrote a checkpoint");
        AssertResumedWhereItStopped(first, LatestStart(text));
        AssertSameTraces(_reference, Path.Combine(Dir, "out-0.h5"));
        AssertSameTraces(_reference, Path.Combine(Dir, "out-1.h5"));
        Assert.That(Status(Path.Combine(Dir, "out-0.h5")), Is.EqualTo("completed"));
    }

    /// <summary>
    /// Task 0 gets SIGTERM on its batch shell only (<c>scancel --signal=TERM --batch</c>): biosim exits 75 and the job ends
    /// FAILED with that code. Task 1 is cancelled as a user would (<c>scancel</c>: SIGTERM to every process, SIGKILL after
    /// KillWait): biosim has checkpointed and exited 75 before the SIGKILL. Neither is requeued (Restarts 0: biosim never
    /// requeues on SIGTERM, and a requeue would have happened before it exited). Both files are readable by h5py, say
    /// where they stopped, and hold a checkpoint there; task 0's resumes to the uninterrupted result.
    /// </summary>
    [Test]
    public void SigtermAndScancelStopWithExitCode75AndACheckpointAndTheJobNeverComesBack()
    {
        string job = Submit(RunJobScript(_experiment), "--array=0-1", $"--output={Dir}/job-%a.log");
        WaitForProgress(Path.Combine(Dir, "job-0.log"));
        WaitForProgress(Path.Combine(Dir, "job-1.log"));
        Signal("--signal=TERM", "--batch", $"{job}_0");
        Assert.That(Slurm("scancel", $"{job}_1").Code, Is.EqualTo(0));

        var terminated = WaitUntilFinished($"{job}_0", Path.Combine(Dir, "job-0.log"));
        var cancelled = WaitUntilFinished($"{job}_1", Path.Combine(Dir, "job-1.log"));
        Assert.That(terminated["JobState"], Is.EqualTo("FAILED"), "SIGTERM alone: biosim's exit code 75 ends the job");
        Assert.That(cancelled["JobState"], Is.EqualTo("CANCELLED"));
        foreach (var (task, fields) in new[] { ("0", terminated), ("1", cancelled) })
        {
            string log = File.ReadAllText(Path.Combine(Dir, $"job-{task}.log"));
            Assert.That(fields["ExitCode"], Is.EqualTo("75:0"), $"task {task}: biosim's exit code, not a signal's\n{log}");
            Assert.That(fields["Restarts"], Is.EqualTo("0"), $"task {task} was never requeued");
            Assert.That(Regex.Matches(log, "biosim-job: start"), Has.Count.EqualTo(1), $"task {task} started once\n{log}");
            Assert.That(log, Does.Contain("interrupted; ").And.Contain($"biosim resume out-{task}.h5"));
            string output = Path.Combine(Dir, $"out-{task}.h5");
            double checkpointMs = LatestCheckpointMs(output);
            Assert.That(checkpointMs, Is.GreaterThanOrEqualTo(DurationMs / 10).And.LessThan(DurationMs),
                $"task {task}: the checkpoint written on SIGTERM, after the second progress line");
            Assert.That(Status(output), Is.EqualTo(FormattableString.Invariant($"cancelled at t = {checkpointMs:0.###} ms")));
        }
        Assert.That(Slurm("squeue", "-h", "-o", "%i %T").Output.Trim(), Is.Empty, "no job pending or running");

        var (code, _, stderr) = BiosimProcess.Run("resume", Path.Combine(Dir, "out-0.h5"), "-q");
        Assert.That(code, Is.EqualTo(0), stderr);
        AssertSameTraces(_reference, Path.Combine(Dir, "out-0.h5"));
    }

    /// <summary>
    /// SIGUSR1 to the batch shell of a plain (non-array) job, as <c>--signal=B:USR1@s</c> sends it ahead of a time limit:
    /// biosim writes a checkpoint, runs <c>scontrol requeue</c> on its own job (SLURM_JOB_ID), exits 75; Slurm starts the
    /// job again, the script resumes, and the output equals the uninterrupted run's.
    /// </summary>
    [Test]
    public void SigUsr1ToTheBatchShellRequeuesTheJobItselfWhichResumes()
    {
        string log = Path.Combine(Dir, "job.log");
        string job = Submit(RunJobScript(_experiment), $"--output={log}");
        WaitForProgress(log);
        Signal("--signal=USR1", "--batch", job);

        var fields = WaitUntilFinished(job, log);
        string text = File.ReadAllText(log);
        Assert.That(fields["JobState"], Is.EqualTo("COMPLETED"), text);
        Assert.That(fields["Restarts"], Is.EqualTo("1"), "requeued once, by biosim");
        string first = text[..text.LastIndexOf("biosim-job: start", StringComparison.Ordinal)];
        Assert.That(first, Does.Contain($"biosim: requeued Slurm job {job}"));
        AssertResumedWhereItStopped(first, LatestStart(text));
        AssertSameTraces(_reference, Path.Combine(Dir, "out-0.h5"));
    }

    /// <summary>
    /// Real preemption (<c>PreemptType=preempt/partition_prio</c>, <c>PreemptMode=REQUEUE</c>, see slurm-local.sh): a
    /// biosim job holding the whole node in the low-tier partition is preempted by a job submitted to the high-tier
    /// partition. Slurm itself sends SIGTERM and requeues it; biosim checkpoints and exits 75 before KillWait's SIGKILL,
    /// the urgent job runs, then the biosim job starts again, resumes and ends with the uninterrupted run's traces bit
    /// for bit.
    /// </summary>
    [Test]
    public void AJobPreemptedByAHigherPriorityPartitionIsRequeuedBySlurmAndResumes()
    {
        string log = Path.Combine(Dir, "job.log");
        string cpus = $"--cpus-per-task={Environment.ProcessorCount}";
        string job = Submit(RunJobScript(_experiment), cpus, "--partition=debug", $"--output={log}");
        WaitForProgress(log);
        string urgentScript = Path.Combine(Dir, "urgent.sh");
        File.WriteAllText(urgentScript, "#!/bin/bash\necho urgent ran\nsleep 3\n");
        string urgent = Submit(urgentScript, cpus, "--partition=urgent", $"--output={Dir}/urgent.log");

        var fields = WaitUntilFinished(job, log);
        var urgentFields = WaitUntilFinished(urgent);
        string text = File.ReadAllText(log);
        Assert.That(urgentFields["JobState"], Is.EqualTo("COMPLETED"));
        Assert.That(fields["JobState"], Is.EqualTo("COMPLETED"), text);
        Assert.That(fields["Restarts"], Is.EqualTo("1"), "requeued once, by Slurm's preemption");
        string first = text[..text.LastIndexOf("biosim-job: start", StringComparison.Ordinal)];
        Assert.That(first, Does.Contain("interrupted; ").And.Contain("checkpoint written at the interruption"),
            "the preemption's SIGTERM reached biosim, which wrote a checkpoint before SIGKILL");
        Assert.That(first, Does.Not.Contain("biosim: requeued Slurm job"), "Slurm requeued it; biosim never requeues on SIGTERM");
        AssertResumedWhereItStopped(first, LatestStart(text));
        AssertSameTraces(_reference, Path.Combine(Dir, "out-0.h5"));
    }

    /// <summary>
    /// A real time limit: a job of about 40 s of wall time submitted with <c>--time=1 --signal=B:USR1@50</c>, so that slurmctld
    /// itself sends SIGUSR1 to the batch shell 10-40 s into every start (its time-limit check runs periodically); each time
    /// biosim checkpoints and requeues its own job, which continues from the checkpoint, until the run completes, never
    /// killed by the limit. The output equals an uninterrupted run's bit for bit, run outside Slurm at the same time as the
    /// job. (400 CUBA neurons, 6000 s of model time, the inhibitory population's spikes recorded.)
    /// </summary>
    [Test]
    public void AJobLongerThanItsTimeLimitRequeuesItselfAtTheWarningSignalAndCompletes()
    {
        string experiment = BiosimProcess.CubaVariant(Dir, j =>
        {
            j["duration"] = 6_000_000.0;
            j["flush_interval"] = 1000.0;
            foreach (var p in j["populations"]!.AsArray()) p!["size"] = p["name"]!.GetValue<string>() == "exc" ? 320 : 80;
            foreach (var p in j["projections"]!.AsArray())
            {
                if (p!["connectivity"]?["p"] is not null) p["connectivity"]!["p"] = 0.25;
            }
            j["record"] = System.Text.Json.Nodes.JsonNode.Parse("""{"spikes": ["inh"]}""");
        }, "cuba-long.json");
        string reference = Path.Combine(Dir, "reference.h5");
        // The uninterrupted reference runs beside the job (one thread each; the node's other CPU would idle): the result
        // does not depend on the machine's load, and the job only gets slower, which means more requeues, not fewer.
        string host = BiosimProcess.DotnetHost, dll = BiosimProcess.Dll;
        var referenceRun = Task.Run(() => IO.ExternalTools.Run(host, [dll, "run", experiment, "-o", reference, "-q"]));

        string log = Path.Combine(Dir, "job.log");
        string job = Submit(RunJobScript(experiment), "--time=1", "--signal=B:USR1@50", $"--output={log}");
        var fields = WaitUntilFinished(job, log);
        var (code, _, stderr) = referenceRun.Result;
        Assert.That(code, Is.EqualTo(0), stderr);
        string text = File.ReadAllText(log);
        TestContext.Out.WriteLine(text);
        Assert.That(fields["JobState"], Is.EqualTo("COMPLETED"), text);
        Assert.That(int.Parse(fields["Restarts"], CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(1), "requeued by biosim at the time-limit warning");
        Assert.That(text, Does.Contain($"biosim: requeued Slurm job {job}"));
        Assert.That(text, Does.Not.Contain("DUE TO TIME LIMIT"), "never killed by the limit");
        AssertSameTraces(reference, Path.Combine(Dir, "out-0.h5"));
    }

    /// <summary>
    /// The second start resumed (its banner) from where the first stopped: its first progress line is one block after a
    /// checkpoint at or past the first start's last progress line (≥ 10 % of the duration). Starting over would print
    /// t = 10 ms.
    /// </summary>
    private static void AssertResumedWhereItStopped(string firstStart, string secondStart)
    {
        Assert.That(secondStart, Does.Contain("biosim: resuming out-0.h5"), secondStart);
        double lastBefore = ProgressTimes(firstStart).Last();
        double firstAfter = ProgressTimes(secondStart).First();
        Assert.That(lastBefore, Is.GreaterThanOrEqualTo(DurationMs / 10));
        Assert.That(firstAfter, Is.GreaterThanOrEqualTo(lastBefore + FlushMs - 0.05), $"resumed, not started over:\n{firstStart}\n{secondStart}");
    }

    private static double[] ProgressTimes(string log) =>
        [.. Regex.Matches(log, @"biosim: t = ([0-9.]+) / ").Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];
}
