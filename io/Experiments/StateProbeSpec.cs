namespace BioSim.IO.Experiments;

/// <summary>A state probe: one variable of some elements of a population, every <paramref name="Every"/> steps;
/// <paramref name="Sections"/> (cable populations only) restricts a compartment report to the segments of those sections.
/// <paramref name="Name"/> names the report (<c>/report/&lt;name&gt;</c>); null: the population's name, as SONATA keeps one
/// report per population in a file (the experiment reader names the reports of a population recorded more than once
/// "&lt;population&gt;.&lt;variable&gt;").</summary>
public sealed record StateProbeSpec(string Population, string Variable, IReadOnlyList<int>? NodeIds, int Every, IReadOnlyList<string>? Sections = null, string? Name = null)
{
    /// <summary>The report's name in the file: <see cref="Name"/>, or the population's.</summary>
    public string ReportName => Name ?? Population;
}
