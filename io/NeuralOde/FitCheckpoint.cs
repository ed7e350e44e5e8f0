using System.Globalization;
using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;
using BioSim.IO.Hdf5;
using BioSim.IO.Runs;

namespace BioSim.IO.NeuralOde;

/// <summary>
/// A fit's checkpoint, &lt;output&gt;/checkpoint.h5 (the format of <see cref="SnapshotFile"/>): the field's parameters
/// (field/), the optimiser's moments (optimiser/), the loss of every step so far (history/batch_loss), where the data order
/// stands (@step: steps done; integers position = [epoch, minibatch of that epoch]; reals position/loss_sum) and the fit
/// file's fingerprint (@experiment), so that <c>biosim fit --resume</c> continues bit for bit and refuses another fit's.
/// </summary>
public static class FitCheckpoint
{
    /// <summary>The checkpoint's file name in the output folder.</summary>
    public const string FileName = "checkpoint.h5";

    /// <summary>Writes <paramref name="snapshot"/> (its Step: optimiser steps done) for <paramref name="experiment"/>.</summary>
    public static void Save(string path, FitExperiment experiment, StateSnapshot snapshot) =>
        SnapshotFile.Save(path, snapshot, "step", new Dictionary<string, string> { ["experiment"] = Fingerprint(experiment) });

    /// <summary>The snapshot of a checkpoint written for the same fit file.</summary>
    /// <exception cref="ExperimentException">The checkpoint belongs to another fit.</exception>
    public static StateSnapshot Load(string path, FitExperiment experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        using var file = Hdf5File.OpenReadOnly(path);
        if (!file.HasAttribute("experiment") || file.GetStringAttribute("experiment") != Fingerprint(experiment))
            throw new ExperimentException(experiment.File, "", $"{path} was written by a different fit (data, model, solver, gradient or training differ); use another output folder, or --force to start over");
        return SnapshotFile.Read(file, "step");
    }

    /// <summary>Every setting of the fit except where its file lies, as text.</summary>
    public static string Fingerprint(FitExperiment experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        return string.Join("|", experiment.DataSpec.GetRawText(), experiment.ModelType, experiment.Model, experiment.Solver, experiment.Gradient,
            experiment.Iterations.ToString(CultureInfo.InvariantCulture), experiment.LearningRate.ToString("R", CultureInfo.InvariantCulture),
            experiment.FinalLearningRate.ToString("R", CultureInfo.InvariantCulture), experiment.Batch.ToString(CultureInfo.InvariantCulture),
            experiment.Window.ToString(CultureInfo.InvariantCulture), experiment.Seed.ToString(CultureInfo.InvariantCulture));
    }
}
