using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using BioSim.Engine.Simulation;
using BioSim.IO.Runs;
using BioSim.Engine.Numerics;
using BioSim.Engine.Random;
using BioSim.IO.Hdf5;
using BioSim.Plasticity.Cores;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Training;
using BioSim.Workflows.Runs;

namespace BioSim.Workflows.Cores;

/// <summary>The outcome of <see cref="CoresWorkflow.Train"/>.</summary>
/// <param name="ShadowTestAccuracy">The probabilistic network's test accuracy after the last epoch.</param>
/// <param name="Epochs">Per epoch: train loss, test loss, test accuracy.</param>
public sealed record CoresTrainingResult(double ShadowTestAccuracy, IReadOnlyList<EpochResult> Epochs);

/// <summary>
/// <c>biosim cores train</c> and <c>biosim cores deploy</c>: trains a core network as probabilities through the one training
/// loop and writes DIR/network.h5 (the parameters and the settings that rebuild the topology), DIR/cores.json (the file it
/// was trained from), DIR/curve.csv and DIR/summary.json (<c>shadow_test_accuracy</c>); deployment samples binary copies,
/// runs them as neurosynaptic cores in the engine on the test set, and writes DIR/ensembles.csv
/// (<c>copies,test_accuracy,energy_uj_per_image</c>).
/// </summary>
public sealed class CoresWorkflow(IMatrixProduct gemm)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The default least wall time between mid-epoch checkpoints of <see cref="Train"/>.</summary>
    public static readonly TimeSpan DefaultCheckpointInterval = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Trains; <paramref name="epochDone"/> sees each epoch's result. The training checkpoints to DIR/checkpoint.h5 after every
    /// epoch, after a minibatch once <paramref name="checkpointEvery"/> of wall time (default 30 s; zero: every minibatch) has
    /// passed since the last checkpoint or when <paramref name="checkpointNow"/> asks, and when <paramref name="cancellation"/>
    /// stops it (then <see cref="OperationCanceledException"/> is thrown after the checkpoint). A checkpoint holds the
    /// parameters, the optimiser's moments and step count, the epochs' curves and the position in the data order (epochs
    /// done, minibatches of the next epoch done and their loss sum); the order itself depends on (seed, epoch) alone. Called
    /// again on the same DIR with the same training file (only training.epochs may differ), the training continues from the
    /// checkpoint and ends bit for bit where an uninterrupted one would; <paramref name="resumed"/> hears (epochs done,
    /// minibatches done) then. The checkpoint is deleted once network.h5 is written.
    /// </summary>
    /// <exception cref="OutputExistsException">DIR holds a trained network and <paramref name="overwrite"/> is false.</exception>
    public CoresTrainingResult Train(string experimentFile, string directory, bool overwrite, Action<EpochResult>? epochDone = null,
        Action<int, int, double>? batchDone = null, TimeSpan? checkpointEvery = null, CheckpointRequest? checkpointNow = null,
        Action<int, int>? resumed = null, CancellationToken cancellation = default)
    {
        var experiment = CoresExperiment.Read(experimentFile);
        string network = Path.Combine(directory, "network.h5");
        string checkpoint = CheckpointPath(directory);
        if (File.Exists(network) && !overwrite)
        {
            throw new OutputExistsException($"{directory} already holds a trained core network (network.h5); give --force to replace it, or another -o");
        }
        string fingerprint = Fingerprint(File.ReadAllText(experimentFile));
        if (overwrite && File.Exists(checkpoint)) File.Delete(checkpoint);
        Directory.CreateDirectory(directory);
        var (train, test) = BioSim.IO.Datasets.FashionMnist.Load(experiment.DataDirectory);
        var net = Build(experiment);
        net.Initialise(new RandomStream(experiment.Seed, "cores", "initial"));
        var problem = new CoreTrainingProblem(net, train, test, new Adam(experiment.LearningRate));
        var epochs = new List<EpochResult>();
        int done = 0, firstBatch = 0;
        double firstSum = 0;
        if (File.Exists(checkpoint))
        {
            (done, firstBatch, firstSum) = LoadCheckpoint(checkpoint, fingerprint, experimentFile, problem, epochs);
            resumed?.Invoke(done, firstBatch);
        }
        int batchesPerEpoch = (train.Count + experiment.BatchSize - 1) / experiment.BatchSize;
        var every = checkpointEvery ?? DefaultCheckpointInterval;
        var sinceCheckpoint = System.Diagnostics.Stopwatch.StartNew();
        // where the data order stands, for a checkpoint in the middle of an epoch
        int epoch = done + 1, batches = firstBatch;
        double sum = firstSum;
        bool trained = false;
        if (done < experiment.Epochs)
        {
            try
            {
                TrainingLoop.Run(problem, new TrainingOptions
                {
                    Epochs = experiment.Epochs, BatchSize = experiment.BatchSize, Seed = experiment.Seed,
                    FirstEpoch = done + 1, FirstBatch = firstBatch, FirstBatchLossSum = firstSum,
                    Schedule = experiment.LearningRateDecay == 1.0 ? null : new LearningRateSchedule([new(1, experiment.LearningRateDecay)]),
                    EpochCompleted = e =>
                    {
                        epochs.Add(e);
                        SaveCheckpoint(checkpoint, fingerprint, problem, epochs, e.Epoch, 0, 0);
                        sinceCheckpoint.Restart();
                        epochDone?.Invoke(e);
                    },
                    BatchCompleted = (e, b, loss) =>
                    {
                        (epoch, batches, sum, trained) = (e, b, b == 1 ? loss : sum + loss, true);
                        batchDone?.Invoke(e, b, loss);
                        bool asked = checkpointNow?.Take() == true;
                        if (b < batchesPerEpoch && (asked || sinceCheckpoint.Elapsed >= every))
                        {
                            SaveCheckpoint(checkpoint, fingerprint, problem, epochs, e - 1, b, sum);
                            sinceCheckpoint.Restart();
                        }
                    },
                    Cancellation = cancellation,
                });
            }
            catch (OperationCanceledException)
            {
                // Stopped before a step: an epoch's end was checkpointed when it completed; inside an epoch keep the position.
                if (trained && batches < batchesPerEpoch) SaveCheckpoint(checkpoint, fingerprint, problem, epochs, epoch - 1, batches, sum);
                throw;
            }
        }
        var history = new TrainingHistory();
        history.Epochs.AddRange(epochs);
        File.Copy(experimentFile, Path.Combine(directory, "cores.json"), overwrite: true);
        using (var file = Hdf5File.Create(network + ".partial"))
        {
            file.WriteDataset("parameters", net.Parameters);
            file.SetAttribute("seed", (long)experiment.Seed);
            file.SetAttribute("topology", experiment.Topology);
            file.SetAttribute("threshold", (long)experiment.Threshold);
            file.SetAttribute("per_class", (long)experiment.PerClass);
            // The topology as data, so that other tools (the PyTorch reference in benchmarks/compare/cores_compare.py) can
            // rebuild the network: per core its layer, the layer input each axon reads, the axon types, the neurons'
            // weights per type, and where its c (axons × neurons, row-major) and b start in "parameters".
            int index = 0;
            for (int l = 0; l < net.Layers.Count; l++)
            {
                foreach (var core in net.Layers[l])
                {
                    using var group = file.CreateGroup($"cores/{index++}");
                    group.SetAttribute("layer", (long)l);
                    group.SetAttribute("offset", (long)core.Offset);
                    group.SetAttribute("neurons", (long)core.Neurons);
                    group.WriteDataset("inputs", Array.ConvertAll(core.Inputs, i => (long)i));
                    group.WriteDataset("axon_types", Array.ConvertAll(core.AxonTypes, i => (long)i));
                    group.WriteDataset("weights", Array.ConvertAll(core.NeuronWeights, i => (long)i));
                }
            }
        }
        File.Move(network + ".partial", network, overwrite: true);
        var lines = new List<string> { "epoch,train_loss,test_loss,test_accuracy" };
        lines.AddRange(history.Epochs.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Epoch},{e.TrainLoss:R},{e.TestLoss:R},{e.TestAccuracy:R}")));
        File.WriteAllLines(Path.Combine(directory, "curve.csv"), lines);
        File.Delete(checkpoint);
        double shadow = history.Epochs[^1].TestAccuracy;
        File.WriteAllText(Path.Combine(directory, "summary.json"), JsonSerializer.Serialize(new
        {
            name = experiment.Name, shadow_test_accuracy = shadow, shadow_test_loss = history.Epochs[^1].TestLoss,
            epochs = experiment.Epochs, cores = net.Layers.Sum(l => l.Length), seed = experiment.Seed,
        }, Indented));
        return new CoresTrainingResult(shadow, history.Epochs);
    }

    /// <summary>Deploys the network trained in <paramref name="directory"/> as ensembles of the first N of max(copies) sampled
    /// copies, and writes ensembles.csv; <paramref name="loaded"/> hears when the network and the test set have been read.</summary>
    public IReadOnlyList<EnsembleResult> Deploy(string directory, IReadOnlyList<int> copies, int threads = 1, Action? loaded = null)
    {
        ArgumentNullException.ThrowIfNull(copies);
        string trained = Path.Combine(directory, "network.h5"), settings = Path.Combine(directory, "cores.json");
        if (!File.Exists(trained) || !File.Exists(settings))
        {
            throw new FileNotFoundException($"{directory}: no trained core network (network.h5 and cores.json); run biosim cores train first");
        }
        var experiment = CoresExperiment.Read(settings);
        var net = Build(experiment);
        using (var file = Hdf5File.OpenReadOnly(trained))
        {
            double[] parameters = file.ReadDataset<double>("parameters");
            if (parameters.Length != net.Parameters.Length)
            {
                throw new InvalidDataException($"{trained}: {parameters.Length} parameters, but the topology of {settings} has {net.Parameters.Length}");
            }
            parameters.CopyTo(net.Parameters, 0);
        }
        var test = BioSim.IO.Datasets.FashionMnist.Load(experiment.DataDirectory, "t10k");
        loaded?.Invoke();
        var results = CoreDeployment.Run(net, test, copies.Max(), copies, experiment.Seed, threads);
        var lines = new List<string> { "copies,test_accuracy,energy_uj_per_image" };
        lines.AddRange(results.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Copies},{r.TestAccuracy:R},{r.EnergyMicrojoulesPerImage:R}")));
        File.WriteAllLines(Path.Combine(directory, "ensembles.csv"), lines);
        return results;
    }

    /// <summary>Where <see cref="Train"/> keeps its checkpoint in <paramref name="directory"/>.</summary>
    public static string CheckpointPath(string directory) => Path.Combine(directory, "checkpoint.h5");

    /// <summary>The training file as compact JSON without training.epochs (which a continued training may raise).</summary>
    private static string Fingerprint(string json)
    {
        var node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
        if (node["training"] is JsonObject training) training.Remove("epochs");
        return node.ToJsonString();
    }

    private static void SaveCheckpoint(string path, string fingerprint, CoreTrainingProblem problem, List<EpochResult> epochs, int epochsDone, int batchesDone, double lossSum)
    {
        var snapshot = new StateSnapshot { Step = epochsDone };
        problem.SaveState(snapshot, "problem/");
        snapshot.Put("position", [(long)batchesDone]);
        snapshot.Put("position/loss_sum", [lossSum]);
        snapshot.Put("history/train_loss", [.. epochs.Select(e => e.TrainLoss)]);
        snapshot.Put("history/test_loss", [.. epochs.Select(e => e.TestLoss)]);
        snapshot.Put("history/test_accuracy", [.. epochs.Select(e => e.TestAccuracy)]);
        SnapshotFile.Save(path, snapshot, "epoch", new Dictionary<string, string> { ["training_file"] = fingerprint });
    }

    private static (int EpochsDone, int BatchesDone, double LossSum) LoadCheckpoint(string path, string fingerprint, string experimentFile,
        CoreTrainingProblem problem, List<EpochResult> epochs)
    {
        StateSnapshot snapshot;
        using (var file = Hdf5File.OpenReadOnly(path))
        {
            if (!file.HasAttribute("training_file") || file.GetStringAttribute("training_file") != fingerprint)
            {
                throw new OutputExistsException($"{path} was written for a different training file than {experimentFile} (only training.epochs may change); give --force to start over, or another -o");
            }
            snapshot = SnapshotFile.Read(file, "epoch");
        }
        problem.LoadState(snapshot, "problem/");
        double[] train = snapshot.Reals["history/train_loss"], test = snapshot.Reals["history/test_loss"], accuracy = snapshot.Reals["history/test_accuracy"];
        for (int e = 0; e < train.Length; e++) epochs.Add(new EpochResult(e + 1, train[e], test[e], accuracy[e]));
        return ((int)snapshot.Step, (int)snapshot.Integers["position"][0], snapshot.Reals["position/loss_sum"][0]);
    }

    private ProbabilisticCoreNetwork Build(CoresExperiment experiment) =>
        new(CoreTopology.FiveCoreFrame(new RandomStream(experiment.Seed, "cores", "topology")), 784, 10, experiment.PerClass, gemm,
            experiment.Threshold, experiment.VarianceFloor);
}
