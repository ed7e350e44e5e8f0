using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using BioSim.Engine.NeuralOde;
using BioSim.Engine.Ode;
using BioSim.IO.Experiments;
using BioSim.IO.NeuralOde;
using ScottPlot;

namespace BioSim.Cli;

/// <summary>
/// <c>biosim fit experiment.json -o fit/</c>: fits a neural-ODE or rate-circuit model to trajectories (BioSim state
/// reports, any HDF5 datasets, or generated noisy samples of a known system) and writes the fitted parameters (parameters.json), the loss curve (loss.csv)
/// and a PNG of fitted against observed trajectories (fit.png).
/// </summary>
internal static class FitCommand
{
    public static Command Create()
    {
        var experiment = new Argument<FileInfo>("experiment") { Description = "The fit experiment (JSON): data, model, solver, gradient, training." };
        var output = new Option<string>("--output", "-o") { Description = "Directory for parameters.json, loss.csv and fit.png.", DefaultValueFactory = _ => "fit" };
        var command = new Command("fit", "Fit a neural-ODE or rate-circuit model to trajectories in an HDF5 file.") { experiment, output };
        command.SetAction(result => Program.Guard(() => Fit(result.GetValue(experiment)!, result.GetValue(output)!)));
        return command;
    }

    internal static int Fit(FileInfo file, string output)
    {
        if (!file.Exists) return Program.Fail($"{file}: no such file", ExitCodes.IoError);
        FitExperiment spec;
        try
        {
            spec = FitExperiment.Read(file.FullName);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return Program.Fail($"{file}: not a valid fit experiment: {e.Message}", ExitCodes.BadInput);
        }
        FitData data = spec.LoadData();
        IReadOnlyList<Trace> traces = data.Train;
        int d = traces[0].Dimension, m = traces[0].Inputs;
        if (m > 0 && spec.ModelType != "rate-circuit")
            throw new ExperimentException(spec.File, "$.data.trajectories[0].input", $"an input u(t) drives only a rate circuit's U u(t) term; set $.model.type to rate-circuit (the model is '{spec.ModelType}')");

        // A driven circuit sees u(t) through one signal: the trajectories are laid end to end in time (each shifted to
        // start 1 time unit after the previous one ends) so that one interpolated input serves all of them. The rate
        // circuit has no other dependence on t, so the shift changes nothing else.
        double[] shift = new double[traces.Count];
        IInputSignal? input = null;
        if (m > 0)
        {
            var inputTimes = new List<double>();
            var inputValues = new List<double>();
            double end = double.NegativeInfinity;
            for (int k = 0; k < traces.Count; k++)
            {
                Trace trace = traces[k];
                double first = Math.Min(trace.Times[0], trace.InputTimes![0]);
                shift[k] = k == 0 ? 0 : end + 1 - first;
                foreach (double t in trace.InputTimes) inputTimes.Add(t + shift[k]);
                inputValues.AddRange(trace.Input!);
                end = Math.Max(trace.Times[^1], trace.InputTimes[^1]) + shift[k];
            }
            input = new SampledInput([.. inputTimes], [.. inputValues], m);
        }
        IParametricVectorField field = spec.ModelType == "mlp"
            ? NewMlp(d, spec)
            : new RateCircuitField(d, input);

        var windows = new List<TrajectoryProblem>();
        for (int k = 0; k < traces.Count; k++)
        {
            var (times, states) = (traces[k].Times, traces[k].States);
            for (int start = 0; start + 1 < times.Length; start += spec.Window)
            {
                int count = Math.Min(spec.Window, times.Length - 1 - start);
                double[] obs = [.. times[(start + 1)..(start + 1 + count)].Select(t => t + shift[k])];
                double[] targets = states[((start + 1) * d)..((start + 1 + count) * d)];
                windows.Add(new TrajectoryProblem(times[start] + shift[k], states[(start * d)..((start + 1) * d)], obs, new MeanSquaredError(targets, count, d), spec.Solver));
            }
        }
        double minTau = spec.MinTau;
        var trainer = new NeuralOdeTrainer(field, FitExperiment.GradientMethods[spec.Gradient](), new AdamOptions { LearningRate = spec.LearningRate }, spec.Batch, spec.Seed)
        {
            Constrain = spec.ModelType == "rate-circuit" ? p => { for (int i = p.Length - d; i < p.Length; i++) p[i] = Math.Max(p[i], minTau); } : null,
        };
        try
        {
            for (int i = 0; i < spec.Iterations; i++)
            {
                trainer.Optimizer.LearningRate = spec.LearningRate * Math.Pow(spec.FinalLearningRate / spec.LearningRate, (double)i / Math.Max(1, spec.Iterations - 1));
                trainer.Step(windows);
            }
        }
        catch (OdeIntegrationException e)
        {
            return Program.Fail($"training stopped after {trainer.LossCurve.Count} steps: {e.Message}", ExitCodes.RunFailed);
        }

        Directory.CreateDirectory(output);
        // Whole-trajectory MSE of the first training trajectory, from its observed first state.
        Trace shown = traces[0];
        double[] predicted = Predict(field, shown, shown.States.AsSpan(0, d), shift[0], spec.Solver);
        double mse = Mse(predicted, shown.States.AsSpan(d));
        // Held-out trajectories (generated data): from the true initial state, against the noise-free states.
        double? heldOutMse = null;
        if (data.HeldOut.Count > 0)
        {
            double sum = 0;
            foreach (Trace trace in data.HeldOut)
            {
                double[] truth = trace.Truth ?? trace.States;
                sum += Mse(Predict(field, trace, truth.AsSpan(0, d), 0, spec.Solver), truth.AsSpan(d));
            }
            heldOutMse = sum / data.HeldOut.Count;
            shown = data.HeldOut[0];
            predicted = Predict(field, shown, (shown.Truth ?? shown.States).AsSpan(0, d), 0, spec.Solver);
        }

        WriteParameters(Path.Combine(output, "parameters.json"), spec, field, trainer.LossCurve[^1], mse, heldOutMse);
        File.WriteAllLines(Path.Combine(output, "loss.csv"),
            ["step,loss", .. trainer.LossCurve.Select((l, i) => string.Create(CultureInfo.InvariantCulture, $"{i},{l:R}"))]);
        Plot(Path.Combine(output, "fit.png"), shown.Name, shown.Times, heldOutMse is null ? shown.States : shown.Truth ?? shown.States, predicted, d);
        string heldOutText = heldOutMse is { } h ? string.Create(CultureInfo.InvariantCulture, $"; held-out MSE ({data.HeldOut.Count} noise-free trajectories) {h:G4}") : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fitted {spec.ModelType} ({field.ParameterCount} parameters) to {traces.Count} trajectories ({windows.Count} windows) with {spec.Gradient}: loss {trainer.LossCurve[0]:G4} -> {trainer.LossCurve[^1]:G4}; whole-trajectory MSE of '{traces[0].Name}' {mse:G4}{heldOutText}; wrote {output}/parameters.json, loss.csv, fit.png"));
        return ExitCodes.Ok;
    }

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

