using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;
using BioSim.Tests.IO;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>End to end: the biosim program on real experiment files, its output read by h5py (an outside reader).</summary>
[TestFixture, Category("Validation")]
public sealed class RunCommandTests : TempDirectoryFixture
{
    /// <summary>
    /// biosim run on CUBA (300 ms) exits 0 and prints the summary; h5py (sonata_dump.py checks the SONATA layout:
    /// dtypes, units, sorting enum, time order) reads back exactly the spikes and V trace that our reader sees;
    /// the root attributes hold the experiment JSON as given, the version and status "completed".
    /// </summary>
    [Test]
    public void RunWritesAFileThatH5pyReads()
    {
        string experiment = BiosimProcess.CubaVariant(Dir, j => j["duration"] = 300.0);
        string output = Path.Combine(Dir, "out.h5");
        var (code, stdout, stderr) = BiosimProcess.Run("run", experiment, "-o", output, "--plot", Path.Combine(Dir, "raster.png"));
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("4000 neurons").And.Contain("Hz"));
        Assert.That(new FileInfo(Path.Combine(Dir, "raster.png")).Length, Is.GreaterThan(10_000));

        using var dump = JsonDocument.Parse(ExternalTools.RunPythonScript("sonata_dump.py", output));
        using var file = Hdf5File.OpenReadOnly(output);
        var spikes = SonataFileReader.ReadSpikes(file);
        Assert.That(spikes.Select(s => s.Population), Is.EquivalentTo(new[] { "exc", "inh" }));
        foreach (var s in spikes)
        {
            var py = dump.RootElement.GetProperty("spikes").GetProperty(s.Population);
            Assert.That(py.GetProperty("sorting").GetProperty("enum").GetString(), Is.EqualTo("by_time"));
            Assert.That(py.GetProperty("timestamps").EnumerateArray().Select(x => x.GetDouble()), Is.EqualTo(s.TimestampsMs));
            Assert.That(py.GetProperty("node_ids").EnumerateArray().Select(x => x.GetUInt64()), Is.EqualTo(s.NodeIds));
            Assert.That(s.TimestampsMs, Is.Ordered);
            Assert.That(s.TimestampsMs.All(t => t > 0 && t <= 300), Is.True);
        }
        var report = SonataFileReader.ReadReports(file).Single();
        Assert.That((report.Frames, report.Elements), Is.EqualTo((3000, 5)));
        Assert.That(report.Units, Is.EqualTo("mV"));
        Assert.That(report.Data.All(v => v > -80 && v < -50), Is.True, "V stays below V_th (inhibition may push it below V_reset)");

        using var attrs = JsonDocument.Parse(ExternalTools.RunPythonScript("run_attributes.py", output));
        var root = attrs.RootElement;
        Assert.That(root.GetProperty("status").GetString(), Is.EqualTo("completed"));
        Assert.That(root.GetProperty("experiment").GetString(), Is.EqualTo(File.ReadAllText(experiment)));
        Assert.That(root.GetProperty("biosim_version").GetString(), Does.StartWith("0."));
        Assert.That(root.GetProperty("simulated").GetDouble(), Is.EqualTo(300.0));
        Assert.That(root.GetProperty("report_time").GetProperty("exc").EnumerateArray().Select(x => x.GetDouble()),
            Is.EqualTo(new[] { 0.1, 300.1, 0.1 }).Within(1e-9));

