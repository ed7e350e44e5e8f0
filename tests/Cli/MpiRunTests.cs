using System.Diagnostics;
using System.Text.Json.Nodes;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;
using BioSim.Tests.IO;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>
/// <c>mpiexec -n P biosim run</c> with Debian's MPICH (which .ci/setup installs): the spike file and the state report (V of
/// neurons on every process) of a CUBA run split over 2 or 3 processes, over 2 processes with 2 threads each, and with 0.5 ms
/// delays (spikes exchanged every 5 steps), equal the one-process run's bit for bit; the JSON summary says how many processes
/// ran, how many neurons each stepped and how the spikes were exchanged. What a split run cannot do yet is refused by one
/// line and no output. (This machine has 2 cores: 3 processes run oversubscribed, so their run is short.)
/// </summary>
[TestFixture, Category("Validation")]
public sealed class MpiRunTests : TempDirectoryFixture
{
    private static (int ExitCode, string Stdout, string Stderr) MpiExec(int processes, params string[] arguments) =>
        ExternalTools.Run("mpiexec", ["-n", processes.ToString(System.Globalization.CultureInfo.InvariantCulture), BiosimProcess.DotnetHost, BiosimProcess.Dll, .. arguments]);

    private string Cuba(double durationMs, string name, double? delayMs = null, bool report = false) => BiosimProcess.CubaVariant(Dir, json =>
    {
        json["duration"] = durationMs;
        if (delayMs is { } delay)
        {
            foreach (var projection in json["projections"]!.AsArray()) projection!["delay"] = delay;
        }
        // exc 0–2047 on process 0 and 2048–3199 on process 1 of 2; 0–1023, 1024–3071, 3072–3199 of 3.
        if (report) json["record"]!["state"] = JsonNode.Parse("""[{"population": "exc", "variable": "V", "node_ids": [0, 1500, 2047, 2048, 3199], "every": 1}]""");
        else json["record"]!.AsObject().Remove("state");
    }, name);

