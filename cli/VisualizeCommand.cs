using System.CommandLine;
using System.Globalization;
using BioSim.Cli.Terminal;
using BioSim.Engine.Numerics;
using BioSim.Workflows.Visualise;
using Microsoft.Extensions.DependencyInjection;
using ScottPlot;

namespace BioSim.Cli;

/// <summary>
/// <c>biosim visualize out/ --rule backprop --layer 2 --category 8 -o vis/</c>: shared-feature visualisation by parallel
/// backpropagation (Lappe et al., NeurIPS 2024) of a network trained by <c>biosim compare</c> (<see cref="SharedFeatureWorkflow"/>).
/// Writes vis/visualization.h5 and one PNG per pair (vis/pair-1.png, …): the out-of-category driver, its heat map, the in-category
/// reference and its heat map.
/// </summary>
internal static class VisualizeCommand
{
    public static Command Create(IServiceProvider services)
    {
        var source = new Argument<string>("source") { Description = "The output folder of biosim compare, or one of its checkpoints/*.h5." };
        var output = new Option<string>("--output", "-o") { Description = "The folder to write visualization.h5 and pair-<k>.png to.", DefaultValueFactory = _ => "visualize-out" };
        var rule = new Option<string?>("--rule", "-r") { Description = "The rule's label in the comparison (needed when it compared several rules)." };
        var seed = new Option<ulong?>("--seed") { Description = "The run's seed (default: the comparison's first)." };
        var layer = new Option<int>("--layer", "-l") { Description = "The hidden layer (1 … L−1) the model neuron reads.", Required = true };
        var category = new Option<int>("--category", "-c") { Description = "The category (class index, 0 … classes − 1) the model neuron's readout is fitted on.", Required = true };
        var pairs = new Option<int>("--pairs", "-k") { Description = "Out-of-category drivers to visualise, each with its in-category reference.", DefaultValueFactory = _ => 4 };
        var ridge = new Option<double>("--ridge") { Description = "Relative ridge λ/(tr XᵀX / d) of the readout's fit.", DefaultValueFactory = _ => 1e-3 };
        var fitImages = new Option<int>("--fit-images") { Description = "Training images of the category the readout is fitted on (the first ones).", DefaultValueFactory = _ => 2000 };
        var pool = new Option<int>("--reference-pool") { Description = "References are chosen among this many in-category test images with the largest response (0: all).", DefaultValueFactory = _ => 100 };
        var force = new Option<bool>("--force") { Description = "Replace a visualization.h5 (and its PNGs) already in the output folder." };
        var threads = new Option<int?>("--threads", "-t") { Description = "Threads of the matrix products. Default: SLURM_CPUS_PER_TASK, or OpenBLAS's own." };
        var command = new Command("visualize", "Shared-feature visualisation (parallel backpropagation) of a network trained by biosim compare.")
        {
            source, output, rule, seed, layer, category, pairs, ridge, fitImages, pool, force, threads,
        };
        command.SetAction(result => Program.Guard(() =>
        {
            var request = new VisualisationRequest(result.GetValue(source)!, result.GetValue(output)!, result.GetValue(layer), result.GetValue(category))
            {
                Rule = result.GetValue(rule),
                Seed = result.GetValue(seed),
                Pairs = result.GetValue(pairs),
                Ridge = result.GetValue(ridge),
                FitImages = result.GetValue(fitImages),
                ReferencePool = result.GetValue(pool),
                Overwrite = result.GetValue(force),
            };
            return Run(services, request, result.GetValue(threads));
        }));
        return command;
    }

