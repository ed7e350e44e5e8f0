using BioSim.IO.Compare;

namespace BioSim.Workflows.Compare;

/// <summary>The result of <see cref="RuleComparison.Run"/>.</summary>
public sealed record ComparisonResult(ComparisonExperiment Experiment, IReadOnlyList<RunRecord> Runs, string MatrixProduct, string CurvesFile)
{
    public bool AnyDiverged => Runs.Any(r => r.Diverged);
}
