using System.Diagnostics;
using BioSim.Engine.Simulation;
using BioSim.IO.NeuralOde;
using BioSim.Engine.NeuralOde;
using BioSim.Plasticity.Optimisers;

namespace BioSim.Workflows.Fit;

/// <summary>
/// Keeps a fit's checkpoint (<see cref="FitCheckpoint"/>) current: after a minibatch when the wall-time interval has passed,
/// after every epoch that is a multiple of <c>everyEpochs</c> when given,
/// and on demand (a stop); restores one for <c>--resume</c>. It tracks where the data order stands (epoch, minibatch, the
/// epoch's loss sum) from the training loop's minibatch callback, so a resumed fit takes the same steps on the same data.
/// </summary>
internal sealed class FitCheckpointer(string? path, FitExperiment experiment, IParametricVectorField field, Adam optimiser, long batchesPerEpoch,
    TimeSpan interval, int? everyEpochs = null)
{
    private readonly Stopwatch _sinceSave = Stopwatch.StartNew();
    private int _epoch = 1, _batch;
    private double _sum;

    /// <summary>The losses of the steps before this session (empty unless restored), then this session's.</summary>
    public List<double> Losses { get; } = [];

    /// <summary>Optimiser steps done (restored ones included).</summary>
    public long Steps => (_epoch - 1) * batchesPerEpoch + _batch;

    /// <summary>The training loop's start: the epoch, the minibatches of it already done and their loss sum.</summary>
    public (int Epoch, int Batch, double LossSum) Position => (_epoch, _batch, _sum);

    /// <summary>Restores parameters, optimiser state, losses and position from the checkpoint.</summary>
    public void Restore()
    {
        var snapshot = FitCheckpoint.Load(path!, experiment);
        snapshot.Get("field/parameters", field.Parameters);
        optimiser.LoadState(snapshot, "optimiser/");
        Losses.AddRange(snapshot.Reals["history/batch_loss"]);
        long[] position = snapshot.Integers["position"];
        (_epoch, _batch, _sum) = ((int)position[0], (int)position[1], snapshot.Reals["position/loss_sum"][0]);
        if (Steps != snapshot.Step || Losses.Count != Steps)
            throw new InvalidDataException($"{path}: the checkpoint is inconsistent (step {snapshot.Step}, position {_epoch}/{_batch}, {Losses.Count} losses); start over with --force");
    }

    /// <summary>After minibatch <paramref name="batch"/> of <paramref name="epoch"/> with <paramref name="loss"/>: moves the
    /// position on and saves when the interval has passed.</summary>
    public void After(int epoch, int batch, double loss)
    {
        Losses.Add(loss);
        _sum = batch == 1 ? loss : _sum + loss;
        (_epoch, _batch) = (epoch, batch);
        bool epochEnd = batch == batchesPerEpoch;
        if (epochEnd) (_epoch, _batch, _sum) = (epoch + 1, 0, 0);
        if (path is not null && (_sinceSave.Elapsed >= interval || (epochEnd && everyEpochs is { } m && epoch % m == 0))) Save();
    }

    /// <summary>Writes the checkpoint now (no-op without an output folder).</summary>
    public void Save()
    {
        if (path is null) return;
        var snapshot = new StateSnapshot { Step = Steps };
        snapshot.Put("field/parameters", field.Parameters);
        optimiser.SaveState(snapshot, "optimiser/");
        snapshot.Put("history/batch_loss", Losses.ToArray());
        snapshot.Put("position", [(long)_epoch, _batch]);
        snapshot.Put("position/loss_sum", [_sum]);
        FitCheckpoint.Save(path, experiment, snapshot);
        _sinceSave.Restart();
    }
}
