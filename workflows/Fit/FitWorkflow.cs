using BioSim.Engine.NeuralOde;
using BioSim.Engine.Numerics;
using BioSim.Engine.Plugins;
using BioSim.IO.Experiments;
using BioSim.IO.NeuralOde;
using BioSim.Plasticity;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.NeuralOde;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Training;

namespace BioSim.Workflows.Fit;

/// <summary>
/// <c>biosim fit</c> without the console: reads a fit file, loads (or generates) the trajectories, builds the fit
/// model and the gradient method by name through the catalogue, cuts the trajectories into windows and trains on the
/// one <see cref="TrainingLoop"/> (<see cref="TrajectoryFitProblem"/>, the one <see cref="Adam"/>, a geometric
/// learning-rate decay per step, <c>iterations</c> steps), then measures whole-trajectory errors and writes
/// parameters.json and loss.csv. A C# program calls <see cref="Run(string, string?, Action{long, double}?, CancellationToken)"/>
/// on the <see cref="FitWorkflow"/> that <c>AddBioSim()</c> registers.
/// </summary>
public sealed class FitWorkflow(Catalogue catalogue)
{
    /// <summary>The products of a field are matrix-vector products and rank-one updates (one state at a time), which the
    /// managed kernel does with TensorPrimitives row by row; measured on an MLP 2 + t → 64 → 64 → 2 gradient (RK4, N = 100,
    /// symplectic adjoint) at about 9 ms against 13-30 ms through OpenBLAS (its call overhead and its threads dominate at
    /// these sizes), so fields get the managed entry point whatever the machine's GEMM is.</summary>
    private static readonly IMatrixProduct FieldProduct = new ManagedMatrixProduct();

    /// <summary>Reads the fit file at <paramref name="experimentFile"/> and runs it (see <see cref="Run(FitExperiment, string?, Action{long, double}?, bool, bool, TimeSpan?, int?, CancellationToken)"/>).</summary>
    public FitResult Run(string experimentFile, string? outputDirectory = null, Action<long, double>? progress = null, CancellationToken cancellation = default) =>
        Run(FitExperiment.Read(experimentFile), outputDirectory, progress, cancellation: cancellation);

    /// <summary>Wall time between a fit's checkpoints when none is given (one is also written when the fit is stopped).</summary>
    public static readonly TimeSpan DefaultCheckpointInterval = TimeSpan.FromSeconds(30);