    /// <summary>The spikes in <paramref name="actualPath"/> equal those in <paramref name="expectedPath"/> bit for bit, population by population.</summary>
    private static void AssertSameSpikes(string expectedPath, string actualPath)
    {
        var expected = Spikes(expectedPath);
        var actual = Spikes(actualPath);
        Assert.That(actual, Has.Count.EqualTo(expected.Count));
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.That(actual[i].NodeIds, Is.EqualTo(expected[i].NodeIds), expected[i].Population);
            Assert.That(actual[i].TimestampsMs, Is.EqualTo(expected[i].TimestampsMs), expected[i].Population);
        }
    }

    private static IReadOnlyList<SpikeTrains> Spikes(string path)
    {
        using var file = Hdf5File.OpenReadOnly(path);
        Assert.That(file.GetStringAttribute("status"), Is.EqualTo("completed"), path);
        return SonataFileReader.ReadSpikes(file);
    }

    [TestCase(2, 1, 150.0, null, 1)]
    [TestCase(2, 2, 150.0, null, 1)]
    [TestCase(2, 1, 150.0, 0.5, 5)]
    [TestCase(3, 1, 20.0, 0.5, 5)]
    public void SplitRunWritesTheSpikesOfOneProcess(int processes, int threads, double durationMs, double? delayMs, int interval)
    {
        string experiment = Cuba(durationMs, "cuba-mpi.json", delayMs, report: true);
        string one = Path.Combine(Dir, "one.h5"), split = Path.Combine(Dir, "split.h5");
        var single = BiosimProcess.Run("run", experiment, "-o", one, "-q");
        Assert.That(single.ExitCode, Is.EqualTo(0), single.StandardError);
        var (code, stdout, stderr) = MpiExec(processes, "run", experiment, "-o", split, "-q", "--json", "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(code, Is.EqualTo(0), stderr);
        var expected = Spikes(one);
        var actual = Spikes(split);
        Assert.That(expected.Sum(s => s.NodeIds.Length), Is.GreaterThan(durationMs >= 100 ? 1000 : 10), "CUBA fires");
        Assert.That(actual.Select(s => s.Population), Is.EqualTo(expected.Select(s => s.Population)));
        AssertSameSpikes(one, split);
        using (var a = Hdf5File.OpenReadOnly(one))
        using (var b = Hdf5File.OpenReadOnly(split))
        {
            var reportOne = SonataFileReader.ReadReports(a).Single();
            var reportSplit = SonataFileReader.ReadReports(b).Single();
            Assert.That(reportOne.Frames, Is.EqualTo((int)Math.Round(durationMs / 0.1)));
            Assert.That(reportSplit.Frames, Is.EqualTo(reportOne.Frames));
            Assert.That(reportSplit.NodeIds, Is.EqualTo(reportOne.NodeIds));
            Assert.That(reportSplit.Data, Is.EqualTo(reportOne.Data), "the state report of one process, bit for bit");
        }
        // One summary (process 0's), naming the processes and their shares of the 4000 neurons.
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith('{')).ToArray();
        Assert.That(lines, Has.Length.EqualTo(1), stdout);
        var summary = JsonNode.Parse(lines[0])!.AsObject();
        Assert.That((int)summary["processes"]!, Is.EqualTo(processes));
        var shares = summary["neurons_per_process"]!.AsArray().Select(n => (int)n!).ToArray();
        Assert.That(shares, Has.Length.EqualTo(processes));
        Assert.That(shares.Sum(), Is.EqualTo(4000));
        Assert.That(shares, Is.All.GreaterThan(0));
        // One exchange per interval of the shortest delay (flush blocks of 100 ms hold whole intervals).
        Assert.That((int)summary["interval_steps"]!, Is.EqualTo(interval));
        Assert.That((long)summary["exchanges"]!, Is.EqualTo((long)Math.Round(durationMs / 0.1) / interval));
        Assert.That((double)summary["exchange_s"]!, Is.GreaterThan(0));
    }

    /// <summary>
    /// SIGTERM to mpiexec (which passes it to every process) while a split run runs: all processes stop at the same block end
    /// with a checkpoint of every process's state, exit 75 (resumable); <c>mpiexec -n 2 biosim resume</c> ends it with the spikes
    /// of the uninterrupted one-process run, bit for bit. Resuming with another process count is refused with one line.
    /// </summary>
    [Test]
    public void SigtermedSplitRunResumesToTheUninterruptedSpikes()
    {
        string experiment = Cuba(3000, "cuba-mpi-long.json");
        string one = Path.Combine(Dir, "one.h5"), split = Path.Combine(Dir, "split.h5");
        Assert.That(BiosimProcess.Run("run", experiment, "-o", one, "-q").ExitCode, Is.EqualTo(0));
        var start = MpiexecRun(2, experiment, split, "3600");
        // SIGTERM to every biosim process of the job, as Slurm signals every task (mpiexec itself signalled: the next test).
        var (code, stderr) = BiosimProcess.StopAfterProgress(start, p =>
        {
            foreach (int pid in Descendants(p.Id).Where(d => CommandLine(d).Contains(BiosimProcess.Dll, StringComparison.Ordinal)))
                Process.Start("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        }, lines: 1);
        Assert.That(code, Is.EqualTo(75), stderr);
        Assert.That(stderr, Does.Contain("mpiexec -n 2 biosim resume"));
        using (var file = Hdf5File.OpenReadOnly(split))
        {
            Assert.That(file.GetStringAttribute("status"), Does.StartWith("cancelled at t = "));
        }
        var wrong = MpiExec(3, "resume", split, "-q");
        Assert.That(wrong.ExitCode, Is.Not.EqualTo(0));
        Assert.That(wrong.Stderr, Does.Contain("split over 2 processes; resume it with the same number"));
        var (resumed, _, resumeErr) = MpiExec(2, "resume", split, "-q");
        Assert.That(resumed, Is.EqualTo(0), resumeErr);
        AssertSameSpikes(one, split);
    }

    /// <summary>
    /// SIGTERM to mpiexec itself (a job script's own signal, or a scheduler that signals only the launcher): MPICH's Hydra
    /// forwards it, every process stops at the same block end with a checkpoint, and resume ends with the uninterrupted
    /// one-process spikes bit for bit. Hydra then exits 0 whatever the processes returned (Debian's MPICH 4.0; measured here,
    /// so the test accepts 0 or 75), so a job script cannot tell from mpiexec's code: <c>biosim inspect out.h5 --status</c>
    /// says it (exit 75 and the resume command for a stopped run, 0 once completed).
    /// </summary>
    [Test]
    public void SigtermToMpiexecItselfStopsWithACheckpointThatInspectStatusReports()
    {
        string experiment = Cuba(3000, "cuba-mpi-term-launcher.json");
        string one = Path.Combine(Dir, "launcher-one.h5"), split = Path.Combine(Dir, "launcher-split.h5");
        Assert.That(BiosimProcess.Run("run", experiment, "-o", one, "-q").ExitCode, Is.EqualTo(0));
        var start = MpiexecRun(2, experiment, split, "3600");
        var (code, stderr) = BiosimProcess.StopAfterProgress(start, p =>
            Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit(), lines: 1);
        Assert.That(code, Is.EqualTo(0).Or.EqualTo(75), stderr);
        Assert.That(stderr, Does.Contain("mpiexec -n 2 biosim resume"));
        var status = BiosimProcess.Run("inspect", split, "--status");
        Assert.That(status.ExitCode, Is.EqualTo(75), status.StandardOutput + status.StandardError);
        Assert.That(status.StandardOutput, Does.StartWith("cancelled at t = ").And.Contain("(resumable: mpiexec -n 2 biosim resume "));
        var (resumed, _, resumeErr) = MpiExec(2, "resume", split, "-q");
        Assert.That(resumed, Is.EqualTo(0), resumeErr);
        var done = BiosimProcess.Run("inspect", split, "--status");
        Assert.That((done.ExitCode, done.StandardOutput.Trim()), Is.EqualTo((0, "completed")));
        AssertSameSpikes(one, split);
    }

    /// <summary>
    /// SIGKILL of one process of a split run (a node lost, an OOM kill): the whole job ends (Hydra takes the others down), the
    /// output keeps the last checkpoint, and <c>mpiexec -n 2 biosim resume</c> from it ends with the spikes of the uninterrupted
    /// one-process run, bit for bit.
    /// </summary>
    [Test]
    public void SigkillOfOneProcessEndsTheJobAndResumeEqualsTheUninterruptedRun()
    {
        string experiment = Cuba(3000, "cuba-mpi-kill.json");
        string one = Path.Combine(Dir, "kill-one.h5"), split = Path.Combine(Dir, "kill-split.h5");
        Assert.That(BiosimProcess.Run("run", experiment, "-o", one, "-q").ExitCode, Is.EqualTo(0));
        var start = MpiexecRun(2, experiment, split, "0");
        int killed = 0;
        var (code, stderr) = BiosimProcess.StopAfterProgress(start, p =>
        {
            int victim = Descendants(p.Id).Where(d => CommandLine(d).Contains(BiosimProcess.Dll, StringComparison.Ordinal)).Max();
            Process.Start("kill", ["-KILL", victim.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            killed = victim;
        }, lines: 2);
        Assert.That(killed, Is.GreaterThan(0));
        Assert.That(code, Is.Not.EqualTo(0), stderr);
        using (var file = Hdf5File.OpenReadOnly(split))
        {
            Assert.That(file.GetStringAttribute("status"), Is.Not.EqualTo("completed"));
        }
        var (resumed, _, resumeErr) = MpiExec(2, "resume", split, "-q");
        Assert.That(resumed, Is.EqualTo(0), resumeErr);
        AssertSameSpikes(one, split);
    }

    /// <summary>mpiexec -n <paramref name="processes"/> biosim run, its output redirected (for <see cref="BiosimProcess.StopAfterProgress(System.Diagnostics.ProcessStartInfo, Action{Process}, int, string)"/>).</summary>
    private static System.Diagnostics.ProcessStartInfo MpiexecRun(int processes, string experiment, string output, string checkpointEvery)
    {
        var start = new System.Diagnostics.ProcessStartInfo("mpiexec")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in (string[])["-n", processes.ToString(System.Globalization.CultureInfo.InvariantCulture), BiosimProcess.DotnetHost, BiosimProcess.Dll,
            "run", experiment, "-o", output, "--checkpoint-every", checkpointEvery]) start.ArgumentList.Add(a);
        return start;
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline");
        }
        catch (IOException)
        {
            return ""; // ended meanwhile
        }
    }

    /// <summary>Every process below <paramref name="pid"/> (from /proc/PID/task/*/children).</summary>
    private static List<int> Descendants(int pid)
    {
        var found = new List<int>();
        var queue = new Queue<int>([pid]);
        while (queue.Count > 0)
        {
            int p = queue.Dequeue();
            if (!Directory.Exists($"/proc/{p}/task")) continue;
            foreach (var task in Directory.GetDirectories($"/proc/{p}/task"))
            {
                string children;
                try
                {
                    children = File.ReadAllText(Path.Combine(task, "children"));
                }
                catch (IOException)
                {
                    continue;
                }
                foreach (var c in children.Split(' ', StringSplitOptions.RemoveEmptyEntries)) queue.Enqueue(int.Parse(c, System.Globalization.CultureInfo.InvariantCulture));
            }
            if (p != pid) found.Add(p);
        }
        return found;
    }

    /// <summary>
    /// A plastic CUBA (pair STDP on exc→exc with 0.5 ms delays: spikes exchanged every 5 steps) under <c>mpiexec -n 2</c>: the
    /// spikes, the weight report (synapses kept by either process, every 100 steps) and the final weights of all 205k
    /// synapses equal the one-process run's bit for bit (the reference: the same experiment without mpiexec).
    /// </summary>
    [Test]
    public void PlasticSplitRunWritesTheWeightsOfOneProcess()
    {
        string experiment = BiosimProcess.CubaVariant(Dir, json =>
        {
            json["duration"] = 50.0;
            foreach (var projection in json["projections"]!.AsArray()) projection!["delay"] = 0.5;
            json["projections"]![0]!["plasticity"] = JsonNode.Parse("""
                {"rule": "stdp", "tau_plus": 20.0, "tau_minus": 20.0, "A_plus": 0.05, "A_minus": 0.0525, "w_min": 0.0, "w_max": 3.24}
                """);
            json["record"]!.AsObject().Remove("state");
            json["record"]!["weights"] = JsonNode.Parse("""[{"projection": "exc->exc:exc", "synapses": [0, 1, 2, 100000, 204000], "every": 100}]""");
        }, "cuba-stdp-mpi.json");
        string one = Path.Combine(Dir, "stdp-one.h5"), split = Path.Combine(Dir, "stdp-split.h5");
        var single = BiosimProcess.Run("run", experiment, "-o", one, "-q");
        Assert.That(single.ExitCode, Is.EqualTo(0), single.StandardError);
        var (code, _, stderr) = MpiExec(2, "run", experiment, "-o", split, "-q");
        Assert.That(code, Is.EqualTo(0), stderr);
        AssertSameSpikes(one, split);
        using var a = Hdf5File.OpenReadOnly(one);
        using var b = Hdf5File.OpenReadOnly(split);
        foreach (string dataset in new[] { "data", "time", "final" })
        {
            string path = "/weights/exc->exc:exc/" + dataset;
            Assert.That(b.ReadDataset<double>(path).Select(BitConverter.DoubleToInt64Bits), Is.EqualTo(a.ReadDataset<double>(path).Select(BitConverter.DoubleToInt64Bits)), path);
        }
        foreach (string dataset in new[] { "source_ids", "target_ids", "synapse_ids" })
        {
            string path = "/weights/exc->exc:exc/" + dataset;
            Assert.That(b.ReadDataset<ulong>(path), Is.EqualTo(a.ReadDataset<ulong>(path)), path);
        }
        double[] final = a.ReadDataset<double>("/weights/exc->exc:exc/final");
        Assert.That(final, Has.Length.GreaterThan(200000));
        Assert.That(final.Count(w => w != 1.62), Is.GreaterThan(final.Length / 10), "STDP moved the weights");
    }

    /// <summary>What a split run cannot do yet (here a report of a microcircuit's weight matrix, examples/microcircuit-traces.json)
    /// is refused: one line from process 0 naming the field, exit 2 from the job (every process exits), no output.</summary>
    [Test]
    public void WhatASplitRunCannotDoIsRefusedWithOneLineAndNoOutput()
    {
        string output = Path.Combine(Dir, "refused.h5");
        var (code, _, stderr) = MpiExec(2, "run", TestPaths.Example("microcircuit-traces.json"), "-o", output, "-q");
        Assert.That(code, Is.EqualTo(2), stderr);
        var errors = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains("record.weights[0].matrix", StringComparison.Ordinal)).ToArray();
        Assert.That(errors, Has.Length.EqualTo(1), "process 0 alone says why: " + stderr);
        Assert.That(errors[0], Does.Contain("split over processes").And.Contain("microcircuit-traces.json"));
        Assert.That(File.Exists(output) || File.Exists(output + ".setup"), Is.False);
        // An error every process finds while reading the experiment (before MPI starts) is also said once, by process 0.
        string unknown = BiosimProcess.CubaVariant(Dir, json => json["record"]!["weights"] = JsonNode.Parse("""[{"projection": "exc->exc"}]"""), "cuba-unknown.json");
        var misnamed = MpiExec(2, "run", unknown, "-o", output, "-q");
        Assert.That(misnamed.ExitCode, Is.EqualTo(2), misnamed.Stderr);
        Assert.That(misnamed.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains("no projection named 'exc->exc'", StringComparison.Ordinal)), Is.EqualTo(1), misnamed.Stderr);
        Assert.That(File.Exists(output) || File.Exists(output + ".setup"), Is.False);
    }
}
