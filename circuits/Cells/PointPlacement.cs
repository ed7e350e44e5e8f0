using BioSim.Circuits.Mechanisms;

namespace BioSim.Circuits.Cells;

/// <summary>A point process at position <paramref name="X"/> of a section, under a name that inputs and probes use.</summary>
/// <param name="Name">The point process's name: the input port projections target if it takes events.</param>
/// <param name="Mechanism">The mechanism and its parameters (absolute units).</param>
/// <param name="Section">The name of the section it sits on.</param>
/// <param name="X">Position on the section, 0 to 1 (the 0 end to the 1 end); inside the section it acts on the node of the segment that holds X; at X = 0 or 1 on the zero-area node of
/// that end (at 0 of a child section, the parent's node it hangs from), as NEURON places a point process.</param>
public sealed record PointPlacement(string Name, Mechanism Mechanism, string Section, double X);
