using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;

namespace BioSim.Circuits.Neurons.LifCond;

/// <summary>The "lif-cond" model: <see cref="LifCondPopulation"/>.</summary>
public sealed class LifCondModel : NeuronModel<LifCondParameters>
{
    public override IReadOnlyList<string> ReceptorModels { get; } = [ReceptorSpec.ExpConductance, ReceptorSpec.ExpCurrent];

    protected override string? Validate(LifCondParameters parameters) => parameters.Validate();

    protected override NeuronPopulation Create(string name, int size, LifCondParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed) =>
        new LifCondPopulation(name, size, parameters, receptors);
}
