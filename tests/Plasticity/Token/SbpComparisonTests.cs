using BioSim.IO.Compare;
using BioSim.Plasticity.Networks.Token;
using BioSim.Tests.Cli;
using BioSim.Tests.IO;
using BioSim.Workflows;
using BioSim.Workflows.Compare;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity.Token;

/// <summary>Issue 18 item 1: stochastic-backprop next to backprop in a comparison, through the workflow that
/// <c>biosim compare</c> runs, on a slice of Fashion-MNIST (Debian package dataset-fashion-mnist).</summary>
[TestFixture, Category("Unit")]
public sealed class SbpComparisonTests : TempDirectoryFixture
{
    private const string Small = """
            { "name": "sbp-small", "task": {"type": "fashion-mnist", "train_samples": 512, "test_samples": 256},
              "architecture": {"type": "token", "patch": 4, "width": 8, "blocks": 2},
              "optimiser": {"type": "adam"}, "lr": 0.002, "batch": 64, "epochs": 2, "seeds": [1],
              "rules": ["backprop", {"name": "stochastic-backprop", "label": "sbp", "options": {"keep": 0.5, "blocks": [1]}}] }
            """;

    /// <summary>
    /// A small token model (7 × 7 tokens of 4 × 4 pixels, width 8, 2 blocks) on the first 512 training and 256 test images,
    /// batch 64, 2 epochs, backprop and SBP (keep 0.5, grid, block 1): both runs complete with finite test losses; every
    /// iteration's retained-activation count is the ledger's formula (backprop: all 49 tokens; SBP: 25 or 24 kept in block 1,
    /// the grid's two start points); curves.h5 and the summary carry them. Costs about 2 s (reading Fashion-MNIST).
    /// </summary>
    [Test]
    public void SbpRunsNextToBackpropWithItsLedger()
    {
        ExternalTools.RequireFashionMnist();
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var experiment = services.GetRequiredService<ComparisonReader>().Read(Small, "sbp-small.json");
        var comparison = services.GetRequiredService<RuleComparison>();
        var result = comparison.Run(experiment, Dir, resume: false, progress: null, CancellationToken.None);
        var model = comparison.CreateTokenModel(experiment, 1);
        Assert.That(result.Runs.Select(r => r.Label), Is.EqualTo(new[] { "backprop", "sbp" }));
        foreach (var run in result.Runs)
        {
            Assert.That(run.Status.ToString(), Is.EqualTo("completed"), run.Label);
            Assert.That(run.Epochs.Select(e => e.TestLoss), Has.All.Matches<double>(double.IsFinite), run.Label);
            Assert.That(run.RetainedActivations, Has.Count.EqualTo(16), run.Label);
        }
        Assert.That(result.Runs[0].RetainedActivations.Distinct(), Is.EqualTo(new[] { (double)model.RetainedFormula(64, [49, 49]) }));
        Assert.That(result.Runs[1].RetainedActivations.Distinct().Order(),
            Is.EqualTo(new[] { (double)model.RetainedFormula(64, [24, 49]), model.RetainedFormula(64, [25, 49]) }));
        string summary = File.ReadAllText(result.SummaryFile);
        Assert.That(summary, Does.Contain("token model (28×28 images in 7×7 tokens of 4×4 pixels, width 8, 2 blocks").And.Contain("retained values / iteration"));
        using var curves = BioSim.IO.Hdf5.Hdf5File.OpenReadOnly(Path.Combine(Dir, RuleComparison.CurvesFileName));
        using var ledger = curves.OpenDataset("runs/sbp/seed_1/retained_activations");
        Assert.That(ledger.Read<double>(), Is.EqualTo(result.Runs[1].RetainedActivations));
    }

    /// <summary>
    /// A comparison of the token model stopped in the middle of SBP's first epoch (cancelled after its 3rd minibatch, as SIGTERM
    /// does) and resumed ends with the batch losses and test losses of an uninterrupted one, bit for bit: the checkpoint holds
    /// the parameters, Adam's moments, the rule's mask iteration count and the position in the epoch.
    /// </summary>
    [Test]
    public void StoppedTokenRunResumesBitForBit()
    {
        ExternalTools.RequireFashionMnist();
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var experiment = services.GetRequiredService<ComparisonReader>().Read(Small, "sbp-small.json");
        var comparison = services.GetRequiredService<RuleComparison>();
        string straight = Path.Combine(Dir, "straight"), stopped = Path.Combine(Dir, "stopped");
        var expected = comparison.Run(experiment, straight, resume: false, progress: null, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => comparison.Run(experiment, stopped, resume: false, new StopAfter("sbp", 3, cancel), cancel.Token));
        var resumed = comparison.Run(experiment, stopped, resume: true, progress: null, CancellationToken.None);
        for (int i = 0; i < 2; i++)
        {
            Assert.That(resumed.Runs[i].BatchLosses, Is.EqualTo(expected.Runs[i].BatchLosses), expected.Runs[i].Label);
            Assert.That(resumed.Runs[i].Epochs.Select(e => e.TestLoss), Is.EqualTo(expected.Runs[i].Epochs.Select(e => e.TestLoss)), expected.Runs[i].Label);
            Assert.That(resumed.Runs[i].RetainedActivations, Is.EqualTo(expected.Runs[i].RetainedActivations), expected.Runs[i].Label);
        }
    }

    private sealed class StopAfter(string label, int batches, CancellationTokenSource cancel) : IComparisonProgress
    {
        public void RunStarted(RunRecord run, int firstEpoch) { }
        public void Batch(RunRecord run, int epoch, int batch, double loss)
        {
            if (run.Label == label && epoch == 1 && batch == batches) cancel.Cancel();
        }
        public void EpochCompleted(RunRecord run) { }
        public void RunFinished(RunRecord run) { }
    }
}