    /// <summary>Fits the model of <paramref name="experiment"/>; writes parameters.json and loss.csv into
    /// <paramref name="outputDirectory"/> when given; <paramref name="progress"/> sees the minibatch loss of every step.</summary>
    /// <exception cref="ExperimentException">An unknown model or gradient method, or data the model cannot take (file, JSON path, known names).</exception>
    /// <exception cref="TrainingDivergedException">The loss or the solution became non-finite; it carries the loss curve so far.</exception>
    /// <exception cref="Runs.OutputExistsException"><paramref name="outputDirectory"/> holds a fit (parameters.json or a
    /// checkpoint) and neither <paramref name="overwrite"/> nor <paramref name="resume"/> is set (checked before anything is computed).</exception>
    /// <exception cref="Runs.RunAlreadyCompleteException"><paramref name="resume"/> on a folder whose fit finished.</exception>
    /// <remarks>With an output folder, a checkpoint (&lt;output&gt;/checkpoint.h5: parameters, Adam's moments, the losses so
    /// far and the position in the data order) is written every <paramref name="checkpointEvery"/> of wall time and when
    /// <paramref name="cancellation"/> stops the fit; <paramref name="resume"/> continues from it, bit for bit the fit that
    /// was never stopped; it is deleted when the fit finishes. <paramref name="checkpointEpochs"/> also writes one after every
    /// epoch (pass over the windows) that is a multiple of it.</remarks>
    public FitResult Run(FitExperiment experiment, string? outputDirectory = null, Action<long, double>? progress = null, bool overwrite = false,
        bool resume = false, TimeSpan? checkpointEvery = null, int? checkpointEpochs = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        string? checkpointPath = outputDirectory is null ? null : Path.Combine(outputDirectory, FitCheckpoint.FileName);
        bool finished = outputDirectory is not null && File.Exists(Path.Combine(outputDirectory, "parameters.json"));
        bool stopped = checkpointPath is not null && File.Exists(checkpointPath);
        if (resume && !stopped)
        {
            if (finished) throw new Runs.RunAlreadyCompleteException($"{outputDirectory}: the fit is complete (parameters.json); there is nothing to resume");
            throw new IOException($"{outputDirectory ?? "(no output folder)"} holds no fit checkpoint ({FitCheckpoint.FileName}); start the fit without --resume");
        }
        if (!resume && !overwrite && (finished || stopped))
        {
            throw new Runs.OutputExistsException(stopped
                ? $"{outputDirectory} holds a stopped fit with a checkpoint: continue it with --resume, or pass --force to start over"
                : $"{outputDirectory} holds a fit (parameters.json); pass --force to replace it or choose another output folder");
        }
        if (!resume && stopped) File.Delete(checkpointPath!);
        IFitModel model = Resolve<IFitModel>(experiment, experiment.ModelType, "$.model.type", "fit model");
        IGradientMethod method = Resolve<IGradientMethod>(experiment, experiment.Gradient, "$.gradient", "gradient method");
        CheckActivation(experiment);
        FitData data = experiment.LoadData();
        IReadOnlyList<Trace> traces = data.Train;
        int d = traces[0].Dimension;
        if (traces[0].Inputs > 0 && !model.TakesInput)
        {
            string takers = string.Join(", ", catalogue.Names<IFitModel>().Where(n => catalogue.Get<IFitModel>(n, "fit model").TakesInput));
            throw new ExperimentException(experiment.File, "$.data.trajectories[0].input",
                $"an input u(t) drives only a model with an input term; set $.model.type to one of: {takers} (the model is '{experiment.ModelType}')");
        }
        var (input, shift) = FitWindows.JoinInputs(traces);
        IParametricVectorField field = model.Create(d, input, experiment.Model, FieldProduct);
        List<TrajectoryProblem> windows = FitWindows.Cut(traces, shift, experiment.Window, experiment.Solver);

        var adam = new Adam(experiment.LearningRate);
        var problem = new TrajectoryFitProblem(field, method, windows, adam, model.Constraint(field, experiment.Model));
        long batchesPerEpoch = (windows.Count + experiment.Batch - 1) / experiment.Batch;
        if (outputDirectory is not null) Directory.CreateDirectory(outputDirectory);
        var checkpoints = new FitCheckpointer(checkpointPath, experiment, field, adam, batchesPerEpoch, checkpointEvery ?? DefaultCheckpointInterval, checkpointEpochs);
        if (resume) checkpoints.Restore();
        var (firstEpoch, firstBatch, lossSum) = checkpoints.Position;
        var options = new TrainingOptions
        {
            Epochs = (int)((experiment.Iterations + batchesPerEpoch - 1) / batchesPerEpoch),
            BatchSize = experiment.Batch,
            Seed = experiment.Seed,
            MaxSteps = experiment.Iterations,
            Schedule = new GeometricRateDecay(experiment.FinalLearningRate / experiment.LearningRate),
            Evaluate = false,
            Cancellation = cancellation,
            FirstEpoch = firstEpoch,
            FirstBatch = firstBatch,
            FirstBatchLossSum = lossSum,
            BatchCompleted = (epoch, batch, loss) =>
            {
                checkpoints.After(epoch, batch, loss);
                progress?.Invoke(checkpoints.Steps, loss);
            },
        };
        if (checkpoints.Steps < experiment.Iterations)
        {
            try
            {
                TrainingLoop.Run(problem, options);
            }
            catch (OperationCanceledException)
            {
                checkpoints.Save();
                throw;
            }
        }

        // Whole-trajectory MSE of the first training trajectory, from its observed first state.
        Trace first = traces[0];
        double[] predicted = Predict(field, first, first.States.AsSpan(0, d), shift[0], experiment.Solver);
        double trajectoryMse = Mse(predicted, first.States.AsSpan(d));
        var shown = new FitPrediction(first.Name, first.Times, first.States, predicted, d);
        // Held-out trajectories (generated data): from the true initial state, against the noise-free states.
        double? heldOutMse = null;
        if (data.HeldOut.Count > 0)
        {
            double sum = 0;
            foreach (Trace trace in data.HeldOut)
            {
                double[] truth = trace.Truth ?? trace.States;
                sum += Mse(Predict(field, trace, truth.AsSpan(0, d), 0, experiment.Solver), truth.AsSpan(d));
            }
            heldOutMse = sum / data.HeldOut.Count;
            Trace held = data.HeldOut[0];
            double[] heldTruth = held.Truth ?? held.States;
            shown = new FitPrediction(held.Name, held.Times, heldTruth, Predict(field, held, heldTruth.AsSpan(0, d), 0, experiment.Solver), d);
        }

        var result = new FitResult(experiment, field, model.Describe(field), checkpoints.Losses, traces.Count, windows.Count,
            trajectoryMse, first.Name, heldOutMse, data.HeldOut.Count, shown);
        if (outputDirectory is not null)
        {
            Directory.CreateDirectory(outputDirectory);
            FitOutput.WriteParameters(Path.Combine(outputDirectory, "parameters.json"), experiment, result.LossCurve[^1], trajectoryMse, heldOutMse,
                result.Blocks, field.Parameters);
            FitOutput.WriteLossCurve(Path.Combine(outputDirectory, "loss.csv"), result.LossCurve);
            File.Delete(checkpointPath!);
        }
        return result;
    }

