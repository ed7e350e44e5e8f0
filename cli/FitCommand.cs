using System.CommandLine;
using System.Globalization;
using BioSim.Cli.Terminal;
using BioSim.IO.NeuralOde;
using BioSim.Plasticity.Training;
using BioSim.Workflows.Fit;
using BioSim.Workflows.Runs;
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
        var force = new Option<bool>("--force") { Description = "Replace the fit (or stopped fit) in an output folder that holds one; without it such a folder is refused." };
        var resume = new Option<bool>("--resume") { Description = "Continue the stopped fit in the output folder from its checkpoint (bit for bit the fit never stopped)." };
        var every = new Option<double>("--checkpoint-every")
        {
            Description = $"Least wall time in seconds between checkpoints (default {FitWorkflow.DefaultCheckpointInterval.TotalSeconds:0}; 0: after every step); one is also written when the fit is stopped.",
            DefaultValueFactory = _ => FitWorkflow.DefaultCheckpointInterval.TotalSeconds,
        };
        var everyEpochs = new Option<int?>("--checkpoint-epochs") { Description = "Also checkpoint after every epoch (pass over the training windows) that is a multiple of this, whatever the wall time." };
        var command = new Command("fit", "Fit a neural-ODE or rate-circuit model to trajectories in an HDF5 file.") { experiment, output, quiet, force, resume, every, everyEpochs };
        command.SetAction(result => Program.Guard(() => Fit(services.GetRequiredService<FitWorkflow>(), result.GetValue(experiment)!, result.GetValue(output)!,
            result.GetValue(quiet), result.GetValue(force), result.GetValue(resume), result.GetValue(every), result.GetValue(everyEpochs))));
        return command;
    }

    internal static int Fit(FitWorkflow workflow, FileInfo file, string output, bool quiet, bool overwrite, bool resume, double checkpointEvery,
        int? checkpointEpochs = null)
    {
        CommandSession.Seconds("--checkpoint-every", checkpointEvery);
        CommandSession.AtLeastOne("--checkpoint-epochs", checkpointEpochs);
        if (overwrite && resume) throw new UsageException("--force starts over and --resume continues: give one of them");
        if (!file.Exists) return Program.Fail($"{file}: no such file", ExitCodes.IoError);
        var experiment = FitExperiment.Read(file.FullName);
        // The fit's products are the managed kernel's (FitWorkflow), so there is no thread count to set; the session gives
        // the signals (SIGTERM, Ctrl-C stop the fit between steps) and the bar-or-log choice.
        using var session = CommandSession.Start(threads: null, quiet);
        long steps = 0, total = experiment.Iterations, logEvery = Math.Max(1, total / 10);
        var interval = TimeSpan.FromSeconds(checkpointEvery);
        bool first = true;
        FitResult fit;
        try
        {
            if (session.DrawsBar)
            {
                using var bar = CommandSession.NewBar("fitting");
                fit = workflow.Run(experiment, output, (step, loss) =>
                {
                    steps = step;
                    bar.Tick((int)(1000 * steps / total), string.Create(CultureInfo.InvariantCulture, $"step {steps}/{total}, loss {loss:G4}"));
                }, overwrite, resume, interval, checkpointEpochs, session.Cancellation);
            }
            else
            {
                fit = workflow.Run(experiment, output, (step, loss) =>
                {
                    steps = step;
                    if ((first || steps % logEvery == 0) && !quiet) Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"biosim: fit step {steps}/{total}: loss {loss:G4}"));
                    first = false;
                }, overwrite, resume, interval, checkpointEpochs, session.Cancellation);
            }
        }
        catch (TrainingDivergedException e)
        {
            return Program.Fail($"training stopped after {e.History.BatchLosses.Count} steps: {e.Message}", ExitCodes.RunFailed);
        }
        catch (OperationCanceledException)
        {
            return session.Interrupted($"stopped after {steps} of {total} steps with a checkpoint in {Path.Combine(output, "checkpoint.h5")}: continue with biosim fit {file} -o {output} --resume");
        }
        catch (RunAlreadyCompleteException e)
        {
            Console.WriteLine(e.Message);
            return ExitCodes.Ok;
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
