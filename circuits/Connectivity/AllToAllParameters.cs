namespace BioSim.Circuits.Connectivity;

/// <summary>Parameters of all-to-all connectivity.</summary>
/// <param name="allow_autapses">Whether neuron i connects to itself when source and target are the same population. Default false.</param>
public sealed record AllToAllParameters(bool allow_autapses = false);
