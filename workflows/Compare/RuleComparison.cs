using BioSim.IO.Compare;
using BioSim.Engine.Plugins;
using BioSim.Engine.Random;
using System.Diagnostics;
using System.Text.Json.Nodes;
using BioSim.Circuits;
using BioSim.Engine.Simulation;
using BioSim.IO.Datasets;
using BioSim.IO.Experiments;
using BioSim.IO.Hdf5;
using BioSim.Plasticity.Data;
using BioSim.Engine.Numerics;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;

namespace BioSim.Workflows.Compare;

/// <summary>What a comparison reports while it runs (on the calling thread).</summary>
public interface IComparisonProgress
{
    /// <summary>A run (rule × seed) starts; <paramref name="firstEpoch"/> &gt; 1 when it continues from a checkpoint.</summary>
    void RunStarted(RunRecord run, int firstEpoch);

    /// <summary>After every minibatch.</summary>
    void Batch(RunRecord run, int epoch, int batch, double loss);

    /// <summary>After every epoch, with its curves appended to <paramref name="run"/>.</summary>
    void EpochCompleted(RunRecord run);

    /// <summary>The run completed, diverged, or was already complete in its checkpoint.</summary>
    void RunFinished(RunRecord run);
}

/// <summary>The curves of one rule × seed run.</summary>
public sealed class RunRecord(string label, string rule, ulong seed, int hiddenLayers, int layers = 0)
{
    public string Label { get; } = label;

    public string Rule { get; } = rule;

    public ulong Seed { get; } = seed;

    public int HiddenLayers { get; } = hiddenLayers;

    /// <summary>Layers with an update cosine (all of them when alignment is measured, else 0).</summary>
    public int Layers { get; } = layers;

    public List<double> BatchLosses { get; } = [];

    public List<EpochResult> Epochs { get; } = [];

    /// <summary>Wall time of each epoch's training (evaluation and alignment excluded), s.</summary>
    public List<double> EpochSeconds { get; } = [];

    /// <summary>Angles (degrees) per hidden layer: row 0 before training, row e after epoch e. Empty without alignment tracking.</summary>
    public List<double[]> Alignment { get; } = [];

    /// <summary>cos∠(ΔW_l^rule, ΔW_l^BP) per layer at the same probe points as <see cref="Alignment"/> (row 0 before training).</summary>
    public List<double[]> UpdateCosine { get; } = [];

    /// <summary>‖ΔW_l^rule − ΔW_l^BP‖/‖ΔW_l^BP‖ per layer, rows as <see cref="UpdateCosine"/>.</summary>
    public List<double[]> UpdateRelativeError { get; } = [];

    /// <summary>cos∠(B_{l+1}, W_{l+1}ᵀ) per hidden layer l, rows as <see cref="Alignment"/>; empty unless the rule has feedback matrices (<see cref="IFeedbackMatrixRule"/>).</summary>
    public List<double[]> FeedbackCosine { get; } = [];

    /// <summary>"completed", "diverged: …" or "running".</summary>
    public string Status { get; set; } = "running";

    public bool Diverged => Status.StartsWith("diverged", StringComparison.Ordinal);

    /// <summary>Batches per epoch (for progress).</summary>
    public int BatchesPerEpoch { get; set; }
}

/// <summary>The result of <see cref="RuleComparison.Run"/>.</summary>
public sealed record ComparisonResult(ComparisonExperiment Experiment, IReadOnlyList<RunRecord> Runs, string MatrixProduct, string CurvesFile)
{
    public bool AnyDiverged => Runs.Any(r => r.Diverged);
}

