using System.Globalization;
using System.Text.Json;
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

    /// <summary>Trains; <paramref name="epochDone"/> sees each epoch's result.</summary>
    /// <exception cref="OutputExistsException">DIR holds a trained network and <paramref name="overwrite"/> is false.</exception>
    public CoresTrainingResult Train(string experimentFile, string directory, bool overwrite, Action<EpochResult>? epochDone = null,
        Action<int, int, double>? batchDone = null, CancellationToken cancellation = default)
    {
        var experiment = CoresExperiment.Read(experimentFile);
        string network = Path.Combine(directory, "network.h5");
        if (File.Exists(network) && !overwrite)
        {
            throw new OutputExistsException($"{directory} already holds a trained core network (network.h5); give --force to replace it, or another -o");
        }
        Directory.CreateDirectory(directory);
        var (train, test) = BioSim.IO.Datasets.FashionMnist.Load(experiment.DataDirectory);
        var net = Build(experiment);
        net.Initialise(new RandomStream(experiment.Seed, "cores", "initial"));
        var problem = new CoreTrainingProblem(net, train, test, new Adam(experiment.LearningRate));
        var history = TrainingLoop.Run(problem, new TrainingOptions
        {
            Epochs = experiment.Epochs, BatchSize = experiment.BatchSize, Seed = experiment.Seed,
            Schedule = experiment.LearningRateDecay == 1.0 ? null : new LearningRateSchedule([new(1, experiment.LearningRateDecay)]),
            EpochCompleted = epochDone, BatchCompleted = batchDone, Cancellation = cancellation,
        });
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
        double shadow = history.Epochs[^1].TestAccuracy;
        File.WriteAllText(Path.Combine(directory, "summary.json"), JsonSerializer.Serialize(new
        {
            name = experiment.Name, shadow_test_accuracy = shadow, shadow_test_loss = history.Epochs[^1].TestLoss,
            epochs = experiment.Epochs, cores = net.Layers.Sum(l => l.Length), seed = experiment.Seed,
        }, Indented));
        return new CoresTrainingResult(shadow, history.Epochs);
    }

    /// <summary>Deploys the network trained in <paramref name="directory"/> as ensembles of the first N of max(copies) sampled
    /// copies, and writes ensembles.csv.</summary>
    public IReadOnlyList<EnsembleResult> Deploy(string directory, IReadOnlyList<int> copies, int threads = 1)
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
        var results = CoreDeployment.Run(net, test, copies.Max(), copies, experiment.Seed, threads);
        var lines = new List<string> { "copies,test_accuracy,energy_uj_per_image" };
        lines.AddRange(results.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Copies},{r.TestAccuracy:R},{r.EnergyMicrojoulesPerImage:R}")));
        File.WriteAllLines(Path.Combine(directory, "ensembles.csv"), lines);
        return results;
    }

    private ProbabilisticCoreNetwork Build(CoresExperiment experiment) =>
        new(CoreTopology.FiveCoreFrame(new RandomStream(experiment.Seed, "cores", "topology")), 784, 10, experiment.PerClass, gemm,
            experiment.Threshold, experiment.VarianceFloor);
}
