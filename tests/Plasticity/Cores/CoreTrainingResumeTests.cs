using System.Text.Json.Nodes;
using BioSim.Engine.Numerics;
using BioSim.IO.Hdf5;
using BioSim.Workflows;
using BioSim.Workflows.Cores;
using BioSim.Workflows.Runs;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity.Cores;

/// <summary>
/// <c>biosim cores train</c>'s checkpoints (issue 16 with issue 14's contract), in the library: the 5-core network trained
/// on a 1280-image subset of Fashion-MNIST (20 minibatches of 64 per epoch, 3 epochs, the learning rate scaled by 0.7 per
/// epoch), stopped by its cancellation token inside epoch 2 and continued by calling it again, ends with the parameters
/// and curves of an uninterrupted training bit for bit; a checkpoint asked for (SIGUSR1's request) is written at the next
/// minibatch; a checkpoint of another training file is refused.
/// </summary>
[TestFixture]
public sealed class CoreTrainingResumeTests
{
    /// <summary>Writes the first <paramref name="train"/> training and <paramref name="test"/> test images of Fashion-MNIST
    /// (Debian dataset-fashion-mnist) as uncompressed IDX files into <paramref name="directory"/>, and a training file
    /// for them; returns the training file.</summary>
    public static string Subset(string directory, int train, int test, int epochs)
    {
        var (full, held) = BioSim.IO.Datasets.FashionMnist.Load();
        foreach (var (data, split, count) in new[] { (full, "train", train), (held, "t10k", test) })
        {
            var images = new List<byte> { 0, 0, 8, 3 };
            images.AddRange(BigEndian(count));
            images.AddRange(BigEndian(28));
            images.AddRange(BigEndian(28));
            for (int k = 0; k < count * 784; k++) images.Add((byte)Math.Round(data.Inputs[k] * 255.0));
            File.WriteAllBytes(Path.Combine(directory, $"{split}-images-idx3-ubyte"), [.. images]);
            var labels = new List<byte> { 0, 0, 8, 1 };
            labels.AddRange(BigEndian(count));
            for (int k = 0; k < count; k++) labels.Add((byte)data.Labels![k]);
            File.WriteAllBytes(Path.Combine(directory, $"{split}-labels-idx1-ubyte"), [.. labels]);
        }
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("cores-fashion.json")))!;
        json["data"] = new JsonObject { ["set"] = "fashion-mnist", ["directory"] = directory };
        json["training"]!["epochs"] = epochs;
        string file = Path.Combine(directory, "cores.json");
        File.WriteAllText(file, json.ToJsonString());
        return file;
    }

    private static byte[] BigEndian(int value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];

    public static double[] Parameters(string directory)
    {
        using var file = Hdf5File.OpenReadOnly(Path.Combine(directory, "network.h5"));
        return file.ReadDataset<double>("parameters");
    }

    private static (long Epoch, long Batches) Position(string directory)
    {
        using var file = Hdf5File.OpenReadOnly(CoresWorkflow.CheckpointPath(directory));
        using var integers = file.OpenGroup("integers");
        return (file.GetLongAttribute("epoch"), integers.ReadDataset<long>("position")[0]);
    }

    [Test]
    public void AStoppedTrainingContinuedEndsBitForBitAsAnUninterruptedOne()
    {
        string directory = Cli.BiosimProcess.TempDirectory();
        try
        {
            string file = Subset(directory, 1280, 500, 3);
            var workflow = new CoresWorkflow(new ManagedMatrixProduct());
            string straight = Path.Combine(directory, "straight"), stopped = Path.Combine(directory, "stopped");
            var expected = workflow.Train(file, straight, overwrite: false);
            Assert.That(File.Exists(CoresWorkflow.CheckpointPath(straight)), Is.False, "the checkpoint goes once network.h5 is written");

            // stopped by the token before minibatch 6 of epoch 2; a checkpoint asked for after minibatch 3 of epoch 1
            using var cancel = new CancellationTokenSource();
            var request = new CheckpointRequest();
            (long, long)? asked = null;
            Assert.Throws<OperationCanceledException>(() => workflow.Train(file, stopped, overwrite: false, batchDone: (e, b, _) =>
            {
                if (e == 1 && b == 2) request.Request();
                if (e == 1 && b == 4) asked = Position(stopped);
                if (e == 2 && b == 5) cancel.Cancel();
            }, checkpointEvery: TimeSpan.FromHours(1), checkpointNow: request, cancellation: cancel.Token));
            Assert.That(asked, Is.EqualTo((0L, 2L)), "the requested checkpoint: no epoch done, 2 minibatches of epoch 1");
            Assert.That(Position(stopped), Is.EqualTo((1L, 5L)), "the checkpoint of the stop: 1 epoch and 5 minibatches done");
            Assert.That(File.Exists(Path.Combine(stopped, "network.h5")), Is.False);

            (int, int)? resumed = null;
            var result = workflow.Train(file, stopped, overwrite: false, resumed: (e, b) => resumed = (e, b));
            Assert.That(resumed, Is.EqualTo((1, 5)));
            Assert.That(Parameters(stopped), Is.EqualTo(Parameters(straight)), "the trained parameters, bit for bit");
            Assert.That(File.ReadAllText(Path.Combine(stopped, "curve.csv")), Is.EqualTo(File.ReadAllText(Path.Combine(straight, "curve.csv"))), "every epoch's losses and accuracy");
            Assert.That(result.Epochs, Is.EqualTo(expected.Epochs));
            Assert.That(expected.ShadowTestAccuracy, Is.GreaterThan(0.5), "the subset trains (chance is 0.1)");

            // a checkpoint of another training (here: another seed) is refused with a line naming it
            string other = Path.Combine(directory, "other.json");
            File.WriteAllText(other, File.ReadAllText(file).Replace("\"seed\":1", "\"seed\":2", StringComparison.Ordinal));
            string third = Path.Combine(directory, "third");
            using var again = new CancellationTokenSource();
            Assert.Throws<OperationCanceledException>(() => workflow.Train(file, third, overwrite: false, batchDone: (e, b, _) =>
            {
                if (b == 3) again.Cancel();
            }, cancellation: again.Token));
            var error = Assert.Throws<OutputExistsException>(() => workflow.Train(other, third, overwrite: false))!;
            Assert.That(error.Message, Does.Contain("checkpoint.h5").And.Contain("different training file").And.Contain("--force"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
