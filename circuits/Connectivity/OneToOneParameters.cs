namespace BioSim.Circuits.Connectivity;

/// <summary>Parameters of one-to-one connectivity (none).</summary>
public sealed record OneToOneParameters;
