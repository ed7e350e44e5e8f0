using BioSim.IO.Compare;

namespace BioSim.Workflows.Compare;

/// <summary>The result of <see cref="RuleComparison"/>.Run.</summary>
/// <param name="Experiment">The comparison as read.</param>
/// <param name="Runs">Every rule × seed run, finished or diverged.</param>
/// <param name="MatrixProduct">The matrix-product kernel the runs used.</param>
/// <param name="CurvesFile">curves.h5 in the output directory.</param>
/// <param name="SummaryFile">summary.md in the output directory (<see cref="ComparisonSummary"/>).</param>
public sealed record ComparisonResult(ComparisonExperiment Experiment, IReadOnlyList<RunRecord> Runs, string MatrixProduct, string CurvesFile, string SummaryFile)
{
    /// <summary>Whether at least one run diverged (the comparison still went on).</summary>
    public bool AnyDiverged => Runs.Any(r => r.Diverged);
}
