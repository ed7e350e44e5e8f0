namespace BioSim.IO.Compare;

/// <summary>Settings of the "teacher-student" task (file keys as property names).</summary>
public sealed record TeacherStudentSettings
{
    /// <summary>"linear" (y = T x) or "tanh" (y = V tanh(U x)).</summary>
    public required string teacher { get; init; }

    /// <summary>Input width, 1–2²⁰.</summary>
    public required int inputs { get; init; }

    /// <summary>Hidden width of the tanh teacher (required there, absent for the linear one).</summary>
    public int? hidden { get; init; }

    /// <summary>Output width, 1–2²⁰.</summary>
    public required int outputs { get; init; }

    /// <summary>Training samples, 1–10⁷.</summary>
    public required int train_samples { get; init; }

    /// <summary>Test samples, 1–10⁷ (drawn after the training samples from the same stream).</summary>
    public required int test_samples { get; init; }

    /// <summary>Seed of the teacher and the samples (the same for every run of the comparison). Default 0.</summary>
    public ulong seed { get; init; }

    /// <summary>Inputs scaled to unit Euclidean norm (Song, Xu &amp; Lafferty 2021) instead of N(0, I).</summary>
    public bool unit_norm_inputs { get; init; }

    /// <summary>Null, or every target multiplied by one factor so that the training targets' root mean square is this
    /// (the test targets by the same factor).</summary>
    public double? target_rms { get; init; }
}