/// <summary>
/// Runs a rule comparison: for every rule × seed the same architecture, the same initial weights (network
/// seed = the run's seed), the same data order (trainer seed = the run's seed) and the same number of epochs.
/// After an epoch that ends at least <see cref="ComparisonExperiment.CheckpointSeconds"/> of wall time after the run's
/// last checkpoint (and after its last epoch, or when it diverges) the run's weights, rule state, optimiser state, epoch
/// and curves are written to out/checkpoints/&lt;label&gt;-seed&lt;s&gt;.h5, so that <c>resume</c> continues a killed
/// comparison bit for bit (the data order of epoch e is a function of (seed, e) alone). A checkpoint holds the whole
/// history, so writing one after each of thousands of tiny epochs (full-batch runs) would cost time quadratic in the
/// epochs; hence the interval. The curves of each finished run go to
/// out/curves.h5 (flushed after each run): /runs/&lt;label&gt;/seed_&lt;s&gt;/{batch_loss, epoch_train_loss,
/// epoch_test_loss, epoch_test_accuracy, epoch_seconds, alignment_deg [epochs+1 × hidden], update_cosine and
/// update_relative_error [epochs+1 × layers], and for rules with feedback matrices feedback_weight_cosine [epochs+1 × hidden]}
/// with @status.
/// A diverged run keeps its curves up to the failing batch and the comparison goes on with the next run.
/// </summary>
public sealed class RuleComparison(Catalogue catalogue, IMatrixProduct product)
{
    public const string CurvesFileName = "curves.h5";

    /// <summary>Loads the task's data; a missing Fashion-MNIST says how to install it.</summary>
    public static (Dataset Train, Dataset Test) LoadData(TaskSpec task)
    {
        if (task.Type == "fashion-mnist")
        {
            var (train, test) = FashionMnist.Load(task.Directory);
            return (First(train, task.TrainSamples), First(test, task.TestSamples));
        }
        int n = task.TrainSamples!.Value, m = task.TestSamples!.Value;
        // One draw of n + m samples from the task's seed: the test rows follow the training rows in the same stream.
        var all = task.Teacher == "linear"
            ? TeacherStudent.Linear(task.Inputs, task.Outputs, n + m, task.Seed, out _, task.UnitNormInputs)
            : TeacherStudent.Tanh(task.Inputs, task.Hidden, task.Outputs, n + m, task.Seed, task.UnitNormInputs);
        if (task.TargetRms is { } rms)
        {
            // One factor for all targets, from the training rows' root mean square (in double; the targets are stored as float).
            float[] y = all.Targets!;
            double sum = 0;
            for (int i = 0; i < n * task.Outputs; i++) sum += (double)y[i] * y[i];
            double current = Math.Sqrt(sum / (n * task.Outputs));
            if (!(current > 0)) throw new InvalidOperationException($"{all.Name}: the training targets are all zero and cannot be scaled to RMS {rms}.");
            for (int i = 0; i < y.Length; i++) y[i] = (float)(rms * (y[i] / current));
        }
        return (Rows(all, 0, n, $"{all.Name}/train"), Rows(all, n, m, $"{all.Name}/test"));
    }

    private static Dataset First(Dataset d, int? count) => count is { } c && c < d.Count ? Rows(d, 0, c, d.Name) : d;

    private static Dataset Rows(Dataset d, int start, int count, string name)
    {
        var x = d.Inputs.AsSpan(start * d.InputSize, count * d.InputSize).ToArray();
        return d.Labels is { } labels
            ? new Dataset(name, d.InputSize, x, labels.AsSpan(start, count).ToArray(), d.OutputSize)
            : new Dataset(name, d.InputSize, x, d.Targets.AsSpan(start * d.OutputSize, count * d.OutputSize).ToArray(), d.OutputSize);
    }

    /// <summary>The network of the comparison with the initial weights of <paramref name="seed"/> (the rule's own init if it has one).</summary>
    public Network CreateNetwork(ComparisonExperiment experiment, ulong seed, RuleSpec? rule = null)
    {
        var arch = experiment.Architecture;
        if (rule?.InitScheme is { } own) arch = arch with { InitScheme = own, Init = rule.Init };
        if (rule?.OutputL2 is { } l2) arch = arch with { OutputL2 = l2 };
        var network = new Network(experiment.Task.Inputs, arch.LayerSpecs(), product);
        switch (arch.InitScheme)
        {
            case "orthogonal":
                GaitProp.InitialiseOrthogonal(network, seed);
                break;
            case "xavier-uniform":
                foreach (var layer in network.Layers)
                {
                    double a = Math.Sqrt(6.0 / (layer.Inputs + layer.Outputs));
                    network.Initialise(layer, new UniformDistribution(-a, a), seed, new ConstantDistribution(0));
                }
                break;
            case "distribution":
                foreach (var layer in network.Layers) network.Initialise(layer, arch.Init!, seed);
                break;
            default:
                network.Initialise(seed);
                break;
        }
        return network;
    }

