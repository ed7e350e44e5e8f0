using BioSim.Circuits.Synapses;

namespace BioSim.Circuits.Populations;

/// <summary>
/// What a population class says about its model, as static members, so that <see cref="PopulationModel{TParameters, TPopulation}"/>
/// makes it a plug-in without an adapter class: the receptors it takes and how it is built from its parameters.
/// </summary>
/// <typeparam name="TParameters">The parameters record.</typeparam>
/// <typeparam name="TSelf">The population class itself.</typeparam>
public interface IPopulationFactory<in TParameters, out TSelf>
    where TParameters : IModelParameters
    where TSelf : IPopulation
{
    /// <summary>Receptor models the population accepts.</summary>
    static abstract IReadOnlyList<string> ReceptorModels { get; }

    /// <summary>True for multi-compartment cells (see <see cref="IPopulationModel.Compartmental"/>).</summary>
    static virtual bool Compartmental => false;

    /// <summary>Builds a population; the parameters are checked by the population (once), and errors name it.</summary>
    static abstract TSelf Create(string name, int size, TParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed);

    /// <summary>The input ports: by default one per receptor, by its name.</summary>
    static virtual IReadOnlyList<string> InputPorts(TParameters parameters, IReadOnlyList<ReceptorSpec> receptors)
    {
        var names = new string[receptors.Count];
        for (int k = 0; k < names.Length; k++) names[k] = receptors[k].Name;
        return names;
    }

    /// <summary>The sections a probe may choose, or null (the default: a point model has none).</summary>
    static virtual IReadOnlyList<string>? Sections(TParameters parameters) => null;
}
