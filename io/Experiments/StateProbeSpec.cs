namespace BioSim.IO.Experiments;

/// <summary>A state probe: one variable of some elements of a population, every <paramref name="Every"/> steps;
/// <paramref name="Sections"/> (cable populations only) restricts a compartment report to the segments of those sections.</summary>
public sealed record StateProbeSpec(string Population, string Variable, IReadOnlyList<int>? NodeIds, int Every, IReadOnlyList<string>? Sections = null);