    public static string CheckpointPath(string outputDirectory, string label, ulong seed) =>
        Path.Combine(outputDirectory, "checkpoints", $"{label}-seed{seed}.h5");

    /// <summary>Runs every rule × seed (rules outer, seeds inner), continuing from checkpoints when <paramref name="resume"/> is set.</summary>
    public ComparisonResult Run(ComparisonExperiment experiment, string outputDirectory, bool resume, IComparisonProgress? progress, CancellationToken cancel)
    {
        Directory.CreateDirectory(Path.Combine(outputDirectory, "checkpoints"));
        var (train, test) = LoadData(experiment.Task);
        string curvesPath = Path.Combine(outputDirectory, CurvesFileName);
        var runs = new List<RunRecord>();
        using var curves = Hdf5File.Create(curvesPath);
        curves.SetAttribute("experiment", experiment.Json);
        curves.SetAttribute("biosim_version", typeof(RuleComparison).Assembly.GetName().Version?.ToString() ?? "?");
        curves.SetAttribute("matrix_product", product.Name);
        curves.SetAttribute("epochs", (long)experiment.Epochs);
        curves.SetAttribute("status", "running");
        curves.Flush();
        foreach (var rule in experiment.Rules)
        {
            foreach (ulong seed in experiment.Seeds)
            {
                var run = RunOne(experiment, rule, seed, train, test, outputDirectory, resume, progress, cancel);
                runs.Add(run);
                WriteCurves(curves, run);
                curves.Flush();
                progress?.RunFinished(run);
            }
        }
        curves.SetAttribute("status", runs.Any(r => r.Diverged) ? "completed with diverged runs" : "completed");
        curves.Flush();
        return new ComparisonResult(experiment, runs, product.Name, curvesPath);
    }

    private RunRecord RunOne(ComparisonExperiment experiment, RuleSpec spec, ulong seed, Dataset train, Dataset test,
        string outputDirectory, bool resume, IComparisonProgress? progress, CancellationToken cancel)
    {
        var network = CreateNetwork(experiment, seed, spec);
        var rule = spec.Create(catalogue);
        rule.Prepare(network, seed);
        var optimiser = experiment.Optimiser.Create();
        optimiser.Prepare(network);
        var loss = experiment.Architecture.CreateLoss();
        var trainer = new Trainer(network, rule, optimiser, loss, experiment.Batch);
        var alignment = experiment.Alignment && network.Layers.Count > 1 ? new SignalAlignment(network, loss, test, experiment.ProbeRows) : null;
        var updates = experiment.Alignment ? new UpdateAlignment(network, loss, test, experiment.ProbeRows) : null;
        var run = new RunRecord(spec.Label, spec.Name, seed, alignment?.HiddenLayers ?? 0, updates?.Layers ?? 0)
        {
            BatchesPerEpoch = (train.Count + experiment.Batch - 1) / experiment.Batch,
        };
        string checkpoint = CheckpointPath(outputDirectory, spec.Label, seed);
        int done = 0;
        if (resume && File.Exists(checkpoint))
        {
            done = ComparisonCheckpoint.Load(checkpoint, experiment, network, rule, optimiser, run);
            if (run.Diverged || done >= experiment.Epochs)
            {
                if (!run.Diverged) run.Status = "completed";
                return run;
            }
        }
        else
        {
            Probe(run, network, alignment, updates, rule);
        }
        progress?.RunStarted(run, done + 1);
        var sinceCheckpoint = Stopwatch.StartNew();
        for (int epoch = done + 1; epoch <= experiment.Epochs; epoch++)
        {
            cancel.ThrowIfCancellationRequested();
            if (experiment.Schedule is { } schedule) trainer.ScaleRates(schedule.Factor(epoch));
            var options = new TrainingOptions
            {
                Epochs = epoch,
                FirstEpoch = epoch,
                BatchSize = experiment.Batch,
                Seed = seed,
                DivergenceLoss = experiment.DivergenceLoss,
                BatchCompleted = (e, b, l) =>
                {
                    progress?.Batch(run, e, b, l);
                    cancel.ThrowIfCancellationRequested();
                },
            };
            var clock = Stopwatch.StartNew();
            TrainingHistory history;
            try
            {
                history = trainer.Train(train, test, options);
            }
            catch (TrainingDivergedException e)
            {
                run.BatchLosses.AddRange(e.History.BatchLosses);
                run.Status = $"diverged: {e.Message}";
                ComparisonCheckpoint.Save(checkpoint, experiment, network, rule, optimiser, run, epoch - 1);
                return run;
            }
            run.EpochSeconds.Add(clock.Elapsed.TotalSeconds);
            run.BatchLosses.AddRange(history.BatchLosses);
            run.Epochs.AddRange(history.Epochs);
            Probe(run, network, alignment, updates, rule);
            if (epoch == experiment.Epochs) run.Status = "completed";
            if (epoch == experiment.Epochs || sinceCheckpoint.Elapsed.TotalSeconds >= experiment.CheckpointSeconds)
            {
                ComparisonCheckpoint.Save(checkpoint, experiment, network, rule, optimiser, run, epoch);
                sinceCheckpoint.Restart();
            }
            progress?.EpochCompleted(run);
        }
        return run;
    }

