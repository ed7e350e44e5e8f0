using BioSim.Plasticity.Data;

namespace BioSim.IO.Compare;

/// <summary>Rows of a data set as a data set of their own.</summary>
internal static class DatasetRows
{
    public static Dataset First(Dataset d, int? count) => count is { } c && c < d.Count ? Rows(d, 0, c, d.Name) : d;

    public static Dataset Rows(Dataset d, int start, int count, string name)
    {
        var x = d.Inputs.AsSpan(start * d.InputSize, count * d.InputSize).ToArray();
        return d.Labels is { } labels
            ? new Dataset(name, d.InputSize, x, labels.AsSpan(start, count).ToArray(), d.OutputSize)
            : new Dataset(name, d.InputSize, x, d.Targets.AsSpan(start * d.OutputSize, count * d.OutputSize).ToArray(), d.OutputSize);
    }
}
