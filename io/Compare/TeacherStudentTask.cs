using BioSim.Plasticity.Data;

namespace BioSim.IO.Compare;

/// <summary>A teacher-student regression: y = T x (linear) or y = V tanh(U x) (tanh), one draw of train + test samples
/// from the task's seed, the targets optionally scaled to a root mean square.</summary>
public sealed class TeacherStudentTask : ComparisonTask<TeacherStudentSettings>
{
    private static readonly string[] Teachers = ["linear", "tanh"];

    /// <inheritdoc/>
    protected override IEnumerable<TeacherStudentSettings> TypedExamples =>
    [
        new() { teacher = "linear", inputs = 5, outputs = 3, train_samples = 40, test_samples = 20, seed = 9 },
        new() { teacher = "tanh", inputs = 5, hidden = 4, outputs = 3, train_samples = 40, test_samples = 20, seed = 9, target_rms = 1.5 },
    ];

    /// <inheritdoc/>
    protected override TaskSpec Describe(string type, TeacherStudentSettings s)
    {
        if (!Teachers.Contains(s.teacher)) throw new ArgumentException($"teacher: unknown teacher '{s.teacher}'; allowed: {string.Join(", ", Teachers)}");
        Range("inputs", s.inputs, 1 << 20);
        Range("outputs", s.outputs, 1 << 20);
        if (s.teacher == "linear" && s.hidden is not null)
            throw new ArgumentException("hidden: the linear teacher y = T x has no hidden layer; remove the field or use \"teacher\": \"tanh\"");
        if (s.teacher == "tanh") Range("hidden", s.hidden ?? throw new ArgumentException("hidden: required by the tanh teacher y = V tanh(U x) (its hidden width)"), 1 << 20);
        Range("train_samples", s.train_samples, 10_000_000);
        Range("test_samples", s.test_samples, 10_000_000);
        if (s.target_rms is { } rms && !(rms > 0 && double.IsFinite(rms))) throw new ArgumentException($"target_rms: must be positive, got {rms}");
        return new TaskSpec(type, s, s.inputs, s.outputs, Classification: false, $"{type}/{s.teacher}");
    }

    private static void Range(string field, int value, int max)
    {
        if (value < 1 || value > max) throw new ArgumentException($"{field}: must be an integer in [1, {max}], got {value}");
    }

    /// <inheritdoc/>
    protected override (Dataset Train, Dataset Test) Load(TeacherStudentSettings s)
    {
        int n = s.train_samples, m = s.test_samples;
        // One draw of n + m samples from the task's seed: the test rows follow the training rows in the same stream.
        var all = s.teacher == "tanh"
            ? TeacherStudent.Tanh(s.inputs, s.hidden!.Value, s.outputs, n + m, s.seed, s.unit_norm_inputs)
            : TeacherStudent.Linear(s.inputs, s.outputs, n + m, s.seed, out _, s.unit_norm_inputs);
        if (s.target_rms is { } rms)
        {
            // One factor for all targets, from the training rows' root mean square (in double; the targets are stored as float).
            float[] y = all.Targets!;
            double sum = 0;
            for (int i = 0; i < n * s.outputs; i++) sum += (double)y[i] * y[i];
            double current = Math.Sqrt(sum / (n * s.outputs));
            if (!(current > 0)) throw new InvalidOperationException($"{all.Name}: the training targets are all zero and cannot be scaled to RMS {rms}.");
            for (int i = 0; i < y.Length; i++) y[i] = (float)(rms * (y[i] / current));
        }
        return (DatasetRows.Rows(all, 0, n, $"{all.Name}/train"), DatasetRows.Rows(all, n, m, $"{all.Name}/test"));
    }
}
