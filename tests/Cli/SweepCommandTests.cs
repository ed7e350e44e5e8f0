using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>
/// <c>biosim sweep</c> end to end through the real program: --local runs every task to the same bits as <c>biosim run</c>
/// of its expanded file alone (the reference: the same program's run command, which ResumeCommandTests and
/// RunCommandTests check against Brian2 and against itself); SIGTERM stops a running sweep with every running task
/// checkpointed (75) and resubmit continues it to the same bits as a sweep never stopped; status tells done, running,
/// stopped, failed and missing tasks apart from their folders; collect's table holds each task's parameters and the rates
/// <c>biosim run --json</c> reports for its file; --slurm --dry-run writes the job-array script; bad input is one line
/// naming the sweep file and field, exit code 2, with nothing written.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class SweepCommandTests : TempDirectoryFixture
{
    /// <summary>A sweep over a CUBA of <paramref name="durationMs"/> (flushed every 20 ms, so logs show progress early) with the
    /// inhibitory weight at <paramref name="weights"/>.</summary>
    private string CubaSweep(double durationMs, double[] weights, string name = "sweep.json", string extra = "")
    {
        string cuba = BiosimProcess.CubaVariant(Dir, j => { j["duration"] = durationMs; j["flush_interval"] = 20.0; }, "cuba-" + name);
        string path = Path.Combine(Dir, name);
        File.WriteAllText(path, $$$"""
            {"name": "cuba-test", "base": "{{{Path.GetFileName(cuba)}}}", "seed": 11{{{extra}}},
             "grid": {"projections[2].weight": [{{{string.Join(", ", weights.Select(w => w.ToString("R", CultureInfo.InvariantCulture)))}}}]}}
            """);
        return path;
    }

    private static void AssertSameRun(string expected, string actual)
    {
        using var a = Hdf5File.OpenReadOnly(expected);
        using var b = Hdf5File.OpenReadOnly(actual);
        Assert.That(b.GetStringAttribute("status"), Is.EqualTo("completed"), actual);
        Assert.That(b.GetStringAttribute("experiment"), Is.EqualTo(a.GetStringAttribute("experiment")));
        var spikesA = SonataFileReader.ReadSpikes(a);
        var spikesB = SonataFileReader.ReadSpikes(b);
        Assert.That(spikesB.Select(s => s.Population), Is.EqualTo(spikesA.Select(s => s.Population)));
        for (int p = 0; p < spikesA.Count; p++)
        {
            Assert.That(spikesA[p].TimestampsMs, Is.Not.Empty);
            Assert.That(spikesB[p].TimestampsMs, Is.EqualTo(spikesA[p].TimestampsMs), $"{actual}: spike times of {spikesA[p].Population}");
            Assert.That(spikesB[p].NodeIds, Is.EqualTo(spikesA[p].NodeIds), $"{actual}: node ids of {spikesA[p].Population}");
        }
        var reportsA = SonataFileReader.ReadReports(a);
        var reportsB = SonataFileReader.ReadReports(b);
        Assert.That(reportsA, Is.Not.Empty);
        for (int r = 0; r < reportsA.Count; r++) Assert.That(reportsB[r].Data, Is.EqualTo(reportsA[r].Data), $"{actual}: report of {reportsA[r].Population}");
    }

    private static string[] StatusLines(string dir)
    {
        var (code, stdout, stderr) = BiosimProcess.Run("sweep", "status", dir);
        Assert.That(code, Is.EqualTo(0), stderr);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Test]
    public void LocalSweepEqualsEachTaskRunAloneAndCollectTabulatesIt()
    {
        string sweep = CubaSweep(30.0, [-3.0, -6.0, -9.0]);
        string dir = Path.Combine(Dir, "out");
        var (code, stdout, stderr) = BiosimProcess.Run("sweep", sweep, "-o", dir, "--local", "--parallel", "2");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stderr, Does.Contain("running 3 of 3 tasks, 2 at a time"));
        Assert.That(stdout, Does.Contain("3 tasks: 0 missing, 0 running, 0 stopped, 3 done, 0 failed"));

        var (collect, table, collectErr) = BiosimProcess.Run("sweep", "collect", dir, "--plot", "--metric", "rate_hz", "--parameter", "projections[2].weight");
        Assert.That(collect, Is.EqualTo(0), collectErr);
        string[] csv = File.ReadAllLines(Path.Combine(dir, "sweep.csv"));
        string[] header = csv[0].Split(',');
        Assert.That(header[..4], Is.EqualTo(new[] { "task", "state", "seed", "projections[2].weight" }));
        Assert.That(csv, Has.Length.EqualTo(4));
        Assert.That(table, Does.Contain(csv[1]));
        using var h5 = Hdf5File.OpenReadOnly(Path.Combine(dir, "sweep.h5"));
        double[] rates = h5.ReadDataset<double>("table/rate_hz");
        double[] weights = h5.ReadDataset<double>("table/projections[2].weight");
        Assert.That(weights, Is.EqualTo(new[] { -3.0, -6.0, -9.0 }));
        Assert.That(File.ReadAllBytes(Path.Combine(dir, "sweep.png"))[1..4], Is.EqualTo("PNG"u8.ToArray()));

        for (int i = 0; i < 3; i++)
        {
            string task = Path.Combine(dir, $"task-000{i}");
            var parameters = JsonNode.Parse(File.ReadAllText(Path.Combine(task, "parameters.json")))!;
            Assert.That((double)parameters["parameters"]!["projections[2].weight"]!, Is.EqualTo(weights[i]));
            string[] row = csv[i + 1].Split(',');
            Assert.That(row[1], Is.EqualTo("done"));
            Assert.That(row[2], Is.EqualTo(((ulong)parameters["seed"]!).ToString(CultureInfo.InvariantCulture)));

            // The same expanded file run alone: the same file bit for bit, and the table's rate is the one biosim run reports.
            string alone = Path.Combine(Dir, $"alone{i}.h5");
            var (runCode, runOut, runErr) = BiosimProcess.Run("run", Path.Combine(task, "experiment.json"), "-o", alone, "-q", "--json");
            Assert.That(runCode, Is.EqualTo(0), runErr);
            AssertSameRun(alone, Path.Combine(task, "out.h5"));
            var summary = JsonNode.Parse(runOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!;
            Assert.That(rates[i], Is.EqualTo((double)summary["rate_hz"]!), $"task {i}: rate");
            Assert.That(double.Parse(row[Array.IndexOf(header, "spikes")], CultureInfo.InvariantCulture), Is.EqualTo((double)summary["spikes"]!));
        }
        // Less inhibition, more firing (the CUBA network's rate falls with the inhibitory weight).
        Assert.That(rates[0], Is.GreaterThan(rates[2]));

        // Resubmit after a deleted output: only that task runs again, to the same bits.
        File.Copy(Path.Combine(dir, "task-0001", "out.h5"), Path.Combine(Dir, "before.h5"));
        File.Delete(Path.Combine(dir, "task-0001", "out.h5"));
        Assert.That(StatusLines(dir)[1], Does.StartWith("task-0001  missing").And.Contain("its output is gone"));
        (code, _, stderr) = BiosimProcess.Run("sweep", "resubmit", dir);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stderr, Does.Contain("running 1 of 3 tasks").And.Contain("task-0001 done"));
        AssertSameRun(Path.Combine(Dir, "before.h5"), Path.Combine(dir, "task-0001", "out.h5"));
        (code, stdout, _) = BiosimProcess.Run("sweep", "resubmit", dir);
        Assert.That(code, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("nothing to resubmit"));
    }

    [Test]
    public void SigtermLeavesRunningTasksCheckpointedAndResubmitFinishesThemBitForBit()
    {
        // Three tasks on two slots, long enough to be stopped mid-run (6 s of CUBA each; the signal goes out as soon as both
        // running tasks have logged progress, so no timing decides the outcome).
        string sweep = CubaSweep(6000.0, [-3.0, -4.0, -5.0]);
        string dir = Path.Combine(Dir, "stopped");
        var start = BiosimProcess.StartInfo("sweep", sweep, "-o", dir, "--local", "--parallel", "2");
        using var process = Process.Start(start)!;
        var stderr = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        static int Lines(string log) => File.Exists(log) ? File.ReadAllText(log).Split("t = ").Length - 1 : 0;
        var clock = Stopwatch.StartNew();
        while (!(Lines(Path.Combine(dir, "task-0000", "log")) >= 2 && Lines(Path.Combine(dir, "task-0001", "log")) >= 2))
        {
            Assert.That(process.HasExited, Is.False, () => $"the sweep ended before it could be stopped: {stderr}");
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromMinutes(3)), "no progress logged");
            Thread.Sleep(20);
        }
        string[] during = StatusLines(dir);
        Assert.That(during[0], Does.StartWith("task-0000  running"));
        Assert.That(during[1], Does.StartWith("task-0001  running"));
        Assert.That(during[2], Does.StartWith("task-0002  missing"));
        BiosimProcess.Signal(process, "TERM");
        Assert.That(process.WaitForExit(120_000), Is.True);
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.EqualTo(75), stderr.ToString());
        Assert.That(stderr.ToString(), Does.Contain("continue with biosim sweep resubmit"));
        string[] after = StatusLines(dir);
        Assert.That(after[0], Does.Match(@"^task-0000  stopped .*\(checkpoint at t = \d+"));
        Assert.That(after[1], Does.Match(@"^task-0001  stopped .*\(checkpoint at t = \d+"));
        Assert.That(after[2], Does.StartWith("task-0002  missing"));
        Assert.That(after[3], Is.EqualTo("3 tasks: 1 missing, 0 running, 2 stopped, 0 done, 0 failed"));

        var (code, _, err) = BiosimProcess.Run("sweep", "resubmit", dir);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(File.ReadAllText(Path.Combine(dir, "task-0000", "log")), Does.Contain("resuming"));
        // The same sweep never stopped, into another folder.
        string reference = Path.Combine(Dir, "reference");
        (code, _, err) = BiosimProcess.Run("sweep", sweep, "-o", reference, "--local", "--parallel", "2");
        Assert.That(code, Is.EqualTo(0), err);
        for (int i = 0; i < 3; i++) AssertSameRun(Path.Combine(reference, $"task-000{i}", "out.h5"), Path.Combine(dir, $"task-000{i}", "out.h5"));
    }

    [Test]
    public void StatusNamesAFailedTaskWithItsErrorLine()
    {
        // hh driven at 1e9 µA/cm² leaves its plausible range at once (PlausibleRangeTests): that task fails, the other is done.
        File.WriteAllText(Path.Combine(Dir, "hh.json"), """
            {"name": "hh", "seed": 1, "dt": 0.025, "duration": 5.0,
             "populations": [{"name": "cell", "size": 2, "model": "hh", "parameters": {"I_e": 10.0}}],
             "projections": [], "record": {"spikes": ["cell"]}}
            """);
        File.WriteAllText(Path.Combine(Dir, "sweep.json"), """{"base": "hh.json", "grid": {"populations[0].parameters.I_e": [10.0, 1e9]}}""");
        string dir = Path.Combine(Dir, "out");
        var (code, _, stderr) = BiosimProcess.Run("sweep", Path.Combine(Dir, "sweep.json"), "-o", dir, "--local");
        Assert.That(code, Is.EqualTo(1), stderr);
        Assert.That(stderr, Does.Contain("task-0001 failed (exit code 1"));
        string[] status = StatusLines(dir);
        Assert.That(status[0], Does.StartWith("task-0000  done"));
        Assert.That(status[1], Does.StartWith("task-0001  failed").And.Contain("Numerical blow-up in population 'cell'").And.Contain("left its plausible range"));
        Assert.That(status[2], Is.EqualTo("2 tasks: 0 missing, 0 running, 0 stopped, 1 done, 1 failed"));
        // A failed task is not run again unless asked (--failed), and the table says why it has no results.
        var (again, stdout, _) = BiosimProcess.Run("sweep", "resubmit", dir);
        Assert.That(again, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("nothing to resubmit"));
        Assert.That(BiosimProcess.Run("sweep", "collect", dir).ExitCode, Is.EqualTo(0));
        string[] csv = File.ReadAllLines(Path.Combine(dir, "sweep.csv"));
        Assert.That(csv[2], Does.StartWith("1,failed,").And.Contain("Numerical blow-up"));
    }

    [Test]
    public void SlurmDryRunWritesTheJobArrayScriptAndResubmitListsOnlyUnfinishedTasks()
    {
        string sweep = CubaSweep(10.0, [-3.0, -6.0, -9.0], extra: """, "slurm": {"time": "00:20:00", "mem": "2G", "signal_seconds": 60, "setup": ["module load dotnet"]}""");
        string dir = Path.Combine(Dir, "array");
        var (code, stdout, stderr) = BiosimProcess.Run("sweep", sweep, "-o", dir, "--slurm", "--dry-run", "--parallel", "2", "--threads", "2",
            "--partition", "short", "--biosim", "/opt/biosim/bin/biosim");
        Assert.That(code, Is.EqualTo(0), stderr);
        string full = Path.GetFullPath(dir);
        Assert.That(stdout.Trim(), Is.EqualTo($"sbatch --parsable {full}/sweep.sbatch"));
        string[] script = File.ReadAllLines(Path.Combine(dir, "sweep.sbatch"));
        Assert.That(script.Where(l => l.StartsWith("#SBATCH", StringComparison.Ordinal)), Is.EqualTo(new[]
        {
            "#SBATCH --job-name=biosim-cuba-test",
            "#SBATCH --array=0-2%2",
            "#SBATCH --requeue",
            "#SBATCH --open-mode=append",
            "#SBATCH --signal=B:USR1@60",
            "#SBATCH --cpus-per-task=2",
            "#SBATCH --time=00:20:00",
            "#SBATCH --mem=2G",
            "#SBATCH --partition=short",
            $"#SBATCH --output={full}/task-%4a/slurm.log",
            $"#SBATCH --error={full}/task-%4a/slurm.log",
        }));
        Assert.That(script[0], Is.EqualTo("#!/bin/bash"));
        Assert.That(script[^2], Is.EqualTo("module load dotnet"));
        Assert.That(script[^1], Is.EqualTo($"exec /opt/biosim/bin/biosim sweep task {full} \"$SLURM_ARRAY_TASK_ID\""));
        Assert.That(Directory.GetDirectories(dir).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "task-0000", "task-0001", "task-0002" }));
        Assert.That(StatusLines(dir)[^1], Is.EqualTo("3 tasks: 3 missing, 0 running, 0 stopped, 0 done, 0 failed"));

        // What an array task runs, with Slurm's thread count; then only tasks 0 and 2 are left.
        var (task, _, taskErr) = BiosimProcess.RunWithEnvironment(new Dictionary<string, string?> { ["SLURM_CPUS_PER_TASK"] = "2" }, "sweep", "task", dir, "1");
        Assert.That(task, Is.EqualTo(0), taskErr);
        Assert.That(File.ReadAllText(Path.Combine(dir, "task-0001", "log")), Does.Contain("2 threads"));
        (code, stdout, stderr) = BiosimProcess.Run("sweep", "resubmit", dir, "--dry-run");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout.Trim(), Is.EqualTo($"sbatch --parsable --array=0,2%2 {full}/sweep.sbatch"));
        // A finished task run again is skipped.
        (task, _, taskErr) = BiosimProcess.Run("sweep", "task", dir, "1");
        Assert.That(task, Is.EqualTo(0));
        Assert.That(taskErr, Does.Contain("task-0001 is done already"));
    }

    [Test]
    public void BadInputIsOneLineNamingTheSweepFileAndFieldAndWritesNothing()
    {
        string dir = Path.Combine(Dir, "never");
        void Refused(string sweepJson, string expected, params string[] options)
        {
            string path = Path.Combine(Dir, "bad.json");
            File.WriteAllText(path, sweepJson);
            var (code, stdout, stderr) = BiosimProcess.Run(["sweep", path, "-o", dir, .. options.Length == 0 ? ["--local"] : options]);
            Assert.That(code, Is.EqualTo(2), stderr);
            Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1), stderr);
            Assert.That(stderr, Does.StartWith("biosim: error: ").And.Contain(expected));
            Assert.That(stdout, Is.Empty);
            Assert.That(Directory.Exists(dir), Is.False, "nothing is written");
        }
        File.Copy(TestPaths.Example("cuba.json"), Path.Combine(Dir, "cuba.json"));
        string bad = Path.Combine(Dir, "bad.json");
        Refused("""{"base": "cuba.json", "grid": {"projections[4].weight": [1.0]}}""",
            $"{bad}: grid.projections[4].weight: projections[4].weight is not a field of cuba.json: 'projections' has 4 elements, so there is no [4]");
        Refused("""{"base": "cuba.json", "grid": {"dt": [0.1, "0.05"]}}""",
            $"{bad}: grid.dt[1]: \"0.05\" is a string, but dt in cuba.json is a number (0.1)");
        Refused("""{"base": "cuba.json", "list": [{"projections[0].connectivity.p": 1.5}]}""",
            $"{bad}: list[0].projections[0].connectivity.p: 1.5 is not a valid projections[0].connectivity.p of cuba.json");
        Refused("""{"base": "missing.json", "grid": {"dt": [0.1]}}""", $"{bad}: base: 'missing.json' does not exist");
        Refused("""{"base": "cuba.json", "grid": {"dt": [0.1]}, "slurm": {"time": 5}}""", $"{bad}: slurm.time: must be a non-empty string");
        Refused("""{"base": "cuba.json", "grid": {"dt": [0.1]}}""", "give one of --local (run the tasks here) and --slurm", "--dry-run");

        // An existing folder without --force: refused, untouched; with --force replaced.
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "keep.txt"), "mine");
        string good = Path.Combine(Dir, "good.json");
        File.WriteAllText(good, """{"base": "cuba.json", "grid": {"duration": [1.0]}}""");
        var (exists, _, existsErr) = BiosimProcess.Run("sweep", good, "-o", dir, "--local");
        Assert.That(exists, Is.EqualTo(2));
        Assert.That(existsErr.Trim(), Is.EqualTo($"biosim: error: {dir} exists; pass --force to write the sweep into it or choose another -o folder"));
        Assert.That(Directory.GetFileSystemEntries(dir), Is.EqualTo(new[] { Path.Combine(dir, "keep.txt") }));
        string sweepDir = Path.Combine(Dir, "sweep");
        Assert.That(BiosimProcess.Run("sweep", good, "-o", sweepDir, "--slurm", "--dry-run").ExitCode, Is.EqualTo(0));
        var (again, _, againErr) = BiosimProcess.Run("sweep", good, "-o", sweepDir, "--slurm", "--dry-run");
        Assert.That(again, Is.EqualTo(2));
        Assert.That(againErr, Does.Contain($"{sweepDir} holds a sweep: continue it with --resume"));
        Assert.That(BiosimProcess.Run("sweep", good, "-o", sweepDir, "--slurm", "--dry-run", "--force").ExitCode, Is.EqualTo(0));
    }

    [Test]
    public void ExampleSweepsExpandAndTheFashionOneWritesItsJobArray()
    {
        string cuba = Path.Combine(Dir, "cuba");
        var (code, _, stderr) = BiosimProcess.Run("sweep", TestPaths.Example("sweep-cuba-inhibition.json"), "-o", cuba, "--slurm", "--dry-run");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stderr, Does.Contain("24 tasks of cuba.json (experiment; projections[2].weight, projections[3].weight, seed, duration)"));
        string fashion = Path.Combine(Dir, "fashion");
        (code, _, stderr) = BiosimProcess.Run("sweep", TestPaths.Example("sweep-fashion-lr.json"), "-o", fashion, "--slurm", "--dry-run");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stderr, Does.Contain("5 tasks of compare-fashion.json (comparison; lr), 2 thread(s) each"));
        Assert.That(File.ReadAllText(Path.Combine(fashion, "sweep.sbatch")), Does.Contain("#SBATCH --array=0-4%5\n").And.Contain("#SBATCH --signal=B:USR1@300\n"));
        var task = JsonNode.Parse(File.ReadAllText(Path.Combine(fashion, "task-0003", "comparison.json")))!;
        Assert.That((double)task["lr"]!, Is.EqualTo(0.03));
    }
}
