using System.Globalization;

namespace BioSim.IO.Sonata;

/// <summary>
/// The apical error of a dendritic microcircuit over time, from its state reports: for every report of a variable
/// <c>v_A_l</c> (the apical potentials of hidden layer l, as <c>"model": "microcircuit"</c> names them), the mean |v_A| over
/// the recorded cells at every frame. In the self-predicting state without a target it is zero; with the output nudged it
/// carries the error each hidden layer learns from (Sacramento et al. 2018).
/// </summary>
public static class ApicalErrorTraces
{
    /// <summary>One trace per apical report, ordered by layer: the layer, the report's name, the frame times (ms) and mean |v_A| (mV).</summary>
    public static IReadOnlyList<(int Layer, string Report, double[] TimeMs, double[] MeanAbsolute)> From(IEnumerable<StateReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var traces = new List<(int, string, double[], double[])>();
        foreach (var r in reports)
        {
            if (!r.Variable.StartsWith("v_A_", StringComparison.Ordinal)
                || !int.TryParse(r.Variable.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out int layer)) continue;
            var time = new double[r.Frames];
            var mean = new double[r.Frames];
            for (int f = 0; f < r.Frames; f++)
            {
                time[f] = r.StartMs + f * r.DtMs;
                double sum = 0;
                for (int e = 0; e < r.Elements; e++) sum += Math.Abs(r.Value(f, e));
                mean[f] = r.Elements == 0 ? double.NaN : sum / r.Elements;
            }
            traces.Add((layer, r.Population, time, mean));
        }
        return [.. traces.OrderBy(t => t.Item1).ThenBy(t => t.Item2, StringComparer.Ordinal)];
    }
}
