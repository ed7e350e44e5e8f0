using BioSim.Plasticity.Data;

namespace BioSim.IO.Compare;

/// <summary>A teacher-student regression: y = T x (linear) or y = V tanh(U x) (tanh), one draw of train + test samples
/// from the task's seed, the targets optionally scaled to a root mean square.</summary>
public sealed class TeacherStudentTask(bool tanh) : ITask
{
    /// <inheritdoc/>
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
