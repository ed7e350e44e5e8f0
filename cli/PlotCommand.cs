using System.CommandLine;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;
using ScottPlot;

namespace BioSim.Cli;

/// <summary><c>biosim plot out.h5 -o raster.png</c>: a spike raster, and the first recorded state trace when there is one.</summary>
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
        if (spikes.Count == 0 && reports.Count == 0) return Program.Fail($"{path}: holds neither /spikes nor /report; nothing to plot", ExitCodes.BadInput);

        var multiplot = new Multiplot();
        int panels = (spikes.Count > 0 ? 1 : 0) + (reports.Count > 0 ? 1 : 0);
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
                bandCentres.Add(offset + Math.Max(shown, 1) / 2.0);
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
        }
        multiplot.SavePng(output, 1400, 500 * panels);
        Console.WriteLine($"wrote {output}");
        return ExitCodes.Ok;
    }
}
