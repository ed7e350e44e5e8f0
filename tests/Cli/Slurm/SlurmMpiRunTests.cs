using System.Text.Json.Nodes;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;
using NUnit.Framework;

namespace BioSim.Tests.Cli.Slurm;

/// <summary>
/// A split run under the real single-node Slurm of <see cref="SlurmFixture"/>: an sbatch job of 2 tasks whose script runs
/// <c>srun --mpi=pmi2 biosim run</c> (Slurm's PMI-2 server, which Debian's MPICH speaks) writes the spikes and the state report
/// of the one-process run bit for bit (CUBA, 0.5 ms delays, 100 ms; V of neurons on both processes). <c>srun</c> without
/// an MPI plugin (the fixture's MpiDefault is none) would start two whole runs into one output: refused by one line from
/// task 0, every task exits 2, no output.
/// </summary>
[TestFixture, Category("Validation"), NonParallelizable]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SlurmMpiRunTests : SlurmFixture
{
    private string Experiment()
    {
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("cuba.json")))!.AsObject();
        json["duration"] = 100.0;
        foreach (var projection in json["projections"]!.AsArray()) projection!["delay"] = 0.5;
        // exc 0–2047 on process 0, 2048–3199 (and inh) on process 1.
        json["record"]!["state"] = JsonNode.Parse("""[{"population": "exc", "variable": "V", "node_ids": [0, 2047, 2048, 3199], "every": 1}]""");
        string path = Path.Combine(Dir, "cuba-srun.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    private string Script(string srun)
    {
        string script = Path.Combine(Dir, "job.sh");
        File.WriteAllText(script, $"#!/bin/bash\ncd '{Dir}'\n{srun}\n");
        return script;
    }

    [Test]
    public void SrunWithPmi2RunsTheSplitRunOfOneProcess()
    {
        string experiment = Experiment();
        string one = Path.Combine(Dir, "one.h5"), split = Path.Combine(Dir, "split.h5"), log = Path.Combine(Dir, "job.log");
        var single = BiosimProcess.Run("run", experiment, "-o", one, "-q");
        Assert.That(single.ExitCode, Is.EqualTo(0), single.StandardError);
        string job = Submit(Script($"srun --mpi=pmi2 biosim run '{experiment}' -o '{split}' -q --json"), "--ntasks=2", "--cpus-per-task=1", $"--output={log}");
        var fields = WaitUntilFinished(job, log);
        string text = File.ReadAllText(log);
        Assert.That(fields["JobState"], Is.EqualTo("COMPLETED"), text);
        var summary = JsonNode.Parse(text.Split('\n').Single(l => l.StartsWith('{')))!.AsObject();
        Assert.That((int)summary["processes"]!, Is.EqualTo(2), text);
        Assert.That((int)summary["interval_steps"]!, Is.EqualTo(5));
        using var a = Hdf5File.OpenReadOnly(one);
        using var b = Hdf5File.OpenReadOnly(split);
        Assert.That(b.GetStringAttribute("status"), Is.EqualTo("completed"));
        var expected = SonataFileReader.ReadSpikes(a);
        var actual = SonataFileReader.ReadSpikes(b);
        Assert.That(expected.Sum(s => s.NodeIds.Length), Is.GreaterThan(1000), "CUBA fires (~7 Hz × 4000 neurons × 0.1 s)");
        Assert.That(actual.Select(s => s.Population), Is.EqualTo(expected.Select(s => s.Population)));
        for (int p = 0; p < expected.Count; p++)
        {
            Assert.That(actual[p].TimestampsMs, Is.EqualTo(expected[p].TimestampsMs), expected[p].Population);
            Assert.That(actual[p].NodeIds, Is.EqualTo(expected[p].NodeIds), expected[p].Population);
        }
        var reportA = SonataFileReader.ReadReports(a).Single();
        var reportB = SonataFileReader.ReadReports(b).Single();
        Assert.That(reportA.Frames, Is.EqualTo(1000));
        Assert.That(reportB.Data, Is.EqualTo(reportA.Data), "the state report of one process, bit for bit");
    }

    [Test]
    public void SrunWithoutAnMpiPluginIsRefusedByOneLine()
    {
        string experiment = Experiment();
        string split = Path.Combine(Dir, "split.h5"), log = Path.Combine(Dir, "job.log");
        string job = Submit(Script($"srun --mpi=none biosim run '{experiment}' -o '{split}' -q"), "--ntasks=2", "--cpus-per-task=1", $"--output={log}");
        var fields = WaitUntilFinished(job, log);
        string text = File.ReadAllText(log);
        Assert.That(fields["JobState"], Is.EqualTo("FAILED"), text);
        Assert.That(fields["ExitCode"], Is.EqualTo("2:0"), text);
        var errors = text.Split('\n').Where(l => l.StartsWith("biosim: error:", StringComparison.Ordinal)).ToArray();
        Assert.That(errors, Has.Length.EqualTo(1), text);
        Assert.That(errors[0], Does.Contain("srun --mpi=pmi2 -n 2"));
        Assert.That(File.Exists(split), Is.False);
    }
}
