using BioSim.Circuits.Mechanisms;

namespace BioSim.Circuits.Cells;

/// <summary>A density mechanism inserted on some sections of a cell.</summary>
/// <param name="Mechanism">The mechanism and its parameters (densities per area).</param>
/// <param name="Sections">The names of the sections it is inserted on.</param>
public sealed record DensityPlacement(Mechanism Mechanism, IReadOnlyList<string> Sections);
