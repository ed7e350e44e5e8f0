namespace BioSim.IO.Compare;

/// <summary>The data: Fashion-MNIST (optionally its first samples only) or a teacher-student regression.</summary>
/// <param name="Type">"fashion-mnist" or "teacher-student".</param>
/// <param name="Teacher">teacher-student only: "linear" (y = T x) or "tanh" (y = V tanh(U x)).</param>
/// <param name="Inputs">input width (784 for Fashion-MNIST).</param>
/// <param name="Hidden">hidden width of the tanh teacher.</param>
/// <param name="Outputs">output width (10 classes for Fashion-MNIST).</param>
/// <param name="TrainSamples">training samples (Fashion-MNIST: the first ones; null for all 60 000).</param>
/// <param name="TestSamples">test samples (Fashion-MNIST: the first ones; null for all 10 000).</param>
/// <param name="Seed">teacher-student only: seed of the teacher and the samples (the same for every run).</param>
/// <param name="Directory">Fashion-MNIST only: where the IDX files are.</param>
/// <param name="UnitNormInputs">teacher-student only: inputs scaled to unit Euclidean norm (Song, Xu &amp; Lafferty 2021) instead of N(0, I).</param>
/// <param name="TargetRms">teacher-student only: null, or every target multiplied by one factor so that the training targets' root mean
/// square is this (the test targets by the same factor).</param>
public sealed record TaskSpec(string Type, string Teacher, int Inputs, int Hidden, int Outputs, int? TrainSamples, int? TestSamples, ulong Seed, string Directory,
    bool UnitNormInputs = false, double? TargetRms = null)
{
    /// <summary>"fashion-mnist" or "teacher-student/linear".</summary>
    public string Description => Type == "fashion-mnist" ? "fashion-mnist" : $"teacher-student/{Teacher}";
}