    /// <summary>The alignment to backprop at a probe point: the hidden layers' signal angles and every layer's update cosine and relative error.</summary>
    private static void Probe(RunRecord run, Network network, SignalAlignment? alignment, UpdateAlignment? updates, Plasticity.Rules.ICreditAssignmentRule rule)
    {
        if (alignment is not null)
        {
            var angles = new double[alignment.HiddenLayers];
            alignment.Measure(rule, angles);
            run.Alignment.Add(angles);
        }
        if (updates is not null)
        {
            double[] cosine = new double[updates.Layers], relative = new double[updates.Layers];
            updates.Measure(rule, cosine, relative);
            run.UpdateCosine.Add(cosine);
            run.UpdateRelativeError.Add(relative);
            if (rule is IFeedbackMatrixRule feedback && network.Layers.Count > 1)
            {
                var cosines = new double[network.Layers.Count - 1];
                UpdateAlignment.FeedbackWeightCosine(network, feedback, cosines);
                run.FeedbackCosine.Add(cosines);
            }
        }
    }

    private static void WriteCurves(Hdf5File file, RunRecord run)
    {
        string g = $"runs/{run.Label}/seed_{run.Seed}";
        if (file.Exists(g)) throw new InvalidOperationException($"{file.FileName}: {g} is written twice.");
        using var group = file.CreateGroup(g);
        group.SetAttribute("rule", run.Rule);
        group.SetAttribute("seed", (long)run.Seed);
        group.SetAttribute("status", run.Status);
        group.SetAttribute("epochs_completed", (long)run.Epochs.Count);
        group.WriteDataset<double>("batch_loss", run.BatchLosses.ToArray());
        group.WriteDataset<double>("epoch_train_loss", run.Epochs.Select(e => e.TrainLoss).ToArray());
        group.WriteDataset<double>("epoch_test_loss", run.Epochs.Select(e => e.TestLoss).ToArray());
        group.WriteDataset<double>("epoch_test_accuracy", run.Epochs.Select(e => e.TestAccuracy).ToArray());
        group.WriteDataset<double>("epoch_seconds", run.EpochSeconds.ToArray());
        if (run.HiddenLayers > 0)
        {
            using var angles = group.CreateAppendable<double>("alignment_deg", run.HiddenLayers);
            var flat = run.Alignment.SelectMany(a => a).ToArray();
            if (run.Alignment.Count > 0) angles.AppendRows(flat, run.Alignment.Count);
            angles.SetAttribute("units", "degrees");
            angles.SetAttribute("rows", "row 0: before training; row e: after epoch e");
            angles.SetAttribute("columns", "hidden layers 1 … L−1");
        }
        if (run.Layers > 0)
        {
            WriteRows(group, "update_cosine", run.UpdateCosine, run.Layers, "cos∠(ΔW_l rule, ΔW_l backprop): the rule's raw update (before the optimiser) against backprop's gradient, same probe batch and weights");
            WriteRows(group, "update_relative_error", run.UpdateRelativeError, run.Layers, "‖ΔW_l rule − ΔW_l backprop‖ / ‖ΔW_l backprop‖, same probe batch and weights");
        }
        if (run.FeedbackCosine.Count > 0)
        {
            using var data = group.CreateAppendable<double>("feedback_weight_cosine", run.FeedbackCosine[0].Length);
            data.AppendRows(run.FeedbackCosine.SelectMany(a => a).ToArray(), run.FeedbackCosine.Count);
            data.SetAttribute("description", "cos∠(B_{l+1}, W_{l+1}ᵀ): the forward weights above hidden layer l against the rule's fixed feedback matrix");
            data.SetAttribute("rows", "row 0: before training; row e: after epoch e");
            data.SetAttribute("columns", "hidden layers 1 … L−1");
        }
    }

