using BioSim.Engine.Plugins;
using BioSim.IO.Datasets;
using BioSim.Plasticity.Data;
using Microsoft.Extensions.DependencyInjection;

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

/// <summary>Registers the comparison tasks by name.</summary>
public static class ComparisonTaskServiceCollectionExtensions
{
    public static IServiceCollection AddComparisonTasks(this IServiceCollection services)
    {
        services.AddPlugin<ITask, FashionMnistTask>("fashion-mnist");
        services.AddPlugin<ITask>("teacher-student/linear", () => new TeacherStudentTask(tanh: false));
        services.AddPlugin<ITask>("teacher-student/tanh", () => new TeacherStudentTask(tanh: true));
        return services;
    }

    /// <summary>The data of <paramref name="task"/> from the task the catalogue knows by its description; an unknown one lists the known ones.</summary>
    public static (Dataset Train, Dataset Test) LoadTask(this Catalogue catalogue, TaskSpec task)
    {
        ArgumentNullException.ThrowIfNull(catalogue);
        ArgumentNullException.ThrowIfNull(task);
        return catalogue.Get<ITask>(task.Description, "task").Load(task);
    }
}

/// <summary>Fashion-MNIST from its IDX files (optionally the first samples of each split); a missing data set says how to install it.</summary>
public sealed class FashionMnistTask : ITask
{
    public (Dataset Train, Dataset Test) Load(TaskSpec task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var (train, test) = FashionMnist.Load(task.Directory);
        return (DatasetRows.First(train, task.TrainSamples), DatasetRows.First(test, task.TestSamples));
    }
}

/// <summary>A teacher-student regression: y = T x (linear) or y = V tanh(U x) (tanh), one draw of train + test samples
/// from the task's seed, the targets optionally scaled to a root mean square.</summary>
public sealed class TeacherStudentTask(bool tanh) : ITask
{
    public (Dataset Train, Dataset Test) Load(TaskSpec task)
    {
        ArgumentNullException.ThrowIfNull(task);
        int n = task.TrainSamples!.Value, m = task.TestSamples!.Value;
        // One draw of n + m samples from the task's seed: the test rows follow the training rows in the same stream.
        var all = tanh
            ? TeacherStudent.Tanh(task.Inputs, task.Hidden, task.Outputs, n + m, task.Seed, task.UnitNormInputs)
            : TeacherStudent.Linear(task.Inputs, task.Outputs, n + m, task.Seed, out _, task.UnitNormInputs);
        if (task.TargetRms is { } rms)
        {
            // One factor for all targets, from the training rows' root mean square (in double; the targets are stored as float).
            float[] y = all.Targets!;
            double sum = 0;
            for (int i = 0; i < n * task.Outputs; i++) sum += (double)y[i] * y[i];
            double current = Math.Sqrt(sum / (n * task.Outputs));
            if (!(current > 0)) throw new InvalidOperationException($"{all.Name}: the training targets are all zero and cannot be scaled to RMS {rms}.");
            for (int i = 0; i < y.Length; i++) y[i] = (float)(rms * (y[i] / current));
        }
        return (DatasetRows.Rows(all, 0, n, $"{all.Name}/train"), DatasetRows.Rows(all, n, m, $"{all.Name}/test"));
    }
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