    private static MlpVectorField NewMlp(int d, FitExperiment spec)
    {
        var mlp = new MlpVectorField(d, spec.Hidden, spec.Activation, spec.TimeInput);
        mlp.InitializeRandom(spec.Seed, gain: 0.5);
        return mlp;
    }

    private static void WriteParameters(string path, FitExperiment spec, IParametricVectorField field, double loss, double mse, double? heldOutMse)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("experiment", spec.File);
        json.WriteString("model", spec.ModelType);
        json.WriteString("gradient", spec.Gradient);
        json.WriteNumber("final_batch_loss", loss);
        json.WriteNumber("trajectory_mse", mse);
        if (heldOutMse is { } h) json.WriteNumber("heldout_mse", h);
        if (field is RateCircuitField rate)
        {
            WriteArray(json, "W", rate.W);
            if (rate.Inputs > 0) WriteArray(json, "U", rate.U);
            WriteArray(json, "b", rate.Bias);
            WriteArray(json, "tau", rate.Tau);
        }
        else if (field is MlpVectorField mlp)
        {
            json.WriteStartArray("layer_sizes");
            foreach (int size in mlp.LayerSizes) json.WriteNumberValue(size);
            json.WriteEndArray();
        }
        WriteArray(json, "parameters", field.Parameters);
        json.WriteEndObject();
    }

    private static void WriteArray(Utf8JsonWriter json, string name, ReadOnlySpan<double> values)
    {
        json.WriteStartArray(name);
        foreach (double v in values) json.WriteNumberValue(v);
        json.WriteEndArray();
    }

    private static void Plot(string path, string population, double[] times, double[] observed, double[] predicted, int d)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int frames = times.Length;
        for (int e = 0; e < Math.Min(d, 5); e++)
        {
            double[] obs = [.. Enumerable.Range(0, frames).Select(f => observed[f * d + e])];
            double[] fit = [observed[e], .. Enumerable.Range(0, frames - 1).Select(f => predicted[f * d + e])];
            var points = plot.Add.ScatterPoints(times, obs, palette.GetColor(e));
            points.MarkerSize = 4;
            points.LegendText = $"observed x[{e}]";
            var line = plot.Add.ScatterLine(times, fit, palette.GetColor(e));
            line.LegendText = $"fitted x[{e}]";
        }
        plot.Title($"Fitted vs observed: {population}");
        plot.XLabel("time");
        plot.YLabel("state");
        plot.ShowLegend();
        plot.SavePng(path, 1200, 600);
    }
}