    private static void WriteRows(Hdf5Group group, string name, List<double[]> rows, int columns, string what)
    {
        using var data = group.CreateAppendable<double>(name, columns);
        if (rows.Count > 0) data.AppendRows(rows.SelectMany(a => a).ToArray(), rows.Count);
        data.SetAttribute("description", what);
        data.SetAttribute("rows", "row 0: before training; row e: after epoch e");
        data.SetAttribute("columns", "layers 1 … L");
    }
}

/// <summary>
/// One run's checkpoint in HDF5: every array of a <see cref="StateSnapshot"/> (network/, rule/, optimiser/,
/// history/) as a dataset under /reals or /integers, plus @epoch, @status, @rule and the comparison file.
/// Written to a temporary file and renamed, so a kill leaves either the old or the new checkpoint.
/// </summary>
public static class ComparisonCheckpoint
{
    public static void Save(string path, ComparisonExperiment experiment, Network network, Plasticity.Rules.ICreditAssignmentRule rule,
        Plasticity.Optimisers.IOptimiser optimiser, RunRecord run, int epochsDone)
    {
        var snapshot = new StateSnapshot { Step = epochsDone };
        network.SaveState(snapshot, "network/");
        rule.SaveState(snapshot, "rule/");
        optimiser.SaveState(snapshot, "optimiser/");
        snapshot.Put("history/batch_loss", run.BatchLosses.ToArray());
        snapshot.Put("history/train_loss", run.Epochs.Select(e => e.TrainLoss).ToArray());
        snapshot.Put("history/test_loss", run.Epochs.Select(e => e.TestLoss).ToArray());
        snapshot.Put("history/test_accuracy", run.Epochs.Select(e => e.TestAccuracy).ToArray());
        snapshot.Put("history/epoch_seconds", run.EpochSeconds.ToArray());
        snapshot.Put("history/alignment", run.Alignment.SelectMany(a => a).ToArray());
        snapshot.Put("history/update_cosine", run.UpdateCosine.SelectMany(a => a).ToArray());
        snapshot.Put("history/update_relative_error", run.UpdateRelativeError.SelectMany(a => a).ToArray());
        snapshot.Put("history/feedback_cosine", run.FeedbackCosine.SelectMany(a => a).ToArray());
        string temporary = path + ".tmp";
        using (var file = Hdf5File.Create(temporary))
        {
            file.SetAttribute("epoch", (long)epochsDone);
            file.SetAttribute("status", run.Status);
            file.SetAttribute("rule", run.Rule);
            file.SetAttribute("label", run.Label);
            file.SetAttribute("seed", (long)run.Seed);
            file.SetAttribute("experiment", Fingerprint(experiment.Json));
            foreach (var (key, values) in snapshot.Reals) file.WriteDataset<double>($"reals/{key}", values);
            foreach (var (key, values) in snapshot.Integers) file.WriteDataset<long>($"integers/{key}", values);
            file.Flush();
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Restores network, rule, optimiser and curves; returns the epochs completed. The checkpoint must come from the same comparison (its epoch count may differ).</summary>
    public static int Load(string path, ComparisonExperiment experiment, Network network, Plasticity.Rules.ICreditAssignmentRule rule,
        Plasticity.Optimisers.IOptimiser optimiser, RunRecord run)
    {
        using var file = Hdf5File.OpenReadOnly(path);
        if (file.GetStringAttribute("experiment") != Fingerprint(experiment.Json))
            throw new ExperimentException(experiment.File, "", $"{path} was written by a different comparison (only \"epochs\" may change between a run and its --resume); use another output folder or drop --resume");
        var snapshot = new StateSnapshot { Step = file.GetLongAttribute("epoch") };
        Collect(file, "reals", snapshot, integers: false);
        Collect(file, "integers", snapshot, integers: true);
        network.LoadState(snapshot, "network/");
        rule.LoadState(snapshot, "rule/");
        optimiser.LoadState(snapshot, "optimiser/");
        run.BatchLosses.AddRange(snapshot.Reals["history/batch_loss"]);
        double[] tr = snapshot.Reals["history/train_loss"], te = snapshot.Reals["history/test_loss"], acc = snapshot.Reals["history/test_accuracy"];
        for (int e = 0; e < tr.Length; e++) run.Epochs.Add(new EpochResult(e + 1, tr[e], te[e], acc[e]));
        run.EpochSeconds.AddRange(snapshot.Reals["history/epoch_seconds"]);
        double[] angles = snapshot.Reals["history/alignment"];
        if (run.HiddenLayers > 0)
            for (int r = 0; r < angles.Length / run.HiddenLayers; r++) run.Alignment.Add(angles.AsSpan(r * run.HiddenLayers, run.HiddenLayers).ToArray());
        // Checkpoints written before update alignment existed have no such history: the rows stay empty.
        if (run.Layers > 0 && snapshot.Reals.TryGetValue("history/update_cosine", out var cosine) && snapshot.Reals.TryGetValue("history/update_relative_error", out var relative))
        {
            for (int r = 0; r < cosine.Length / run.Layers; r++)
            {
                run.UpdateCosine.Add(cosine.AsSpan(r * run.Layers, run.Layers).ToArray());
                run.UpdateRelativeError.Add(relative.AsSpan(r * run.Layers, run.Layers).ToArray());
            }
        }
        int hidden = network.Layers.Count - 1;
        if (hidden > 0 && snapshot.Reals.TryGetValue("history/feedback_cosine", out var feedback))
            for (int r = 0; r < feedback.Length / hidden; r++) run.FeedbackCosine.Add(feedback.AsSpan(r * hidden, hidden).ToArray());
        run.Status = file.GetStringAttribute("status");
        return (int)snapshot.Step;
    }

    /// <summary>The comparison file without "epochs" (which a resumed comparison may raise), as compact JSON.</summary>
    public static string Fingerprint(string json)
    {
        var node = JsonNode.Parse(json, documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
        node.Remove("epochs");
        return node.ToJsonString();
    }

    private static void Collect(Hdf5Location location, string prefix, StateSnapshot snapshot, bool integers, string key = "")
    {
        if (!location.Exists(prefix)) return;
        using var group = location.OpenGroup(prefix);
        foreach (string member in group.ListMembers())
        {
            string k = key.Length == 0 ? member : $"{key}/{member}";
            if (group.GetKind(member) == Hdf5ObjectKind.Group) Collect(group, member, snapshot, integers, k);
            else if (integers) snapshot.Put(k, group.ReadDataset<long>(member));
            else snapshot.Put(k, group.ReadDataset<double>(member));
        }
    }
}
