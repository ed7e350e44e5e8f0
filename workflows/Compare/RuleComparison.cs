using System.Diagnostics;
using BioSim.Engine.Numerics;
using BioSim.Engine.Plugins;
using BioSim.IO.Compare;
using BioSim.IO.Hdf5;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;

namespace BioSim.Workflows.Compare;

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
public sealed partial class RuleComparison(Catalogue catalogue, IMatrixProduct product)
{
    /// <summary>The file in the output directory that holds every finished run's curves.</summary>
    public const string CurvesFileName = "curves.h5";

    /// <summary>Loads the task's data through the task the catalogue knows by name; a missing Fashion-MNIST says how to install it.</summary>
    public (Dataset Train, Dataset Test) LoadData(TaskSpec task) => catalogue.LoadTask(task);

    /// <summary>The network of the comparison with the initial weights of <paramref name="seed"/> (the rule's own init if it has one).</summary>
    public Network CreateNetwork(ComparisonExperiment experiment, ulong seed, RuleSpec? rule = null)
    {
        var arch = experiment.Architecture;
        if (rule?.Init is { } own) arch = arch with { Init = own };
        if (rule?.OutputL2 is { } l2) arch = arch with { OutputL2 = l2 };
        var network = new Network(experiment.Task.Inputs, arch.LayerSpecs(catalogue), product);
        arch.Init.Create(catalogue).Initialise(network, seed);
        return network;
    }

    /// <summary>Refuses (or, with <paramref name="overwrite"/>, deletes) a comparison already in <paramref name="outputDirectory"/>.</summary>
    private static void ClearOrRefuse(string outputDirectory, bool overwrite)
    {
        string curves = Path.Combine(outputDirectory, CurvesFileName), folder = Path.Combine(outputDirectory, "checkpoints");
        string[] checkpoints = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.h5") : [];
        if (!File.Exists(curves) && checkpoints.Length == 0) return;
        if (!overwrite)
            throw new Runs.OutputExistsException($"{outputDirectory} holds a comparison ({(File.Exists(curves) ? CurvesFileName + ", " : "")}{checkpoints.Length} checkpoints): continue it with --resume, or pass --force to replace it");
        foreach (string f in checkpoints) File.Delete(f);
        File.Delete(curves);
        File.Delete(Path.Combine(outputDirectory, ComparisonSummary.FileName));
    }

    /// <summary>Where the run of <paramref name="label"/> with <paramref name="seed"/> keeps its checkpoint:
    /// &lt;<paramref name="outputDirectory"/>&gt;/checkpoints/&lt;label&gt;-seed&lt;s&gt;.h5.</summary>
    public static string CheckpointPath(string outputDirectory, string label, ulong seed) =>
        Path.Combine(outputDirectory, "checkpoints", $"{label}-seed{seed}.h5");

    /// <summary>Runs every rule × seed (rules outer, seeds inner), continuing from checkpoints when <paramref name="resume"/> is set;
    /// a folder that holds a comparison is refused unless resuming (<see cref="Run(ComparisonExperiment, string, bool, bool, IComparisonProgress?, CancellationToken)"/>
    /// replaces one).</summary>
    public ComparisonResult Run(ComparisonExperiment experiment, string outputDirectory, bool resume, IComparisonProgress? progress, CancellationToken cancel) =>
        Run(experiment, outputDirectory, resume, overwrite: false, progress, cancel);

    /// <summary>As <see cref="Run(ComparisonExperiment, string, bool, IComparisonProgress?, CancellationToken)"/>; with
    /// <paramref name="overwrite"/> (and not <paramref name="resume"/>) a comparison already in the folder is replaced: its
    /// curves, summary and checkpoints are deleted first.</summary>
    /// <exception cref="Runs.OutputExistsException">The folder holds a comparison and neither <paramref name="resume"/> nor
    /// <paramref name="overwrite"/> is set (checked before anything is computed).</exception>
    public ComparisonResult Run(ComparisonExperiment experiment, string outputDirectory, bool resume, bool overwrite, IComparisonProgress? progress, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        if (!resume) ClearOrRefuse(outputDirectory, overwrite);
        Directory.CreateDirectory(Path.Combine(outputDirectory, "checkpoints"));
        var (train, test) = catalogue.LoadTask(experiment.Task);
        string curvesPath = Path.Combine(outputDirectory, CurvesFileName);
        var runs = new List<RunRecord>();
        using var curves = Hdf5File.Create(curvesPath);
        curves.SetAttribute("experiment", experiment.Json);
        curves.SetAttribute("biosim_version", typeof(RuleComparison).Assembly.GetName().Version?.ToString() ?? "?");
        curves.SetAttribute("matrix_product", product.Name);
        curves.SetAttribute("precision", experiment.SinglePrecision ? "float32" : "float64");
        curves.SetAttribute("epochs", (long)experiment.Epochs);
        curves.SetAttribute("status", RunStatus.Running.ToString());
        curves.Flush();
        foreach (var rule in experiment.Rules)
        {
            foreach (ulong seed in experiment.Seeds)
            {
                var run = RunOne(experiment, rule, seed, train, test, outputDirectory, resume, progress, cancel);
                runs.Add(run);
                ComparisonCurves.Write(curves, run);
                curves.Flush();
                progress?.RunFinished(run);
            }
        }
        curves.SetAttribute("status", (runs.Any(r => r.Diverged) ? RunStatus.CompletedWithDivergedRuns : RunStatus.Completed).ToString());
        curves.Flush();
        var result = new ComparisonResult(experiment, runs, product.Name, curvesPath, Path.Combine(outputDirectory, ComparisonSummary.FileName));
        File.WriteAllText(result.SummaryFile, ComparisonSummary.Markdown(result));
        return result;
    }

