using BioSim.Circuits.Populations;

namespace BioSim.Circuits.Neurons.Dendritic;

/// <summary>
/// Parameters of the three-compartment pyramidal neuron (<see cref="PyramidalPopulation"/>): the soma's
/// (<see cref="SomaticParameters"/>) and the couplings of the basal and apical dendrites, g_B = 1, g_A = 0.8
/// (Sacramento et al. 2018).
/// </summary>
public sealed record PyramidalParameters : SomaticParameters, IModelParameters
{
    /// <summary>g_B, basal-to-soma coupling (nS), ≥ 0. Default 1.</summary>
    public double g_B { get; init; } = 1.0;

    /// <summary>g_A, apical-to-soma coupling (nS), ≥ 0. Default 0.8.</summary>
    public double g_A { get; init; } = 0.8;

    /// <summary>The first invalid field as "field: problem", or null.</summary>
    public string? Validate() => ValidateSoma() ?? Coupling("g_B", g_B) ?? Coupling("g_A", g_A);
}
