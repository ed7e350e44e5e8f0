using BioSim.Plasticity.Data;

namespace BioSim.IO.Compare;

/// <summary>
/// A comparison's task: where its training and held-out data come from, given the file's task settings. Registered by
/// name in the catalogue (<see cref="TaskSpec.Description"/>: "fashion-mnist", "teacher-student/linear",
/// "teacher-student/tanh"); the same settings give the same data.
/// </summary>
public interface ITask
{
    /// <summary>The training and test sets of <paramref name="task"/>.</summary>
    (Dataset Train, Dataset Test) Load(TaskSpec task);
}

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
