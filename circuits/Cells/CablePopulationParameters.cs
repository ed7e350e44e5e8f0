using BioSim.Circuits.Populations;
using BioSim.Engine.Cable;

namespace BioSim.Circuits.Cells;

/// <summary>
/// The parameters of a population of multi-compartment cells (<c>"model": "cable"</c>): the cell every member is built
/// from and the time discretisation. Its input ports are the cell's event-receiving point processes (by name); the cell
/// was checked as it was described (<see cref="CableCell.Insert(Mechanisms.Mechanism, string[])"/>, <see cref="CableCell.Place"/>).
/// </summary>
/// <param name="Cell">The cell description.</param>
/// <param name="Method">Backward Euler (NEURON's default) or Crank-Nicolson.</param>
public sealed record CablePopulationParameters(CableCell Cell, CableMethod Method = CableMethod.BackwardEuler) : IModelParameters
{
    /// <summary>Names of the point processes that take spike events (the targets of projections).</summary>
    public IReadOnlyList<string> InputNames => Cell.PointProcesses.Where(p => p.Mechanism.ReceivesEvents).Select(p => p.Name).ToArray();

    /// <summary>A cell description is checked as it is built, so nothing is left to check.</summary>
    public string? Validate() => null;
}
