using System.Text.Json;
using System.Text.Json.Nodes;
using BioSim.IO.Compare;
using BioSim.IO.Experiments;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;
using BioSim.Tests.Cli;
using BioSim.Workflows;
using BioSim.Workflows.Compare;
using BioSim.Workflows.Runs;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Workflows;

/// <summary>
/// A C# program runs every workflow with the composition root alone (<see cref="BioSimServiceCollectionExtensions.BuildBioSimServices"/>),
/// no CLI code: a run, its resumption after a stop, and a rule comparison. The README's C# snippet is the first test.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class WorkflowsWithoutCliTests : TempDirectoryFixture
{
    /// <summary>examples/cuba.json shortened to 200 ms (blocks of 20 ms), as a program would give it.</summary>
    private static Experiment ShortCuba(ExperimentReader reader)
    {
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("cuba.json")))!.AsObject();
        json["duration"] = 200.0;
        json["flush_interval"] = 20.0;
        return reader.Read(json.ToJsonString(), "cuba-short.json");
    }

    /// <summary>
    /// Run from C#: the summary says completed, with CUBA's 4000 neurons, and the file holds the status text "completed".
    /// Then the same run stopped through its cancellation token after 100 ms (as SIGTERM would stop it) and resumed by
    /// <see cref="ExperimentRunner.Resume"/>: the file says "cancelled at t = 100 ms" in between, and in the end holds
    /// the same spikes, bit for bit, as the run that was never stopped.
    /// </summary>
    /// <summary>
    /// Checkpoints by model time (<c>biosim run --checkpoint-model-time</c>): with the wall-time interval an hour, a 200 ms run
    /// in 20 ms blocks checkpointed every 60 ms of model time holds its checkpoints at 60, 120 and 180 ms (the two newest,
    /// 180 and 120, are kept in the file's two slots); without it, only the one at t = 0.
    /// </summary>
    [Test]
    public void CheckpointsFollowModelTimeWhenAsked()
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var runner = services.GetRequiredService<ExperimentRunner>();
        var experiment = ShortCuba(services.GetRequiredService<ExperimentReader>());
        string byModel = Path.Combine(Dir, "by-model.h5");
        runner.Run(experiment, byModel, checkpointEvery: TimeSpan.FromHours(1), checkpointEveryModelMs: 60);
        Assert.That(CheckpointTimes(byModel), Is.EqualTo(new[] { 120.0, 180.0 }));
        string byWall = Path.Combine(Dir, "by-wall.h5");
        runner.Run(experiment, byWall, checkpointEvery: TimeSpan.FromHours(1));
        Assert.That(CheckpointTimes(byWall), Is.EqualTo(new[] { 0.0 }));
    }

    /// <summary>The times (ms) of the complete checkpoints in a run's file, ascending.</summary>
    private static double[] CheckpointTimes(string path)
    {
        using var file = Hdf5File.OpenReadOnly(path);
        var times = new List<double>();
        foreach (string slot in file.ListMembers("/checkpoint"))
        {
            using var group = file.OpenGroup("/checkpoint/" + slot);
            if (group.GetLongAttribute("complete") == 1) times.Add(Math.Round(group.GetDoubleAttribute("time"), 9));
        }
        return times.Order().ToArray();
    }

    [Test]
    public void RunAndResumeAnExperiment()
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var runner = services.GetRequiredService<ExperimentRunner>();
        var experiment = ShortCuba(services.GetRequiredService<ExperimentReader>());

        string straight = Path.Combine(Dir, "straight.h5");
        RunSummary summary = runner.Run(experiment, straight);
        Assert.That(summary.Status, Is.EqualTo(RunStatus.Completed));
        Assert.That((summary.Neurons, summary.SimulatedMs), Is.EqualTo((4000, 200.0)));
        Assert.That(summary.Spikes, Is.GreaterThan(0));
        Assert.That(StatusIn(straight), Is.EqualTo(RunStatus.Completed));

        string stopped = Path.Combine(Dir, "stopped.h5");
        using var cancel = new CancellationTokenSource();
        var stopAtHalfway = new CallbackProgress(p => { if (p.TimeMs >= 100) cancel.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => runner.Run(experiment, stopped, stopAtHalfway, cancellation: cancel.Token, checkpointEvery: TimeSpan.Zero));
        var status = StatusIn(stopped);
        Assert.That(status.State, Is.EqualTo(RunState.Cancelled));
        Assert.That(status.ToString(), Is.EqualTo("cancelled at t = 100 ms"));

        RunSummary resumed = runner.Resume(stopped);
        Assert.That(resumed.Status, Is.EqualTo(RunStatus.Completed));
        Assert.That(resumed.Spikes, Is.EqualTo(summary.Spikes));
        Assert.That(StatusIn(stopped), Is.EqualTo(RunStatus.Completed));
        using var a = Hdf5File.OpenReadOnly(straight);
        using var b = Hdf5File.OpenReadOnly(stopped);
        var expected = SonataFileReader.ReadSpikes(a);
        var actual = SonataFileReader.ReadSpikes(b);
        Assert.That(actual.Select(s => s.Population), Is.EqualTo(expected.Select(s => s.Population)));
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.That(actual[i].TimestampsMs, Is.EqualTo(expected[i].TimestampsMs), expected[i].Population);
            Assert.That(actual[i].NodeIds, Is.EqualTo(expected[i].NodeIds), expected[i].Population);
        }
    }

    /// <summary>
    /// A comparison from C#: examples/compare-teacher.json (Lillicrap et al. 2016, linear teacher) cut to 2 epochs of
    /// 300 samples and one seed. Both rules complete, the comparison writes curves.h5, and backprop's test loss falls
    /// from the first epoch to the second (a learning rate of 0.005 over 300 single-sample steps on a linear task).
    /// </summary>
    [Test]
    public void RunAComparison()
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("compare-teacher.json")), documentOptions: options)!.AsObject();
        json["epochs"] = 2;
        json["seeds"] = new JsonArray(1);
        json["task"]!["train_samples"] = 300;
        var experiment = services.GetRequiredService<ComparisonReader>().Read(json.ToJsonString(), "teacher-short.json");

        ComparisonResult result = services.GetRequiredService<RuleComparison>().Run(experiment, Dir, resume: false, progress: null, CancellationToken.None);

        Assert.That(result.Runs.Select(r => r.Label), Is.EqualTo(new[] { "backprop", "feedback-alignment" }));
        foreach (var run in result.Runs)
        {
            Assert.That(run.Status.ToString(), Is.EqualTo("completed"), run.Label);
            Assert.That(run.Epochs, Has.Count.EqualTo(2), run.Label);
            Assert.That(run.Epochs.Select(e => e.TestLoss), Has.All.Matches<double>(double.IsFinite), run.Label);
        }
        var backprop = result.Runs[0];
        Assert.That(backprop.Epochs[1].TestLoss, Is.LessThan(backprop.Epochs[0].TestLoss));
        Assert.That(File.Exists(Path.Combine(Dir, RuleComparison.CurvesFileName)), Is.True);
        // The summary table is the workflow's, not the CLI's: a C# user gets the same summary.md.
        string summary = File.ReadAllText(result.SummaryFile);
        Assert.That(result.SummaryFile, Is.EqualTo(Path.Combine(Dir, ComparisonSummary.FileName)));
        Assert.That(summary, Does.StartWith("## lillicrap-teacher: teacher-student/"));
        Assert.That(summary, Does.Contain("| backprop | 1 |").And.Contain("| feedback-alignment | 1 |"));
        Assert.That(summary, Is.EqualTo(ComparisonSummary.Markdown(result)));
    }

    /// <summary>
    /// The output appears under its name only once it is safe: a run whose set-up fails (here a weight report naming a synapse
    /// the projection does not have, found while the file is set up) leaves neither the output nor its set-up file, and an
    /// output it was told to replace (--force) is left as it was; a stale OUT.setup from a run killed during set-up is
    /// removed by the next run, which completes.
    /// </summary>
    [Test]
    public void AFailedSetUpLeavesNoOutputAndKeepsTheOldOne()
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var runner = services.GetRequiredService<ExperimentRunner>();
        var reader = services.GetRequiredService<ExperimentReader>();
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("stdp-song2000.json")))!.AsObject();
        json["duration"] = 20.0;
        var good = reader.Read(json.ToJsonString(), "stdp-short.json");
        json["record"]!["weights"]![0]!["synapses"] = new JsonArray(0, 99999999);
        var bad = reader.Read(json.ToJsonString(), "stdp-bad-synapse.json");

        string fresh = Path.Combine(Dir, "fresh.h5");
        var e = Assert.Throws<ExperimentException>(() => runner.Run(bad, fresh));
        Assert.That(e!.Message, Does.Contain("record.weights[0].synapses"));
        Assert.That(File.Exists(fresh) || File.Exists(fresh + ".setup"), Is.False, "nothing left behind");

        string kept = Path.Combine(Dir, "kept.h5");
        runner.Run(good, kept);
        byte[] before = File.ReadAllBytes(kept);
        Assert.Throws<ExperimentException>(() => runner.Run(bad, kept, overwrite: true));
        Assert.That(File.ReadAllBytes(kept), Is.EqualTo(before), "the output to be replaced is untouched");
        Assert.That(File.Exists(kept + ".setup"), Is.False);

        string stale = Path.Combine(Dir, "stale.h5");
        File.WriteAllText(stale + ".setup", "left by a run killed during its set-up");
        Assert.That(runner.Run(good, stale).Status, Is.EqualTo(RunStatus.Completed));
        Assert.That(File.Exists(stale + ".setup"), Is.False);
        using var file = Hdf5File.OpenReadOnly(stale);
        Assert.That(file.ReadDataset<double>("/weights/input->neuron/final"), Has.None.NaN, "the final weights were written at the end");
    }

    private static RunStatus StatusIn(string path)
    {
        using var file = Hdf5File.OpenReadOnly(path);
        return RunStatus.Parse(file.GetStringAttribute("status"));
    }

    /// <summary>Reports on the calling thread, so that the run stops at the block the callback cancels in.</summary>
    private sealed class CallbackProgress(Action<RunProgress> report) : IProgress<RunProgress>
    {
        public void Report(RunProgress value) => report(value);
    }
}
