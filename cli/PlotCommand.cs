using System.CommandLine;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;
using ScottPlot;

namespace BioSim.Cli;

/// <summary><c>biosim plot out.h5 -o raster.png</c>: a spike raster, the first recorded state trace when there is one, and for the
/// first projection with plastic or recorded weights (<c>/weights/&lt;projection&gt;</c>) the histogram of its final weights and
/// the traces of up to ten recorded synapses.</summary>
internal static class PlotCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "An HDF5 file written by biosim run." };
        var output = new Option<string>("--output", "-o") { Description = "The PNG to write.", DefaultValueFactory = _ => "raster.png" };
        var maxNeurons = new Option<int>("--neurons") { Description = "Neurons per population shown in the raster (the first ones).", DefaultValueFactory = _ => 500 };
        var command = new Command("plot", "Draw a spike raster (and a state trace) from a results file as PNG.") { file, output, maxNeurons };
        command.SetAction(result => Program.Guard(() => Plot(result.GetValue(file)!, result.GetValue(output)!, result.GetValue(maxNeurons))));
        return command;
    }

    internal static int Plot(FileInfo path, string output, int maxNeurons = 500)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(output));
        if (folder is not null && !Directory.Exists(folder))
            return Program.Fail($"{output}: the folder '{folder}' does not exist; create it or choose another path for the plot ({path} is complete and unchanged)", ExitCodes.IoError);
        try
        {
            return Draw(path, output, maxNeurons);
        }
        catch (Exception e) when (e is not (Hdf5Exception or InvalidDataException or FileNotFoundException))
        {
            // The plotting library (ScottPlot on SkiaSharp's native library) failed: say so, and that the data are safe.
            return Program.Fail($"plotting {path} to {output} failed ({e.GetType().Name}: {e.Message.Split('\n')[0].TrimEnd('.')}); the data file is complete and " +
                "unchanged; plot it with h5py or biosim plot on another machine", ExitCodes.IoError);
        }
    }

    private static int Draw(FileInfo path, string output, int maxNeurons)
    {
        if (!path.Exists) return Program.Fail($"{path}: no such file", ExitCodes.IoError);
        using var file = Hdf5File.OpenReadOnly(path.FullName);
        var spikes = SonataFileReader.ReadSpikes(file);
        var reports = SonataFileReader.ReadReports(file);
        var weights = WeightGroup(file);
        if (spikes.Count == 0 && reports.Count == 0 && weights is null) return Program.Fail($"{path}: holds neither /spikes nor /report nor /weights; nothing to plot", ExitCodes.BadInput);

        var multiplot = new Multiplot();
        bool weightTraces = weights is not null && file.Exists(weights + "/data");
        // A run that has not completed holds NaN in /final (created at the start, filled at the end).
        bool weightHistogram = weights is not null && file.Exists(weights + "/final") && !file.ReadDataset<double>(weights + "/final").Any(double.IsNaN);
        var apical = ApicalErrorTraces.From(reports);
        int panels = (spikes.Count > 0 ? 1 : 0) + (reports.Count > 0 ? 1 : 0) + (apical.Count > 0 ? 1 : 0) + (weightHistogram ? 1 : 0) + (weightTraces ? 1 : 0);
        multiplot.AddPlots(panels);
        int panel = 0;
        if (spikes.Count > 0)
        {
            var raster = multiplot.GetPlot(panel++);
            int offset = 0;
            var palette = new ScottPlot.Palettes.Category10();
            var bandCentres = new List<double>();
            var bandNames = new List<string>();
            for (int p = 0; p < spikes.Count; p++)
            {
                var s = spikes[p];
                var xs = new List<double>();
                var ys = new List<double>();
                for (int k = 0; k < s.TimestampsMs.Length; k++)
                {
                    if (s.NodeIds[k] >= (ulong)maxNeurons) continue;
                    xs.Add(s.TimestampsMs[k]);
                    ys.Add(offset + (double)s.NodeIds[k]);
                }
                var points = raster.Add.ScatterPoints(xs.ToArray(), ys.ToArray(), palette.GetColor(p));
                points.MarkerSize = 2;
                points.LegendText = s.Population;
                int shown = s.NodeIds.Length == 0 ? 0 : (int)Math.Min((ulong)maxNeurons, s.NodeIds.Max() + 1);
                // Each population is a band of rows labelled with its name at its centre, with a divider above it.
                bandCentres.Add(offset + (Math.Max(shown, 1) - 1) / 2.0);
                bandNames.Add(s.Population);
                offset += shown;
                if (p < spikes.Count - 1)
                {
                    var divider = raster.Add.HorizontalLine(offset - 0.5);
                    divider.LineColor = ScottPlot.Colors.Gray;
                    divider.LinePattern = LinePattern.Dashed;
                }
            }
            raster.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. bandCentres], [.. bandNames]);
            raster.Title($"Spike raster (first {maxNeurons} neurons of each population)");
            raster.XLabel("time (ms)");
            raster.YLabel("population (neurons within each band)");
            raster.ShowLegend();
        }
        if (reports.Count > 0)
        {
            var r = reports[0];
            var trace = multiplot.GetPlot(panel);
            double[] time = Enumerable.Range(0, r.Frames).Select(f => r.StartMs + f * r.DtMs).ToArray();
            for (int e = 0; e < Math.Min(r.Elements, 5); e++)
            {
                double[] values = Enumerable.Range(0, r.Frames).Select(f => r.Value(f, e)).ToArray();
                var line = trace.Add.ScatterLine(time, values);
                // A compartment report (cable cells) has several columns per node: label the column, not the node.
                line.LegendText = r.NodeIds.Length == r.Elements ? $"{r.Population}[{r.NodeIds[e]}]" : $"{r.Population} column {e}";
            }
            trace.Title($"{r.Variable} of {r.Population}");
            trace.XLabel("time (ms)");
            trace.YLabel($"{r.Variable} ({r.Units})");
            trace.ShowLegend();
            panel++;
        }
        if (apical.Count > 0)
        {
            // The dendritic microcircuit's apical error: mean |v_A| of each hidden layer's recorded cells over time.
            var plot = multiplot.GetPlot(panel++);
            foreach (var (layer, report, time, mean) in apical)
            {
                var line = plot.Add.ScatterLine(time, mean);
                line.LegendText = apical.Count(a => a.Layer == layer) > 1 ? $"layer {layer} ({report})" : $"layer {layer}";
            }
            plot.Title("Apical error: mean |v_A| per hidden layer");
            plot.XLabel("time (ms)");
            plot.YLabel("mean |v_A| (mV)");
            plot.ShowLegend();
            Console.WriteLine($"apical error of layer{(apical.Count > 1 ? "s" : "")} {string.Join(", ", apical.Select(a => a.Layer))}: mean |v_A| {string.Join(", ", apical.Select(a => $"{a.MeanAbsolute[0]:G3} → {a.MeanAbsolute[^1]:G3} mV"))}");
        }
        if (weightHistogram) DrawWeightHistogram(multiplot.GetPlot(panel++), file, weights!);
        if (weightTraces) DrawWeightTraces(multiplot.GetPlot(panel), file, weights!);
        multiplot.SavePng(output, 1400, 500 * panels);
        Console.WriteLine($"wrote {output}");
        return ExitCodes.Ok;
    }

    /// <summary>The group of the first projection under <c>/weights</c> (by name), or null.</summary>
    private static string? WeightGroup(Hdf5File file)
    {
        if (!file.Exists("/weights")) return null;
        var names = file.ListMembers("/weights").Order(StringComparer.Ordinal).ToArray();
        return names.Length == 0 ? null : "/weights/" + names[0];
    }

    /// <summary>Histogram of the final weights in 40 bins between their smallest and largest value.</summary>
    private static void DrawWeightHistogram(Plot plot, Hdf5File file, string group)
    {
        double[] final = file.ReadDataset<double>(group + "/final");
        double min = final.Min(), max = final.Max();
        if (max == min) max = min + 1;
        var histogram = ScottPlot.Statistics.Histogram.WithBinCount(40, min, max);
        histogram.AddRange(final);
        var bars = plot.Add.Bars(histogram.Bins, histogram.Counts);
        foreach (var bar in bars.Bars) bar.Size = histogram.FirstBinSize * 0.9;
        string name = group["/weights/".Length..];
        plot.Title($"Final weights of {name} ({final.Length} synapses)");
        plot.XLabel("weight");
        plot.YLabel("synapses");
    }

    /// <summary>The weight of the first ten recorded synapses over time.</summary>
    private static void DrawWeightTraces(Plot plot, Hdf5File file, string group)
    {
        using var data = file.OpenDataset(group + "/data");
        double[] time = file.ReadDataset<double>(group + "/time");
        double[] values = data.Read<double>();
        ulong[] synapses = file.ReadDataset<ulong>(group + "/synapse_ids");
        int columns = synapses.Length;
        int frames = Math.Min(time.Length, columns == 0 ? 0 : values.Length / columns);
        for (int c = 0; c < Math.Min(columns, 10); c++)
        {
            double[] ys = Enumerable.Range(0, frames).Select(f => values[f * columns + c]).ToArray();
            var line = plot.Add.ScatterLine(time[..frames], ys);
            line.LegendText = $"synapse {synapses[c]}";
        }
        plot.Title($"Weights of {group["/weights/".Length..]} over time (first {Math.Min(columns, 10)} recorded synapses)");
        plot.XLabel("time (ms)");
        plot.YLabel("weight");
        plot.ShowLegend();
    }
}
