using System.Diagnostics;
using BioSim.IO.Compare;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks.Token;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;

namespace BioSim.Workflows.Compare;

/// <summary>Runs of the image-shaped token model ("architecture": {"type": "token"}): backprop or stochastic backprop on the
/// one training loop, the same seeds, data order, epochs, checkpoints and curves as layered runs, no alignment probes, and
/// the retained-activation ledger of every iteration in the curves (retained_activations).</summary>
public sealed partial class RuleComparison
{
    /// <summary>The token model of the comparison with PyTorch's default initial parameters for <paramref name="seed"/>.</summary>
    public TokenModel CreateTokenModel(ComparisonExperiment experiment, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        var model = new TokenModel(experiment.Architecture.Token ?? throw new InvalidOperationException("The comparison's architecture is not the token model."), product);
        model.Initialise(seed);
        return model;
    }

    private RunRecord RunToken(ComparisonExperiment experiment, RuleSpec spec, ulong seed, Dataset train, Dataset test,
        string outputDirectory, bool resume, IComparisonProgress? progress, CancellationToken cancel)
    {
        var model = CreateTokenModel(experiment, seed);
        var rule = spec.Create(catalogue);
        var tokenRule = rule as ITokenModelRule;
        tokenRule?.Prepare(model, seed);
        var optimiser = (ElementwiseOptimiser)(spec.Optimiser ?? experiment.Optimiser).Create(catalogue);
        var trainer = new TokenTrainer(model, tokenRule, optimiser, experiment.Batch);
        var run = new RunRecord(spec.Label, spec.Name, seed, 0, 0) { BatchesPerEpoch = (train.Count + experiment.Batch - 1) / experiment.Batch };
        string checkpoint = CheckpointPath(outputDirectory, spec.Label, seed);
        int done = 0, firstBatch = 0;
        double firstBatchSum = 0;
        if (resume && File.Exists(checkpoint))
        {
            (done, firstBatch, firstBatchSum) = RunCheckpoint.Load(checkpoint, experiment, model, rule, optimiser, run);
            run.FirstBatch = firstBatch;
            if (run.Diverged || done >= experiment.Epochs)
            {
                if (!run.Diverged) run.Status = RunStatus.Completed;
                return run;
            }
        }
        progress?.RunStarted(run, done + 1);
        var sinceCheckpoint = Stopwatch.StartNew();
        var clock = Stopwatch.StartNew();
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
                run.RetainedActivations.Add(trainer.Tape.Retained);
                (epoch, batches, sum, trained) = (e, b, b == 1 ? l : sum + l, true);
                progress?.Batch(run, e, b, l);
            },
            EpochCompleted = result =>
            {
                run.EpochSeconds.Add(clock.Elapsed.TotalSeconds);
                run.Epochs.Add(result);
                if (result.Epoch == experiment.Epochs) run.Status = RunStatus.Completed;
                if (result.Epoch == experiment.Epochs || sinceCheckpoint.Elapsed.TotalSeconds >= experiment.CheckpointSeconds
                    || (experiment.CheckpointEpochs is { } every && result.Epoch % every == 0))
                {
                    RunCheckpoint.Save(checkpoint, experiment, model, rule, optimiser, run, result.Epoch);
                    sinceCheckpoint.Restart();
                }
                progress?.EpochCompleted(run);
                clock.Restart();
            },
        };
        try
        {
            trainer.Train(train, test, options);
        }
        catch (OperationCanceledException)
        {
            if (trained)
            {
                if (batches == run.BatchesPerEpoch) RunCheckpoint.Save(checkpoint, experiment, model, rule, optimiser, run, epoch);
                else RunCheckpoint.Save(checkpoint, experiment, model, rule, optimiser, run, epoch - 1, batches, sum);
            }
            throw;
        }
        catch (TrainingDivergedException e)
        {
            run.BatchLosses.Add(e.History.BatchLosses[^1]);
            run.Status = RunStatus.DivergedWith(e.Message);
            RunCheckpoint.Save(checkpoint, experiment, model, rule, optimiser, run, e.Epoch - 1);
        }
        return run;
    }
}
