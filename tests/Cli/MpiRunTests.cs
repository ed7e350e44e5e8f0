using System.Diagnostics;
using System.Text.Json.Nodes;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;
using BioSim.Tests.IO;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>
/// <c>mpiexec -n P biosim run</c> with Debian's MPICH (which .ci/setup installs): the spike file of a CUBA run split over 2
/// or 3 processes, and over 2 processes with 2 threads each, equals the one-process run's bit for bit; the JSON summary
/// says how many processes ran and how many neurons each stepped. What a split run cannot do yet is refused by one line
/// and no output. (This machine has 2 cores: 3 processes run oversubscribed, so their run is short.)
/// </summary>
[TestFixture, Category("Validation")]
public sealed class MpiRunTests : TempDirectoryFixture
{
    private static (int ExitCode, string Stdout, string Stderr) MpiExec(int processes, params string[] arguments) =>
        ExternalTools.Run("mpiexec", ["-n", processes.ToString(System.Globalization.CultureInfo.InvariantCulture), BiosimProcess.DotnetHost, BiosimProcess.Dll, .. arguments]);

    private string Cuba(double durationMs, string name) => BiosimProcess.CubaVariant(Dir, json =>
    {
        json["duration"] = durationMs;
        json["record"]!.AsObject().Remove("state");
    }, name);

    private static IReadOnlyList<SpikeTrains> Spikes(string path)
    {
        using var file = Hdf5File.OpenReadOnly(path);
        Assert.That(file.GetStringAttribute("status"), Is.EqualTo("completed"), path);
        return SonataFileReader.ReadSpikes(file);
    }

    [TestCase(2, 1, 150.0)]
    [TestCase(2, 2, 150.0)]
    [TestCase(3, 1, 20.0)]
    public void SplitRunWritesTheSpikesOfOneProcess(int processes, int threads, double durationMs)
    {
        string experiment = Cuba(durationMs, "cuba-mpi.json");
        string one = Path.Combine(Dir, "one.h5"), split = Path.Combine(Dir, "split.h5");
        var single = BiosimProcess.Run("run", experiment, "-o", one, "-q");
        Assert.That(single.ExitCode, Is.EqualTo(0), single.StandardError);
        var (code, stdout, stderr) = MpiExec(processes, "run", experiment, "-o", split, "-q", "--json", "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(code, Is.EqualTo(0), stderr);
        var expected = Spikes(one);
        var actual = Spikes(split);
        Assert.That(expected.Sum(s => s.NodeIds.Length), Is.GreaterThan(durationMs >= 100 ? 1000 : 10), "CUBA fires");
        Assert.That(actual.Select(s => s.Population), Is.EqualTo(expected.Select(s => s.Population)));
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.That(actual[i].NodeIds, Is.EqualTo(expected[i].NodeIds), expected[i].Population);
            Assert.That(actual[i].TimestampsMs, Is.EqualTo(expected[i].TimestampsMs), expected[i].Population);
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
        var start = new System.Diagnostics.ProcessStartInfo("mpiexec")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in (string[])["-n", "2", BiosimProcess.DotnetHost, BiosimProcess.Dll, "run", experiment, "-o", split, "--checkpoint-every", "3600"]) start.ArgumentList.Add(a);
        // SIGTERM to every biosim process of the job, as Slurm signals every task. (Signalled itself, mpiexec once returned 0.)
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
        var expected = Spikes(one);
        var actual = Spikes(split);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.That(actual[i].NodeIds, Is.EqualTo(expected[i].NodeIds), expected[i].Population);
            Assert.That(actual[i].TimestampsMs, Is.EqualTo(expected[i].TimestampsMs), expected[i].Population);
        }
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

    [Test]
    public void StateReportsAreRefusedWithOneLineAndNoOutput()
    {
        string experiment = BiosimProcess.CubaVariant(Dir, json => json["duration"] = 10.0, "cuba-state.json");
        string output = Path.Combine(Dir, "refused.h5");
        var (code, _, stderr) = MpiExec(2, "run", experiment, "-o", output, "-q");
        Assert.That(code, Is.EqualTo(2), stderr);
        var errors = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains("record.state", StringComparison.Ordinal)).ToArray();
        Assert.That(errors, Has.Length.EqualTo(1), "process 0 alone says why: " + stderr);
        Assert.That(errors[0], Does.Contain("split over processes").And.Contain("cuba-state.json"));
        Assert.That(File.Exists(output) || File.Exists(output + ".setup"), Is.False);
    }
}
