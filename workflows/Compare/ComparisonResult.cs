using BioSim.IO.Compare;

namespace BioSim.Workflows.Compare;

/// <summary>The result of <see cref="RuleComparison.Run"/>.</summary>
public sealed record ComparisonResult(ComparisonExperiment Experiment, IReadOnlyList<RunRecord> Runs, string MatrixProduct, string CurvesFile)
{
    /// <summary>Whether at least one run diverged (the comparison still went on).</summary>
    public bool AnyDiverged => Runs.Any(r => r.Diverged);
}
