using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;

namespace BioSim.Circuits.Neurons.Lif;

/// <summary>The "lif" model: <see cref="LifPopulation"/>.</summary>
public sealed class LifModel : NeuronModel<LifParameters>
{
    public override IReadOnlyList<string> ReceptorModels { get; } = [ReceptorSpec.ExpCurrent];

    protected override string? Validate(LifParameters parameters) => parameters.Validate();

    protected override NeuronPopulation Create(string name, int size, LifParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed) =>
        new LifPopulation(name, size, parameters, receptors);
}
