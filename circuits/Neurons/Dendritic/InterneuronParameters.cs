using BioSim.Circuits.Populations;

namespace BioSim.Circuits.Neurons.Dendritic;

/// <summary>The interneuron's parameters (<see cref="InterneuronPopulation"/>): the soma's and one dendrite, g_D = 1 (Sacramento et al. 2018).</summary>
public sealed record InterneuronParameters : SomaticParameters, IModelParameters
{
    /// <summary>g_D, dendrite-to-soma coupling (nS), ≥ 0. Default 1.</summary>
    public double g_D { get; init; } = 1.0;

    /// <summary>The first invalid field as "field: problem", or null.</summary>
    public string? Validate() => ValidateSoma() ?? Coupling("g_D", g_D);
}