    private static int Run(IServiceProvider services, VisualisationRequest request, int? threads)
    {
        if (threads is { } t && t < 1) throw new UsageException($"--threads {t}: at least 1");
        var product = services.GetRequiredService<IMatrixProduct>();
        if (threads is { } n) MatrixProducts.SetThreads(product, n);
        VisualisationResult result;
        try
        {
            result = services.GetRequiredService<SharedFeatureWorkflow>().Run(request);
        }
        catch (VisualisationInputException e)
        {
            return Program.Fail(e.Message, ExitCodes.BadInput);
        }
        foreach (string note in result.Notes) Console.Error.WriteLine($"biosim: warning: {note}");
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"model neuron: readout of layer {result.Layer} fitted on {result.FitImages} training images of category {result.Category} " +
            $"({result.Label}, seed {result.Seed}); correlation with z_L[{result.Category}]: {result.FitCorrelation:F3} on them, {result.GeneralisationCorrelation:F3} on the other categories' test images"));
        foreach (string old in Directory.GetFiles(request.Output, "pair-*.png")) File.Delete(old);
        for (int k = 0; k < result.Pairs.Count; k++)
        {
            var p = result.Pairs[k];
            string png = Path.Combine(request.Output, $"pair-{k + 1}.png");
            DrawPair(result, p, png);
            Console.WriteLine(string.Create(c, $"pair {k + 1}: driver test[{p.Driver}] (category {p.DriverLabel}, response {p.DriverResponse:G4}) ↔ reference test[{p.Reference}] " +
                $"(response {p.ReferenceResponse:G4}); similarity {p.Similarity:F3}, shared score {p.SharedScore:G4}; deleting the top 10 % of pixels lowers it by " +
                $"{p.TopDeletionDrop:G4}, a random 10 % by {p.RandomDeletionDrop:G4} → {png}"));
        }
        Console.WriteLine($"wrote {result.File}");
        return ExitCodes.Ok;
    }

    /// <summary>One PNG: driver, its heat map, reference, its heat map, side by side (heat map = gradient ⊙ image: red pixels
    /// raise the shared score, blue ones lower it, on one symmetric colour range per pair).</summary>
    private static void DrawPair(VisualisationResult result, BioSim.Plasticity.Visualisation.SharedFeaturePair pair, string path)
    {
        int side = result.ImageSide;
        var plot = new Plot();
        double range = Math.Max(pair.DriverSaliency.Max(Math.Abs), pair.ReferenceSaliency.Max(Math.Abs));
        if (range == 0) range = 1;
        (double[] Values, bool Heat, string Title)[] panels =
        [
            (result.Image(pair.Driver), false, $"driver test[{pair.Driver}] (category {pair.DriverLabel})"),
            (pair.DriverSaliency, true, "driver: gradient ⊙ image"),
            (result.Image(pair.Reference), false, $"reference test[{pair.Reference}] (category {result.Category})"),
            (pair.ReferenceSaliency, true, "reference: gradient ⊙ image"),
        ];
        double gap = side * 0.15;
        for (int i = 0; i < panels.Length; i++)
        {
            var (values, heat, title) = panels[i];
            var grid = new double[side, side];
            for (int r = 0; r < side; r++)
                for (int col = 0; col < side; col++) grid[r, col] = values[r * side + col];
            var map = plot.Add.Heatmap(grid);
            double left = i * (side + gap);
            map.Position = new CoordinateRect(left, left + side, 0, side);
            if (heat)
            {
                map.Colormap = new ScottPlot.Colormaps.Balance();
                map.ManualRange = new ScottPlot.Range(-range, range);
            }
            else
            {
                map.Colormap = new ScottPlot.Colormaps.GrayscaleReversed();
                map.ManualRange = new ScottPlot.Range(0, Math.Max(1e-12, values.Max()));
            }
            var label = plot.Add.Text(title, left, side + 1.5);
            label.LabelFontSize = 11;
        }
        // Frameless hides the axes and the title; the title is set after it to show again.
        plot.Layout.Frameless();
        plot.HideGrid();
        plot.Title(string.Create(CultureInfo.InvariantCulture,
            $"Shared features: layer {result.Layer} readout for category {result.Category} ({result.Label}, seed {result.Seed}); similarity {pair.Similarity:F3}, shared score {pair.SharedScore:G4}"));
        plot.Axes.SetLimits(-1, 4 * side + 3 * gap + 1, -2, side + 4);
        plot.SavePng(path, 1400, 460);
    }
}
