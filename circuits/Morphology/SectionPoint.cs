namespace BioSim.Circuits.Morphology;

/// <summary>A point of a section's centre line: distance from the section's start along it (µm) and diameter there (µm).</summary>
public readonly record struct SectionPoint(double Arc, double Diameter);
