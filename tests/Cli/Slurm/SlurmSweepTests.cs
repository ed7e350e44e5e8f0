using System.Globalization;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace BioSim.Tests.Cli.Slurm;

/// <summary>
/// <c>biosim sweep … --slurm</c> end to end on a real Slurm: the sweep's own job-array script (sweep.sbatch, <c>exec biosim
/// sweep task DIR $SLURM_ARRAY_TASK_ID</c>) is submitted; one running task is requeued by the scheduler (<c>scontrol
/// requeue</c>: SIGTERM, checkpoint, back in the queue), another gets the time-limit warning its script asks for
/// (<c>--signal=B:USR1@s</c>; sent here at once with <c>scancel --signal=USR1 --batch</c>, the same delivery to the batch
/// shell) and requeues itself; the third runs undisturbed. Every task must end done, and its output must equal the same
/// sweep run with <c>--local</c> bit for bit (every spike time, node id and V frame).
/// </summary>
[TestFixture, Category("Validation")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SlurmSweepTests : SlurmFixture
{
    /// <summary>CUBA for 20 s of model time (about 2.5 s of wall time per task on an idle core): long enough to act on a running task after its
    /// second progress line (≥ 10 % of the duration).</summary>
    private const double DurationMs = 20_000;

    private string SweepFile()
    {
        string cuba = BiosimProcess.CubaVariant(Dir, j => { j["duration"] = DurationMs; j["flush_interval"] = 20.0; }, "cuba-20s.json");
        string path = Path.Combine(Dir, "sweep.json");
        File.WriteAllText(path, $$$"""
            {"name": "slurm-e2e", "base": "{{{Path.GetFileName(cuba)}}}", "seed": 7, "threads": 1,
             "grid": {"projections[2].weight": [-4.5, -6.0, -9.0]}}
            """);
        return path;
    }

    private static string Task(string dir, int index) => Path.Combine(dir, $"task-{index:0000}");

    /// <summary>Waits until task <paramref name="index"/>'s log shows two progress lines of its first start.</summary>
    private void WaitForTaskProgress(string dir, int index)
    {
        string log = Path.Combine(Task(dir, index), "log");
        WaitFor(() => File.Exists(log) && Regex.Count(File.ReadAllText(log), @"t = [0-9.]+ / ") >= 2,
            () => $"two progress lines of task {index}", log);
    }

    [Test]
    public void ASlurmSweepWithARequeuedAndATimeLimitWarnedTaskEqualsTheLocalSweep()
    {
        string sweep = SweepFile();
        string slurmDir = Path.Combine(Dir, "slurm"), localDir = Path.Combine(Dir, "local");
        string biosim = Path.Combine(Bin, "biosim");

        var (code, stdout, stderr) = Slurm(biosim, "sweep", sweep, "-o", slurmDir, "--slurm");
        Assert.That(code, Is.EqualTo(0), stdout + stderr);
        var submitted = Regex.Match(stdout, @"submitted job array (\d+) \(3 tasks\)");
        Assert.That(submitted.Success, Is.True, stdout);
        string job = submitted.Groups[1].Value;
        Own(job);
        Assert.That(File.ReadAllText(Path.Combine(slurmDir, "sweep.sbatch")), Does.Contain($"sweep task {slurmDir} \"$SLURM_ARRAY_TASK_ID\""));

        // The node has two CPUs: tasks 0 and 1 run first, task 2 when a CPU is free.
        WaitForTaskProgress(slurmDir, 0);
        (code, _, stderr) = Slurm("scontrol", "requeue", $"{job}_0");
        Assert.That(code, Is.EqualTo(0), stderr);
        WaitForTaskProgress(slurmDir, 1);
        Signal("--signal=USR1", "--batch", $"{job}_1");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var fields = new Dictionary<string, string>[3];
        for (int i = 0; i < 3; i++) fields[i] = WaitUntilFinished($"{job}_{i}", Path.Combine(Task(slurmDir, i), "slurm.log"));
        for (int i = 0; i < 3; i++)
        {
            string log = File.ReadAllText(Path.Combine(Task(slurmDir, i), "slurm.log"));
            Assert.That(fields[i]["JobState"], Is.EqualTo("COMPLETED"), $"task {i}:\n{log}");
            Assert.That(fields[i]["ExitCode"], Is.EqualTo("0:0"), $"task {i}:\n{log}");
            Assert.That(fields[i]["Restarts"], Is.EqualTo(i < 2 ? "1" : "0"), $"task {i}: requeued {(i < 2 ? "once" : "never")}\n{log}");
        }
        string log0 = File.ReadAllText(Path.Combine(Task(slurmDir, 0), "log"));
        string log1 = File.ReadAllText(Path.Combine(Task(slurmDir, 1), "slurm.log"));
        Assert.That(log1, Does.Contain($"biosim: requeued Slurm job {job}_1"), "task 1 requeued itself on SIGUSR1");
        foreach (var (index, log) in new[] { (0, log0), (1, File.ReadAllText(Path.Combine(Task(slurmDir, 1), "log"))) })
        {
            // Resumed, not started over: the first progress line after "resuming" is past the last one before it.
            int at = log.IndexOf("resuming ", StringComparison.Ordinal);
            Assert.That(at, Is.GreaterThan(0), $"task {index} resumed from its checkpoint:\n{log}");
            double before = Times(log[..at]).Last(), after = Times(log[at..]).First();
            Assert.That(before, Is.GreaterThanOrEqualTo(DurationMs / 10), log);
            Assert.That(after, Is.GreaterThan(before), $"task {index} continued where it stopped:\n{log}");
        }
        (code, stdout, stderr) = Slurm(biosim, "sweep", "status", slurmDir);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("3 tasks: 0 missing, 0 running, 0 stopped, 3 done, 0 failed"));

        TestContext.Progress.WriteLine($"Slurm sweep finished {clock.Elapsed.TotalSeconds:0.0} s after the requeues");
        clock.Restart();
        // The same sweep on this machine: every task's output equal bit for bit.
        (code, stdout, stderr) = BiosimProcess.Run("sweep", sweep, "-o", localDir, "--local", "--parallel", "2", "-q");
        Assert.That(code, Is.EqualTo(0), stdout + stderr);
        TestContext.Progress.WriteLine($"--local sweep took {clock.Elapsed.TotalSeconds:0.0} s");
        for (int i = 0; i < 3; i++) AssertSameTraces(Path.Combine(Task(localDir, i), "out.h5"), Path.Combine(Task(slurmDir, i), "out.h5"));
    }

    private static double[] Times(string log) =>
        [.. Regex.Matches(log, @"t = ([0-9.]+) / ").Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];
}
