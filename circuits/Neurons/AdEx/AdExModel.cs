using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;

namespace BioSim.Circuits.Neurons.AdEx;

/// <summary>The "adex" model: <see cref="AdExPopulation"/>.</summary>
public sealed class AdExModel : NeuronModel<AdExParameters>
{
    public override IReadOnlyList<string> ReceptorModels { get; } = [ReceptorSpec.ExpCurrent, ReceptorSpec.ExpConductance];

    protected override string? Validate(AdExParameters parameters) => parameters.Validate();

    protected override NeuronPopulation Create(string name, int size, AdExParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed) =>
        new AdExPopulation(name, size, parameters, receptors);
}
