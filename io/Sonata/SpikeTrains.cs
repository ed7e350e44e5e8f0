namespace BioSim.IO.Sonata;

/// <summary>The spikes of one population as read back from a SONATA spike file.</summary>
public sealed record SpikeTrains(string Population, double[] TimestampsMs, ulong[] NodeIds);
