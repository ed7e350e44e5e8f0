using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;

namespace BioSim.Circuits.Neurons.HodgkinHuxley;

/// <summary>The "hh" model: <see cref="HhPopulation"/>.</summary>
public sealed class HhModel : NeuronModel<HhParameters>
{
    public override IReadOnlyList<string> ReceptorModels { get; } = [ReceptorSpec.ExpCurrent, ReceptorSpec.ExpConductance];

    protected override string? Validate(HhParameters parameters) => parameters.Validate();

    protected override NeuronPopulation Create(string name, int size, HhParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed) =>
        new HhPopulation(name, size, parameters, receptors);
}
