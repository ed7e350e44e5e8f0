using System.CommandLine;
using System.Globalization;
using BioSim.Cli.Terminal;
using BioSim.IO.NeuralOde;
using BioSim.Plasticity.Training;
using BioSim.Workflows.Fit;
using Microsoft.Extensions.DependencyInjection;
using ScottPlot;

namespace BioSim.Cli;

/// <summary>
/// <c>biosim fit experiment.json -o fit/</c>: fits a neural-ODE or rate-circuit model to trajectories (BioSim state
/// reports, any HDF5 datasets, or generated noisy samples of a known system) through <see cref="FitWorkflow"/>, which
/// writes the fitted parameters (parameters.json) and the loss curve (loss.csv); this command adds a PNG of fitted
/// against observed trajectories (fit.png) and the summary line.
/// </summary>
internal static class FitCommand
{
    public static Command Create(IServiceProvider services)
    {
        var experiment = new Argument<FileInfo>("experiment") { Description = "The fit experiment (JSON): data, model, solver, gradient, training." };
        var output = new Option<string>("--output", "-o") { Description = "Directory for parameters.json, loss.csv and fit.png.", DefaultValueFactory = _ => "fit" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress output." };
        var force = new Option<bool>("--force") { Description = "Replace the fit in an output folder that holds one; without it such a folder is refused." };
        var command = new Command("fit", "Fit a neural-ODE or rate-circuit model to trajectories in an HDF5 file.") { experiment, output, quiet, force };
        command.SetAction(result => Program.Guard(() => Fit(services.GetRequiredService<FitWorkflow>(), result.GetValue(experiment)!, result.GetValue(output)!,
            result.GetValue(quiet), result.GetValue(force))));
        return command;
    }

    internal static int Fit(FitWorkflow workflow, FileInfo file, string output, bool quiet, bool overwrite)
    {
        if (!file.Exists) return Program.Fail($"{file}: no such file", ExitCodes.IoError);
        var experiment = FitExperiment.Read(file.FullName);
        // The fit's products are the managed kernel's (FitWorkflow), so there is no thread count to set; the session gives
        // the signals (SIGTERM, Ctrl-C stop the fit between steps) and the bar-or-log choice.
        using var session = CommandSession.Start(threads: null, quiet);
        long steps = 0, total = experiment.Iterations, logEvery = Math.Max(1, total / 10);
        FitResult fit;
        try
        {
            if (session.DrawsBar)
            {
                using var bar = CommandSession.NewBar("fitting");
                fit = workflow.Run(experiment, output, loss =>
                {
                    steps++;
                    bar.Tick((int)(1000 * steps / total), string.Create(CultureInfo.InvariantCulture, $"step {steps}/{total}, loss {loss:G4}"));
                }, overwrite, session.Cancellation);
            }
            else
            {
                fit = workflow.Run(experiment, output, loss =>
                {
                    if ((++steps == 1 || steps % logEvery == 0) && !quiet) Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"biosim: fit step {steps}/{total}: loss {loss:G4}"));
                }, overwrite, session.Cancellation);
            }
        }
        catch (TrainingDivergedException e)
        {
            return Program.Fail($"training stopped after {e.History.BatchLosses.Count} steps: {e.Message}", ExitCodes.RunFailed);
        }
        catch (OperationCanceledException)
        {
            return session.Interrupted($"stopped after {steps} of {total} steps; nothing was written to {output}/ (fit has no checkpoints yet): run it again");
        }
        FitPrediction shown = fit.Shown;
        Plot(Path.Combine(output, "fit.png"), shown.Name, shown.Times, shown.Observed, shown.Predicted, shown.Dimension);
        string heldOutText = fit.HeldOutMse is { } h ? string.Create(CultureInfo.InvariantCulture, $"; held-out MSE ({fit.HeldOut} noise-free trajectories) {h:G4}") : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fitted {fit.Experiment.ModelType} ({fit.Field.ParameterCount} parameters) to {fit.Trajectories} trajectories ({fit.Windows} windows) with {fit.Experiment.Gradient}: loss {fit.LossCurve[0]:G4} -> {fit.LossCurve[^1]:G4}; whole-trajectory MSE of '{fit.TrajectoryName}' {fit.TrajectoryMse:G4}{heldOutText}; wrote {output}/parameters.json, loss.csv, fit.png"));
        return ExitCodes.Ok;
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
