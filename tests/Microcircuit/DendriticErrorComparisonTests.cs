using BioSim.Engine.Simulation;
using BioSim.IO.Compare;
using BioSim.IO.Hdf5;
using BioSim.Plasticity.Dendritic;
using BioSim.Tests.Cli;
using BioSim.Tests.Validation;
using BioSim.Workflows;
using BioSim.Workflows.Compare;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Microcircuit;

/// <summary>
/// Issue 15: the microcircuit in <c>biosim compare</c> through the one training loop (the <see cref="RuleComparison"/>
/// workflow, as the CLI runs it): checkpoint and resume are bit-identical in both dynamics, a rule entry's own optimiser and
/// lr are used, and on Fashion-MNIST the microcircuit ends within 3 percentage points of backprop on the same network and
/// epochs.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class DendriticErrorComparisonTests : TempDirectoryFixture
{
    /// <summary>A tanh teacher (20 inputs, 4 outputs), a 20-12-4 softplus student without biases, batch 4, both dynamics with
    /// every matrix plastic (learned lateral weights, plastic top-down) so that every piece of the rule's state is exercised.</summary>
    private static string Teacher(int epochs) => $$$"""
        {
          "name": "mc-resume",
          "task": {"type": "teacher-student", "teacher": "tanh", "inputs": 20, "hidden": 8, "outputs": 4, "train_samples": 40, "test_samples": 20, "seed": 3},
          "architecture": {"layers": [12, 4], "activation": "softplus", "output_activation": "identity", "bias": false, "loss": "mse"},
          "optimiser": {"type": "adam"},
          "lr": 0.003,
          "batch": 4,
          "epochs": {{{epochs}}},
          "seeds": [4],
          "rules": [
            {"name": "dendritic-error", "label": "steady", "lr": 1, "optimiser": {"type": "sgd"},
             "options": {"self_predicting": "learned", "top_down": "plastic", "eta_pp": [0.002, 0.001]}},
            {"name": "dendritic-error", "label": "full", "lr": 1, "optimiser": {"type": "sgd"},
             "options": {"dynamics": "full", "self_predicting": "analytic-then-learned", "top_down": "plastic", "eta_pp": [0.002, 0.001], "sample_duration": 20}}
          ],
          "alignment": {"enabled": true, "probe": 8}
        }
        """;

    private static ComparisonResult Run(ServiceProvider services, string json, string output, bool resume) =>
        services.GetRequiredService<RuleComparison>().Run(services.GetRequiredService<ComparisonReader>().Read(json, "mc.json"), output, resume, overwrite: false, null, CancellationToken.None);

    /// <summary>
    /// Two epochs straight against one epoch, then a resume with two (as <c>biosim compare --resume</c>): batch losses, test
    /// losses, alignment rows and every checkpointed array (network, rule state with the circuit's potentials and filter
    /// states, optimiser) are identical bit for bit, for the steady-state and the full dynamics. The rule entry's SGD at lr 1
    /// is what ran (the summary names it).
    /// </summary>
    [Test]
    public void ResumeContinuesBitIdenticallyInBothDynamics()
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        string straight = Path.Combine(Dir, "straight"), resumed = Path.Combine(Dir, "resumed");
        var a = Run(services, Teacher(2), straight, resume: false);
        Run(services, Teacher(1), resumed, resume: false);
        var b = Run(services, Teacher(2), resumed, resume: true);
        Assert.That(a.AnyDiverged, Is.False);
        Assert.That(File.ReadAllText(a.SummaryFile), Does.Contain("steady (dendritic-error), SGD, lr 1"));
        for (int i = 0; i < a.Runs.Count; i++)
        {
            var (x, y) = (a.Runs[i], b.Runs[i]);
            Assert.That(y.BatchLosses, Is.EqualTo(x.BatchLosses), x.Label);
            Assert.That(x.BatchLosses, Has.Count.EqualTo(20));
            Assert.That(y.Epochs.Select(e => e.TestLoss), Is.EqualTo(x.Epochs.Select(e => e.TestLoss)), x.Label);
            Assert.That(y.UpdateCosine.SelectMany(r => r), Is.EqualTo(x.UpdateCosine.SelectMany(r => r)), x.Label);
            Assert.That(x.Epochs[^1].TestLoss, Is.LessThan(x.Epochs[0].TestLoss * 1.5).And.GreaterThan(0), $"{x.Label}: a sane loss");
            using var p = Hdf5File.OpenReadOnly(RuleComparison.CheckpointPath(straight, x.Label, 4));
            using var q = Hdf5File.OpenReadOnly(RuleComparison.CheckpointPath(resumed, x.Label, 4));
            int compared = 0;
            foreach (string state in new[] { "reals/network", "reals/rule", "reals/optimiser", "integers/rule" })
            {
                if (!p.Exists(state)) continue;
                foreach (string member in Members(p, state))
                {
                    if (member.StartsWith("integers", StringComparison.Ordinal)) Assert.That(q.ReadDataset<long>(member), Is.EqualTo(p.ReadDataset<long>(member)), $"{x.Label}: {member}");
                    else Assert.That(q.ReadDataset<double>(member), Is.EqualTo(p.ReadDataset<double>(member)), $"{x.Label}: {member}");
                    compared++;
                }
            }
            Assert.That(compared, Is.GreaterThan(x.Label == "full" ? 20 : 8), $"{x.Label}: the checkpoint holds the rule's state");
        }
    }

    /// <summary>Every dataset below <paramref name="group"/> (recursively).</summary>
    private static IEnumerable<string> Members(Hdf5Location file, string group)
    {
        foreach (string m in file.ListMembers(group))
        {
            string path = $"{group}/{m}";
            if (file.GetKind(path) == Hdf5ObjectKind.Group) foreach (string inner in Members(file, path)) yield return inner;
            else yield return path;
        }
    }

    /// <summary>
    /// Fashion-MNIST, 784-100-10 softplus without biases, mse on one-hot targets, the first 5000 training and 2000 test images,
    /// 5 epochs of online learning (batch 1): backprop (SGD lr 0.02) and the microcircuit in its steady-state dynamics with
    /// top-down weights equal to the transposed forward weights and the analytic self-predicting state (η^PP 0.001/ms, τ_w 30,
    /// 100 ms per sample; its rule entry: SGD lr 1). The issue asks for the microcircuit within 3 percentage points of
    /// backprop on the same architecture and epochs. Measured here: backprop 0.8290, microcircuit 0.8215. With fixed random
    /// top-down weights the same softplus network diverges, as feedback alignment does at this rate (see the report); the
    /// example examples/compare-microcircuit-fashion.json compares both on the full data.
    /// </summary>
    [Test]
    public void FashionMnistWithinThreePointsOfBackprop()
    {
        FashionMnistData.Load();   // fails naming the Debian package when the data set is missing
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        const string json = """
            {
              "name": "mc-fashion",
              "task": {"type": "fashion-mnist", "train_samples": 5000, "test_samples": 2000},
              "architecture": {"layers": [100, 10], "activation": "softplus", "output_activation": "identity", "bias": false, "loss": "mse"},
              "optimiser": {"type": "sgd"},
              "lr": 0.02,
              "batch": 1,
              "epochs": 5,
              "seeds": [1],
              "rules": ["backprop",
                        {"name": "dendritic-error", "label": "microcircuit", "lr": 1,
                         "options": {"dynamics": "steady-state", "top_down": "symmetric", "eta_pp": [0.001]}}],
              "alignment": false
            }
            """;
        var result = Run(services, json, Path.Combine(Dir, "fashion"), resume: false);
        double bp = result.Runs[0].Epochs[^1].TestAccuracy, mc = result.Runs[1].Epochs[^1].TestAccuracy;
        TestContext.Out.WriteLine($"test accuracy: backprop {bp:F4}, microcircuit {mc:F4}; s/epoch {result.Runs[0].EpochSeconds.Average():F2} and {result.Runs[1].EpochSeconds.Average():F2}");
        Assert.That(bp, Is.GreaterThan(0.8), "backprop learns (chance is 0.1)");
        Assert.That(mc, Is.GreaterThanOrEqualTo(bp - 0.03), "the microcircuit within 3 percentage points of backprop");
    }
}
