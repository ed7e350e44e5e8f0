using BioSim.Workflows.Compare;
using ScottPlot;

namespace BioSim.Cli.Compare;

/// <summary>The PNG plots of <c>biosim compare</c> (ScottPlot).</summary>
internal static class ComparisonPlots
{
    /// <summary>learning-curves.png: smoothed minibatch losses and the per-epoch test accuracy (classification) or log test loss, per rule and seed.</summary>
    public static void LearningCurves(ComparisonResult result, string path)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        var batches = multiplot.GetPlot(0);
        var epochs = multiplot.GetPlot(1);
        var palette = new ScottPlot.Palettes.Category10();
        bool classification = result.Experiment.Task.Classification;
        for (int i = 0; i < result.Experiment.Rules.Count; i++)
        {
            string label = result.Experiment.Rules[i].Label;
            var color = palette.GetColor(i);
            bool first = true;
            foreach (var run in result.Runs.Where(r => r.Label == label))
            {
                // Batch losses smoothed over ~1 % of the run so that the rules can be told apart.
                double[] smooth = [.. Smooth(run.BatchLosses, Math.Max(1, run.BatchLosses.Count / 100)).Select(Math.Log10)];
                double perEpoch = Math.Max(1, run.BatchesPerEpoch);
                var line = batches.Add.ScatterLine(Enumerable.Range(1, smooth.Length).Select(b => b / perEpoch).ToArray(), smooth, color);
                line.LineWidth = 1;
                var points = epochs.Add.ScatterLine(run.Epochs.Select(e => (double)e.Epoch).ToArray(),
                    run.Epochs.Select(e => classification ? e.TestAccuracy : Math.Log10(e.TestLoss)).ToArray(), color);
                points.MarkerSize = 5;
                if (first) { line.LegendText = label; points.LegendText = label; first = false; }
            }
        }
        batches.Title("Minibatch loss (moving average)");
        batches.XLabel("epoch");
        batches.YLabel("log₁₀ loss");
        batches.ShowLegend();
        epochs.Title(classification ? "Test accuracy" : "Test loss");
        epochs.XLabel("epoch");
        epochs.YLabel(classification ? "accuracy" : "log₁₀ loss");
        epochs.ShowLegend();
        multiplot.SavePng(path, 1400, 1000);
    }

    /// <summary>alignment.png: per epoch and layer, the error-signal angle and update cosine to backprop (and feedback-weight cosines), mean over seeds.</summary>
    public static void Alignment(ComparisonResult result, string path)
    {
        bool feedback = result.Runs.Any(r => r.FeedbackCosine.Count > 0);
        var multiplot = new Multiplot();
        multiplot.AddPlots(feedback ? 3 : 2);
        var signals = multiplot.GetPlot(0);
        var updates = multiplot.GetPlot(1);
        var palette = new ScottPlot.Palettes.Category10();
        LinePattern[] patterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];
        int hidden = result.Runs.Max(r => r.HiddenLayers), layers = result.Runs.Max(r => r.Layers);
        void Lines(Plot plot, string label, int rule, List<RunRecord> runs, Func<RunRecord, List<double[]>> rows, int columns)
        {
            if (runs.Count == 0) return;
            int count = runs.Min(r => rows(r).Count);
            for (int l = 0; l < columns; l++)
            {
                double[] xs = [.. Enumerable.Range(0, count).Select(r => (double)r)];
                double[] ys = [.. Enumerable.Range(0, count).Select(r => runs.Average(run => rows(run)[r][l]))];
                var line = plot.Add.ScatterLine(xs, ys, palette.GetColor(rule));
                line.LinePattern = patterns[l % patterns.Length];
                line.MarkerSize = 5;
                line.LegendText = $"{label}, layer {l + 1}";
            }
        }
        for (int i = 0; i < result.Experiment.Rules.Count; i++)
        {
            string label = result.Experiment.Rules[i].Label;
            Lines(signals, label, i, [.. result.Runs.Where(r => r.Label == label && r.Alignment.Count > 0)], r => r.Alignment, hidden);
            Lines(updates, label, i, [.. result.Runs.Where(r => r.Label == label && r.UpdateCosine.Count > 0)], r => r.UpdateCosine, layers);
            if (feedback) Lines(multiplot.GetPlot(2), label, i, [.. result.Runs.Where(r => r.Label == label && r.FeedbackCosine.Count > 0)], r => r.FeedbackCosine, hidden);
        }
        signals.Title("Angle between each hidden layer's error signal and backprop's (probe batch, mean over seeds)");
        signals.XLabel("epoch (0 = initial weights)");
        signals.YLabel("angle (degrees)");
        signals.Axes.SetLimitsY(-3, 100); // below 0 so that backprop's line at 0° stays visible
        signals.ShowLegend();
        updates.Title("Cosine between each layer's update and backprop's gradient (probe batch, mean over seeds)");
        updates.XLabel("epoch (0 = initial weights)");
        updates.YLabel("cos∠(ΔW rule, ΔW BP)");
        updates.Axes.SetLimitsY(-1.05, 1.05);
        updates.ShowLegend();
        if (feedback)
        {
            var weights = multiplot.GetPlot(2);
            weights.Title("Cosine between each feedback matrix B and W^T of the layer above (mean over seeds)");
            weights.XLabel("epoch (0 = initial weights)");
            weights.YLabel("cos∠(B, W^T)");
            weights.Axes.SetLimitsY(-1.05, 1.05);
            weights.ShowLegend();
        }
        multiplot.SavePng(path, 1200, feedback ? 1600 : 1200);
    }

    private static double[] Smooth(List<double> values, int window)
    {
        var result = new double[values.Count];
        double sum = 0;
        for (int i = 0; i < values.Count; i++)
        {
            sum += double.IsFinite(values[i]) ? values[i] : 0;
            if (i >= window) sum -= double.IsFinite(values[i - window]) ? values[i - window] : 0;
            result[i] = sum / Math.Min(i + 1, window);
        }
        return result;
    }
}
