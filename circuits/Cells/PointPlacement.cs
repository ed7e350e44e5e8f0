using BioSim.Circuits.Mechanisms;

namespace BioSim.Circuits.Cells;

/// <summary>A point process at position <paramref name="X"/> of a section, under a name that inputs and probes use.</summary>
/// <param name="Name">The point process's name: the input port projections target if it takes events.</param>
/// <param name="Mechanism">The mechanism and its parameters (absolute units).</param>
/// <param name="Section">The name of the section it sits on.</param>
/// <param name="X">Position on the section, 0 to 1 (the 0 end to the 1 end); it acts on the segment that holds X.</param>
public sealed record PointPlacement(string Name, Mechanism Mechanism, string Section, double X);