    /// <summary>The model's activation must be a registered name, or "name:value" for one with a parameter.</summary>
    private void CheckActivation(FitExperiment experiment)
    {
        string name = experiment.Model.Activation;
        try
        {
            catalogue.CreateActivation(name);
        }
        catch (ArgumentException e)
        {
            string reason = e is UnknownPluginException ? $"unknown activation '{name}'; known: {string.Join(", ", catalogue.Names<Activation>())}, or 'leaky-relu:α' for slope α"
                : FirstSentence(e.Message);
            throw new ExperimentException(experiment.File, "$.model.activation", reason);
        }
    }

    /// <summary>An exception's message without the runtime's " (Parameter 'x')" suffix.</summary>
    private static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" (Parameter", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private T Resolve<T>(FitExperiment experiment, string name, string path, string what) where T : class =>
        catalogue.Find<T>(name) ?? throw new ExperimentException(experiment.File, path, $"unknown {what} '{name}'; known: {string.Join(", ", catalogue.Names<T>())}");

    /// <summary>The model's states at a trajectory's sample times after the first, from <paramref name="start"/>.</summary>
    private static double[] Predict(IParametricVectorField field, Trace trace, ReadOnlySpan<double> start, double shift, SolverSettings solver)
    {
        double[] predicted = new double[(trace.Times.Length - 1) * trace.Dimension];
        double[] times = [.. trace.Times[1..].Select(t => t + shift)];
        Trajectories.Solve(field, trace.Times[0] + shift, start, times, solver, predicted);
        return predicted;
    }

    private static double Mse(ReadOnlySpan<double> predicted, ReadOnlySpan<double> observed)
    {
        double sum = 0;
        for (int i = 0; i < predicted.Length; i++) sum += (predicted[i] - observed[i]) * (predicted[i] - observed[i]);
        return sum / predicted.Length;
    }
}
