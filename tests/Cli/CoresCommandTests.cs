using System.Text.Json;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>
/// <c>biosim cores train</c> then <c>biosim cores deploy</c> from the command line, on one epoch of Fashion-MNIST: the training
/// writes summary.json with the probabilistic network's test accuracy (above 0.8 after one epoch: measured 0.824 in the
/// library test), the deployment writes ensembles.csv with the columns and a PNG; an existing trained network is
/// never replaced without --force, and a bad field gets one line naming the file and the field.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class CoresCommandTests
{
    [Test]
    public void TrainThenDeployWritesTheSummaryTheEnsemblesAndThePlot()
    {
        string directory = BiosimProcess.TempDirectory();
        string file = Path.Combine(directory, "cores.json");
        File.WriteAllText(file, File.ReadAllText(TestPaths.Example("cores-fashion.json")).Replace("\"epochs\": 10", "\"epochs\": 1", StringComparison.Ordinal));
        Assert.That(File.ReadAllText(file), Does.Contain("\"epochs\": 1,"));
        string output = Path.Combine(directory, "out");
        var (code, stdout, stderr) = BiosimProcess.Run("cores", "train", file, "-o", output);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stderr, Does.Contain("biosim: epoch 1: "));
        using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json"))))
        {
            Assert.That(summary.RootElement.GetProperty("shadow_test_accuracy").GetDouble(), Is.GreaterThan(0.8));
        }
        Assert.That(stdout, Does.Contain("probabilistic network test accuracy"));

        var again = BiosimProcess.Run("cores", "train", file, "-o", output);
        Assert.That(again.ExitCode, Is.Not.EqualTo(0));
        Assert.That(again.StandardError, Does.Contain("--force"));

        (code, stdout, stderr) = BiosimProcess.Run("cores", "deploy", output, "--copies", "1,2", "--threads", "2");
        Assert.That(code, Is.EqualTo(0), stderr);
        string[] lines = File.ReadAllLines(Path.Combine(output, "ensembles.csv"));
        Assert.That(lines[0], Is.EqualTo("copies,test_accuracy,energy_uj_per_image"));
        Assert.That(lines, Has.Length.EqualTo(3));
        double[] one = [.. lines[1].Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture))];
        double[] two = [.. lines[2].Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture))];
        Assert.That(one[1], Is.InRange(0.4, 0.9), "one sampled copy classifies well above chance (0.1)");
        Assert.That(two[2], Is.EqualTo(2 * one[2]).Within(0.1 * one[2]), "two copies cost about twice the energy of one");
        Assert.That(new FileInfo(Path.Combine(output, "ensembles.png")).Length, Is.GreaterThan(10_000));
    }

    /// <summary>
    /// Issue 14's signal contract for <c>biosim cores train</c>: SIGTERM after the first epoch (on a 3200-image subset of
    /// Fashion-MNIST, 50 minibatches per epoch, 3 epochs) stops it with exit code 75 and a line saying how to continue,
    /// leaving DIR/checkpoint.h5 and no network.h5; the same command again continues from the checkpoint and writes the
    /// parameters and curve of an uninterrupted training bit for bit.
    /// </summary>
    [Test]
    public void SigtermStopsWith75AndTheSameCommandContinuesBitForBit()
    {
        string directory = BiosimProcess.TempDirectory();
        try
        {
            string file = Plasticity.Cores.CoreTrainingResumeTests.Subset(directory, 3200, 500, 3);
            string straight = Path.Combine(directory, "straight"), stopped = Path.Combine(directory, "stopped");
            var (code, _, stderr) = BiosimProcess.Run("cores", "train", file, "-o", straight);
            Assert.That(code, Is.EqualTo(0), stderr);

            var (exit, log) = BiosimProcess.StopAfterProgress(["cores", "train", file, "-o", stopped], p => BiosimProcess.Signal(p, "TERM"),
                lines: 1, marker: "biosim: epoch ");
            TestContext.Out.WriteLine(log);
            Assert.That(exit, Is.EqualTo(75), log);
            Assert.That(log, Does.Contain("interrupted").And.Contain("checkpoint.h5").And.Contain("again to continue"));
            Assert.That(File.Exists(Path.Combine(stopped, "checkpoint.h5")), Is.True);
            Assert.That(File.Exists(Path.Combine(stopped, "network.h5")), Is.False);

            (code, _, stderr) = BiosimProcess.Run("cores", "train", file, "-o", stopped);
            Assert.That(code, Is.EqualTo(0), stderr);
            Assert.That(stderr, Does.Contain("biosim: resuming from"));
            Assert.That(Plasticity.Cores.CoreTrainingResumeTests.Parameters(stopped), Is.EqualTo(Plasticity.Cores.CoreTrainingResumeTests.Parameters(straight)));
            Assert.That(File.ReadAllText(Path.Combine(stopped, "curve.csv")), Is.EqualTo(File.ReadAllText(Path.Combine(straight, "curve.csv"))));
            Assert.That(File.Exists(Path.Combine(stopped, "checkpoint.h5")), Is.False);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void ABadFieldGetsOneLineNamingTheFileAndTheField()
    {
        string directory = BiosimProcess.TempDirectory();
        string file = Path.Combine(directory, "bad.json");
        File.WriteAllText(file, """{"seed": 1, "training": {"epochs": 0}}""");
        var (code, _, stderr) = BiosimProcess.Run("cores", "train", file, "-o", Path.Combine(directory, "out"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr.Trim(), Does.Contain("bad.json: training.epochs: must be a whole number in [1, 10000], got 0"));
        Assert.That(Directory.Exists(Path.Combine(directory, "out")), Is.False, "nothing written");
    }
}
