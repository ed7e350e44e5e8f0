using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;

namespace BioSim.Circuits.Neurons;

/// <summary>
/// A point-neuron model as experiment files name it (<c>"model": "lif"</c>): the record type of its
/// parameters and a factory for populations.
/// </summary>
public interface INeuronModel
{
    /// <summary>The record type of the model's parameters (deserialised from the experiment file).</summary>
    Type ParametersType { get; }

    /// <summary>Receptor models this neuron model accepts.</summary>
    IReadOnlyList<string> ReceptorModels { get; }

    /// <summary>The first invalid parameter as "field: problem", or null.</summary>
    string? Validate(object parameters);

    /// <summary>Creates a population of <paramref name="size"/> neurons; a model that draws random numbers while it
    /// runs keys its streams by the experiment's <paramref name="seed"/>.</summary>
    NeuronPopulation Create(string name, int size, object parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed = 0);
}

/// <summary>Typed base for neuron models.</summary>
public abstract class NeuronModel<TParameters> : INeuronModel where TParameters : class
{
    public Type ParametersType => typeof(TParameters);

    public abstract IReadOnlyList<string> ReceptorModels { get; }

    public string? Validate(object parameters) =>
        parameters is TParameters p ? Validate(p) : $"parameters must be {typeof(TParameters).Name}";

    public NeuronPopulation Create(string name, int size, object parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed = 0) =>
        Create(name, size, (TParameters)parameters, receptors, seed);

    protected abstract string? Validate(TParameters parameters);

    protected abstract NeuronPopulation Create(string name, int size, TParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed);
}
