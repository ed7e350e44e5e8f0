namespace BioSim.Workflows.Runs;

/// <summary>One population's share of a <see cref="RunSummary"/>.</summary>
/// <param name="Name">The population's name in the experiment.</param>
/// <param name="Size">Its neurons.</param>
/// <param name="Spikes">Its spikes over the whole run.</param>
/// <param name="MeanRateHz">Its mean firing rate (Hz).</param>
public sealed record PopulationSummary(string Name, int Size, long Spikes, double MeanRateHz);