        var (inspectCode, inspect, _) = BiosimProcess.Run("inspect", output);
        Assert.That(inspectCode, Is.EqualTo(0));
        Assert.That(inspect, Does.Contain("status = completed").And.Contain("timestamps"));
    }

    /// <summary>
    /// A run killed with SIGKILL half-way leaves a file h5py opens; every spike before the last flush
    /// (the report's mapping/time stop, rewritten at each flush) equals, bit for bit, the spikes of a run that
    /// was not killed.
    /// </summary>
    [Test]
    public void KilledRunLeavesEveryFlushedBlockReadable()
    {
        string longRun = BiosimProcess.CubaVariant(Dir, j => { j["duration"] = 60000.0; j["flush_interval"] = 20.0; }, "long.json");
        string killed = Path.Combine(Dir, "killed.h5");
        // Non-terminal runs log after the first block, then each 10 % of the duration: the second line comes
        // after at least 6 s of simulated time.
        BiosimProcess.StopAfterProgress(["run", longRun, "-o", killed], p => p.Kill()); // SIGKILL on Unix

        using var attrs = JsonDocument.Parse(ExternalTools.RunPythonScript("run_attributes.py", killed));
        Assert.That(attrs.RootElement.GetProperty("status").GetString(), Is.EqualTo("running"));
        double flushedUntil = attrs.RootElement.GetProperty("report_time").GetProperty("exc")[1].GetDouble() - 0.1;
        Assert.That(flushedUntil, Is.GreaterThanOrEqualTo(6000));
        string complete = Path.Combine(Dir, "complete.h5");
        string shortRun = BiosimProcess.CubaVariant(Dir, j => { j["duration"] = Math.Round(flushedUntil, 6); j["flush_interval"] = 20.0; }, "short.json");
        var (code, _, err) = BiosimProcess.Run("run", shortRun, "-o", complete);
        Assert.That(code, Is.EqualTo(0), err);
        using var file = Hdf5File.OpenReadOnly(complete);
        foreach (var s in SonataFileReader.ReadSpikes(file))
        {
            using var prefix = JsonDocument.Parse(ExternalTools.RunPythonScript("spike_prefix.py", killed, s.Population, s.NodeIds.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            var times = prefix.RootElement.GetProperty("timestamps").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            var ids = prefix.RootElement.GetProperty("node_ids").EnumerateArray().Select(x => x.GetUInt64()).ToArray();
            Assert.That(times, Is.EqualTo(s.TimestampsMs), $"flushed spikes of {s.Population}");
            Assert.That(ids, Is.EqualTo(s.NodeIds));
        }
    }

    private static void Population0(JsonObject j, Action<JsonObject> change) => change(j["populations"]![0]!.AsObject());

    /// <summary>Each bad input: exit code 2 (input) or 3 (files), and one line naming the file and the field.</summary>
    [Test]
    public void BadInputGivesOneClearLineAndExitCode()
    {
        string Expect(string file, int exitCode, params string[] fragments)
        {
            var (code, _, stderr) = BiosimProcess.Run("run", file, "-o", Path.Combine(Dir, "x.h5"));
            Assert.That(code, Is.EqualTo(exitCode), stderr);
            string line = stderr.Trim();
            Assert.That(line.Split('\n'), Has.Length.EqualTo(1), line);
            foreach (string f in fragments) Assert.That(line, Does.Contain(f));
            return line;
        }

        string malformed = Path.Combine(Dir, "malformed.json");
        File.WriteAllText(malformed, "{\"name\": \"x\",\n \"dt\": 0.1,,}");
        Expect(malformed, 2, "malformed.json", "line 2");

        Expect(BiosimProcess.CubaVariant(Dir, j => Population0(j, p => p["model"] = "izhikevich"), "model.json"), 2,
            "model.json", "populations[0].model", "izhikevich", "allowed: adex, hh, interneuron, lif, lif-cond, microcircuit, neurosynaptic-cores, noise-generator, poisson-generator, pyramidal");
        Expect(BiosimProcess.CubaVariant(Dir, j => Population0(j, p => p["parameters"]!["tau_m"] = -20.0), "tau.json"), 2,
            "populations[0].parameters.tau_m", "positive");
        Expect(BiosimProcess.CubaVariant(Dir, j => Population0(j, p => p["parameters"]!["tau_mem"] = 20.0), "unknown.json"), 2,
            "populations[0].parameters.tau_mem", "unknown field", "tau_m");
        Expect(BiosimProcess.CubaVariant(Dir, j => j["projections"]![0]!["connectivity"]!["p"] = 1.5, "p.json"), 2,
            "projections[0].connectivity.p", "[0, 1]");
        Expect(BiosimProcess.CubaVariant(Dir, j => j["projections"]![1]!["receptor"] = "nmda", "receptor.json"), 2,
            "projections[1].receptor", "nmda", "exc, inh");
        Expect(BiosimProcess.CubaVariant(Dir, j => j["dt"] = -0.1, "dt.json"), 2, "dt.json: dt", "positive");
        Expect(Path.Combine(Dir, "missing.json"), 3, "missing.json", "cannot read");

        string ok = BiosimProcess.CubaVariant(Dir, j => j["duration"] = 1.0, "ok.json");
        var (code, _, stderr) = BiosimProcess.Run("run", ok, "-o", Path.Combine(Dir, "no-such-dir", "out.h5"));
        Assert.That(code, Is.EqualTo(3), stderr);
        Assert.That(stderr, Does.Contain("no-such-dir"));
    }

    /// <summary>A run that blows up (an infinite drive makes V NaN) stops with exit 1, names population and time,
    /// and leaves the file readable with status "diverged".</summary>
    [Test]
    public void DivergenceStopsWithWhereAndWhenAndKeepsTheFile()
    {
        string experiment = BiosimProcess.CubaVariant(Dir, j =>
        {
            j["duration"] = 50.0;
            j["populations"]![1]!["parameters"]!["I_e"] = 1e308;
            j["populations"]![1]!["parameters"]!["R_m"] = 10.0;
        });
        string output = Path.Combine(Dir, "diverged.h5");
        var (code, _, stderr) = BiosimProcess.Run("run", experiment, "-o", output);
        Assert.That(code, Is.EqualTo(1), stderr);
        Assert.That(stderr, Does.Contain("population 'inh'").And.Contain("t = 0.1 ms"));
        using var attrs = JsonDocument.Parse(ExternalTools.RunPythonScript("run_attributes.py", output));
        Assert.That(attrs.RootElement.GetProperty("status").GetString(), Does.StartWith("diverged"));
    }

    /// <summary>
    /// The worker threads of run and resume come from --threads, else from SLURM_CPUS_PER_TASK (a Slurm job's
    /// allocation), else from the experiment (1 in cuba.json); a SLURM_CPUS_PER_TASK that is not a positive number is
    /// ignored, and --threads 0 is refused with exit code 2 and one line before anything is written. The spikes do not
    /// depend on the threads (the --json line reports both).
    /// </summary>
    [Test]
    public void ThreadsComeFromTheOptionThenSlurmThenTheExperiment()
    {
        string experiment = BiosimProcess.CubaVariant(Dir, j => j["duration"] = 50.0);
        string output = Path.Combine(Dir, "threads.h5");
        (long Threads, long Spikes) Run(string? slurm, params string[] options)
        {
            var (code, stdout, stderr) = BiosimProcess.RunWithEnvironment(
                new Dictionary<string, string?> { ["SLURM_CPUS_PER_TASK"] = slurm }, ["run", experiment, "-o", output, "-q", "--json", "--force", .. options]);
            Assert.That(code, Is.EqualTo(0), stderr);
            using var json = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
            return (json.RootElement.GetProperty("threads").GetInt64(), json.RootElement.GetProperty("spikes").GetInt64());
        }

        var (threads, spikes) = Run(null);
        Assert.That(threads, Is.EqualTo(1), "the experiment's threads");
        Assert.That(spikes, Is.GreaterThan(0));
        Assert.That(Run("2"), Is.EqualTo((2L, spikes)), "Slurm's allocation");
        Assert.That(Run("2", "--threads", "1"), Is.EqualTo((1L, spikes)), "the option over Slurm");
        Assert.That(Run("0"), Is.EqualTo((1L, spikes)), "SLURM_CPUS_PER_TASK=0 is ignored");
        Assert.That(Run("two"), Is.EqualTo((1L, spikes)), "a SLURM_CPUS_PER_TASK that is not a number is ignored");

        File.Delete(output);
        foreach (string[] arguments in (string[][])[["run", experiment, "-o", output, "--threads", "0"], ["resume", output, "-t", "0"]])
        {
            var (code, stdout, stderr) = BiosimProcess.RunWithEnvironment(new Dictionary<string, string?> { ["SLURM_CPUS_PER_TASK"] = "2" }, arguments);
            Assert.That(code, Is.EqualTo(2), arguments[0]);
            Assert.That((stdout, stderr), Is.EqualTo(("", "biosim: error: --threads must be at least 1, got 0\n")), arguments[0]);
        }
        Assert.That(File.Exists(output), Is.False, "a refused option writes nothing");
    }

    /// <summary>A plot that cannot be written fails on its own line (exit 3) after the run, and the run's file is complete.</summary>
    [Test]
    public void APlotThatCannotBeWrittenKeepsTheRunAndSaysSo()
    {
        string experiment = BiosimProcess.CubaVariant(Dir, j => j["duration"] = 50.0);
        string output = Path.Combine(Dir, "plotted.h5"), png = Path.Combine(Dir, "no-such-folder", "raster.png");
        var (code, stdout, stderr) = BiosimProcess.Run("run", experiment, "-o", output, "-q", "--plot", png);
        Assert.That(code, Is.EqualTo(3), stderr);
        Assert.That(stdout, Does.Contain("Simulated 50 ms"));
        Assert.That(stderr.Trim().Split('\n')[^1],
            Is.EqualTo($"biosim: error: {png}: the folder '{Path.GetDirectoryName(png)}' does not exist; create it or choose another path for the plot ({output} is complete and unchanged)"));
        using var file = BioSim.IO.Hdf5.Hdf5File.OpenReadOnly(output);
        Assert.That(file.GetStringAttribute("status"), Is.EqualTo("completed"));
    }
}