    private RunRecord RunOne(ComparisonExperiment experiment, RuleSpec spec, ulong seed, Dataset train, Dataset test,
        string outputDirectory, bool resume, IComparisonProgress? progress, CancellationToken cancel)
    {
        if (experiment.Architecture.Token is not null) return RunToken(experiment, spec, seed, train, test, outputDirectory, resume, progress, cancel);
        var network = CreateNetwork(experiment, seed, spec);
        var rule = spec.Create(catalogue);
        rule.Prepare(network, seed);
        var optimiser = (spec.Optimiser ?? experiment.Optimiser).Create(catalogue);
        optimiser.Prepare(network);
        var loss = experiment.Architecture.CreateLoss(catalogue);
        var trainer = new Trainer(network, rule, optimiser, loss, experiment.Batch);
        var alignment = experiment.Alignment && network.Layers.Count > 1 ? new SignalAlignment(network, loss, test, experiment.ProbeRows) : null;
        var updates = experiment.Alignment ? new UpdateAlignment(network, loss, test, experiment.ProbeRows) : null;
        var run = new RunRecord(spec.Label, spec.Name, seed, alignment?.HiddenLayers ?? 0, updates?.Layers ?? 0)
        {
            BatchesPerEpoch = (train.Count + experiment.Batch - 1) / experiment.Batch,
        };
        string checkpoint = CheckpointPath(outputDirectory, spec.Label, seed);
        int done = 0, firstBatch = 0;
        double firstBatchSum = 0;
        // float32: the float64 network, rule and optimiser stay the record (checkpoints, probes); the float32 trainer reads
        // them when it starts (after a checkpoint is loaded) and writes its state back exactly before each use.
        PrecisionTrainer<float>? single = null;
        if (resume && File.Exists(checkpoint))
        {
            (done, firstBatch, firstBatchSum) = RunCheckpoint.Load(checkpoint, experiment, network, rule, optimiser, run);
            run.FirstBatch = firstBatch;
            if (run.Diverged || done >= experiment.Epochs)
            {
                if (!run.Diverged) run.Status = RunStatus.Completed;
                return run;
            }
        }
        else
        {
            Probe(run, network, alignment, updates, rule);
        }
        if (experiment.SinglePrecision) single = new PrecisionTrainer<float>(trainer);
        progress?.RunStarted(run, done + 1);
        var sinceCheckpoint = Stopwatch.StartNew();
        var clock = Stopwatch.StartNew();
        // Where the data order stands, for a checkpoint when the run is stopped in the middle of an epoch.
        int epoch = done + 1, batches = firstBatch;
        double sum = firstBatchSum;
        bool trained = false;
        var options = new TrainingOptions
        {
            Epochs = experiment.Epochs,
            FirstEpoch = done + 1,
            FirstBatch = firstBatch,
            FirstBatchLossSum = firstBatchSum,
            BatchSize = experiment.Batch,
            Seed = seed,
            DivergenceLoss = experiment.DivergenceLoss,
            Schedule = experiment.Schedule,
            Cancellation = cancel,
            BatchCompleted = (e, b, l) =>
            {
                run.BatchLosses.Add(l);
                (epoch, batches, sum, trained) = (e, b, b == 1 ? l : sum + l, true);
                progress?.Batch(run, e, b, l);
            },
            EpochCompleted = result =>
            {
                run.EpochSeconds.Add(clock.Elapsed.TotalSeconds);
                run.Epochs.Add(result);
                single?.Push();
                Probe(run, network, alignment, updates, rule);
                if (result.Epoch == experiment.Epochs) run.Status = RunStatus.Completed;
                if (result.Epoch == experiment.Epochs || sinceCheckpoint.Elapsed.TotalSeconds >= experiment.CheckpointSeconds
                    || (experiment.CheckpointEpochs is { } every && result.Epoch % every == 0))
                {
                    RunCheckpoint.Save(checkpoint, experiment, network, rule, optimiser, run, result.Epoch);
                    sinceCheckpoint.Restart();
                }
                progress?.EpochCompleted(run);
                clock.Restart();
            },
        };
        try
        {
            if (single is not null) single.Train(train, test, options);
            else trainer.Train(train, test, options);
        }
        catch (OperationCanceledException)
        {
            // Stopped (SIGTERM, Ctrl-C) before a step: keep everything trained in this session. After an epoch's last
            // minibatch that epoch has completed (and been probed); otherwise the position inside it is kept.
            if (trained)
            {
                if (batches == run.BatchesPerEpoch) RunCheckpoint.Save(checkpoint, experiment, network, rule, optimiser, run, epoch);
                else RunCheckpoint.Save(checkpoint, experiment, network, rule, optimiser, run, epoch - 1, batches, sum);
            }
            throw;
        }
        catch (TrainingDivergedException e)
        {
            // The failing batch's loss (the hook saw every batch before it).
            run.BatchLosses.Add(e.History.BatchLosses[^1]);
            run.Status = RunStatus.DivergedWith(e.Message);
            RunCheckpoint.Save(checkpoint, experiment, network, rule, optimiser, run, e.Epoch - 1);
        }
        return run;
    }

    /// <summary>The alignment to backprop at a probe point: the hidden layers' signal angles and every layer's update cosine and relative error.</summary>
    private static void Probe(RunRecord run, Network network, SignalAlignment? alignment, UpdateAlignment? updates, ICreditAssignmentRule rule)
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
}
