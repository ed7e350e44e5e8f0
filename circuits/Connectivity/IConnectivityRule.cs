using BioSim.Engine.Random;

namespace BioSim.Circuits.Connectivity;

/// <summary>
/// A connectivity generator. Experiment files name it (<c>"rule": "fixed-probability"</c>); its
/// parameters are a record of type <see cref="ParametersType"/>. Every source row (or target column)
/// draws from its own element stream, so the pattern does not depend on the thread count.
/// </summary>
public interface IConnectivityRule
{
    /// <summary>The record type that holds this rule's parameters (deserialised from the experiment file).</summary>
    Type ParametersType { get; }

    /// <summary>The first invalid field as "field: problem", or null.</summary>
    string? Validate(object parameters, int sourceCount, int targetCount);

    /// <summary>Builds the pattern. <paramref name="samePopulation"/> tells whether i → i is an autapse.</summary>
    ConnectivityPattern Build(object parameters, int sourceCount, int targetCount, bool samePopulation, RandomStream random);

    /// <summary>Builds only the synapses onto targets [<paramref name="targetStart"/>, <paramref name="targetEnd"/>) (a process's own
    /// neurons in a split run): the same synapses, in the same row order, as the whole pattern has onto those targets, without
    /// building the whole pattern at any point.</summary>
    ConnectivityPattern Build(object parameters, int sourceCount, int targetCount, bool samePopulation, RandomStream random, int targetStart, int targetEnd);
}
