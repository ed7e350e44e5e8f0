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
/// parameters.json and loss.csv. A C# program calls <see cref="Run(string, string?, Action{double}?, CancellationToken)"/>
/// on the <see cref="FitWorkflow"/> that <c>AddBioSim()</c> registers.
/// </summary>
public sealed class FitWorkflow(Catalogue catalogue)
{
    /// <summary>The products of a field are matrix-vector products and rank-one updates (one state at a time), which the
    /// managed kernel does with TensorPrimitives row by row; measured on an MLP 2 + t → 64 → 64 → 2 gradient (RK4, N = 100,
    /// symplectic adjoint) at about 9 ms against 13-30 ms through OpenBLAS (its call overhead and its threads dominate at
    /// these sizes), so fields get the managed entry point whatever the machine's GEMM is.</summary>
    private static readonly IMatrixProduct FieldProduct = new ManagedMatrixProduct();

    /// <summary>Reads the fit file at <paramref name="experimentFile"/> and runs it (see <see cref="Run(FitExperiment, string?, Action{double}?, bool, CancellationToken)"/>).</summary>
    public FitResult Run(string experimentFile, string? outputDirectory = null, Action<double>? progress = null, CancellationToken cancellation = default) =>
        Run(FitExperiment.Read(experimentFile), outputDirectory, progress, overwrite: false, cancellation);

    /// <summary>Fits the model of <paramref name="experiment"/>; writes parameters.json and loss.csv into
    /// <paramref name="outputDirectory"/> when given; <paramref name="progress"/> sees the minibatch loss of every step.</summary>
    /// <exception cref="ExperimentException">An unknown model or gradient method, or data the model cannot take (file, JSON path, known names).</exception>
    /// <exception cref="TrainingDivergedException">The loss or the solution became non-finite; it carries the loss curve so far.</exception>
    /// <exception cref="Runs.OutputExistsException"><paramref name="outputDirectory"/> holds a fit's parameters.json and
    /// <paramref name="overwrite"/> is not set (checked before anything is computed).</exception>
    public FitResult Run(FitExperiment experiment, string? outputDirectory = null, Action<double>? progress = null, bool overwrite = false, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        if (!overwrite && outputDirectory is not null && File.Exists(Path.Combine(outputDirectory, "parameters.json")))
            throw new Runs.OutputExistsException($"{outputDirectory} holds a fit (parameters.json); pass --force to replace it or choose another output folder");
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

        var problem = new TrajectoryFitProblem(field, method, windows, new Adam(experiment.LearningRate), model.Constraint(field, experiment.Model));
        long batchesPerEpoch = (windows.Count + experiment.Batch - 1) / experiment.Batch;
        var options = new TrainingOptions
        {
            Epochs = (int)((experiment.Iterations + batchesPerEpoch - 1) / batchesPerEpoch),
            BatchSize = experiment.Batch,
            Seed = experiment.Seed,
            MaxSteps = experiment.Iterations,
            Schedule = new GeometricRateDecay(experiment.FinalLearningRate / experiment.LearningRate),
            Evaluate = false,
            Cancellation = cancellation,
            BatchCompleted = progress is null ? null : (_, _, loss) => progress(loss),
        };
        TrainingHistory history = TrainingLoop.Run(problem, options);

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

        var result = new FitResult(experiment, field, model.Describe(field), history.BatchLosses, traces.Count, windows.Count,
            trajectoryMse, first.Name, heldOutMse, data.HeldOut.Count, shown);
        if (outputDirectory is not null)
        {
            Directory.CreateDirectory(outputDirectory);
            FitOutput.WriteParameters(Path.Combine(outputDirectory, "parameters.json"), experiment, result.LossCurve[^1], trajectoryMse, heldOutMse,
                result.Blocks, field.Parameters);
            FitOutput.WriteLossCurve(Path.Combine(outputDirectory, "loss.csv"), result.LossCurve);
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
