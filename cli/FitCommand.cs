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
/// <c>biosim fit experiment.json -o fit/</c>: fits a neural-ODE or rate-circuit model to trajectories read from an
/// HDF5 file (BioSim state reports) and writes the fitted parameters (parameters.json), the loss curve (loss.csv)
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
        var traces = spec.LoadTraces();
        int d = traces[0].Dimension;
        IParametricVectorField field = spec.ModelType == "mlp"
            ? NewMlp(d, spec)
            : new RateCircuitField(d);

        var windows = new List<TrajectoryProblem>();
        foreach (var (times, states, _) in traces)
        {
            for (int start = 0; start + 1 < times.Length; start += spec.Window)
            {
                int count = Math.Min(spec.Window, times.Length - 1 - start);
                double[] obs = times[(start + 1)..(start + 1 + count)];
                double[] targets = states[((start + 1) * d)..((start + 1 + count) * d)];
                windows.Add(new TrajectoryProblem(times[start], states[(start * d)..((start + 1) * d)], obs, new MeanSquaredError(targets, count, d), spec.Solver));
            }
        }
        var trainer = new NeuralOdeTrainer(field, FitExperiment.GradientMethods[spec.Gradient](), new AdamOptions { LearningRate = spec.LearningRate }, spec.Batch, spec.Seed)
        {
            Constrain = spec.ModelType == "rate-circuit" ? p => { for (int i = p.Length - d; i < p.Length; i++) p[i] = Math.Max(p[i], 1e-3); } : null,
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
        var (fitTimes, fitStates, _) = traces[0];
        double[] predicted = new double[(fitTimes.Length - 1) * d];
        Trajectories.Solve(field, fitTimes[0], fitStates.AsSpan(0, d), fitTimes[1..], spec.Solver, predicted);
        double mse = 0;
        for (int i = 0; i < predicted.Length; i++) mse += (predicted[i] - fitStates[d + i]) * (predicted[i] - fitStates[d + i]) / predicted.Length;

        WriteParameters(Path.Combine(output, "parameters.json"), spec, field, trainer.LossCurve[^1], mse);
        File.WriteAllLines(Path.Combine(output, "loss.csv"),
            ["step,loss", .. trainer.LossCurve.Select((l, i) => string.Create(CultureInfo.InvariantCulture, $"{i},{l:R}"))]);
        Plot(Path.Combine(output, "fit.png"), spec.Populations[0], fitTimes, fitStates, predicted, d);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fitted {spec.ModelType} ({field.ParameterCount} parameters) to {traces.Count} trajectories ({windows.Count} windows) with {spec.Gradient}: loss {trainer.LossCurve[0]:G4} -> {trainer.LossCurve[^1]:G4}; whole-trajectory MSE of '{spec.Populations[0]}' {mse:G4}; wrote {output}/parameters.json, loss.csv, fit.png"));
        return ExitCodes.Ok;
    }

    private static MlpVectorField NewMlp(int d, FitExperiment spec)
    {
        var mlp = new MlpVectorField(d, spec.Hidden, spec.Activation, spec.TimeInput);
        mlp.InitializeRandom(spec.Seed, gain: 0.5);
        return mlp;
    }

    private static void WriteParameters(string path, FitExperiment spec, IParametricVectorField field, double loss, double mse)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("experiment", spec.File);
        json.WriteString("model", spec.ModelType);
        json.WriteString("gradient", spec.Gradient);
        json.WriteNumber("final_batch_loss", loss);
        json.WriteNumber("trajectory_mse", mse);
        if (field is RateCircuitField rate)
        {
            WriteArray(json, "W", rate.W);
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
