using BioSim.Circuits.Synapses;

namespace BioSim.Circuits.Populations;

/// <summary>
/// A population model as experiment files name it (<c>"model": "lif"</c>, <c>"model": "cable"</c>): the record type of
/// its parameters, the receptors it takes, the input ports and sections a set of parameters gives, and a factory for
/// populations. Every model, point neuron or multi-compartment cell, is registered through this one kind, usually as
/// <see cref="PopulationModel{TParameters, TPopulation}"/>: <c>services.AddPlugin&lt;IPopulationModel, PopulationModel&lt;LifParameters, LifPopulation&gt;&gt;("lif")</c>.
/// </summary>
public interface IPopulationModel
{
    /// <summary>The record type of the model's parameters (read from the experiment file).</summary>
    Type ParametersType { get; }

    /// <summary>Receptor models this model's populations accept (none for models whose inputs come with the parameters).</summary>
    IReadOnlyList<string> ReceptorModels { get; }

    /// <summary>True for multi-compartment cells: probes record their compartments and may be restricted to sections.</summary>
    bool Compartmental { get; }

    /// <summary>True for a current device (<see cref="Stimuli.ICurrentSource"/>): its projections inject current instead of spikes.</summary>
    bool IsCurrentSource => false;

    /// <summary>True when the model's neurons take an injected current from a current device (<see cref="Stimuli.ICurrentTarget"/>).</summary>
    bool TakesCurrent => false;

    /// <summary>The first invalid parameter as "field: problem", or null.</summary>
    string? Validate(object parameters);

    /// <summary>The input ports projections may target for these parameters and receptors.</summary>
    IReadOnlyList<string> InputNames(object parameters, IReadOnlyList<ReceptorSpec> receptors);

    /// <summary>The sections a compartment probe may be restricted to, or null when the model has none.</summary>
    IReadOnlyList<string>? Sections(object parameters);

    /// <summary>Creates a population of <paramref name="size"/> elements; a model that draws random numbers while it runs
    /// keys its streams by the experiment's <paramref name="seed"/>. Invalid parameters throw an <see cref="ArgumentException"/>
    /// that names the population and the field.</summary>
    IPopulation Create(string name, int size, object parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed = 0);
}
