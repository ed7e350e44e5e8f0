namespace BioSim.Workflows.Runs;

/// <summary>Where a run is, for progress bars and logs; reported by <see cref="ExperimentRunner"/> after every block.</summary>
/// <param name="TimeMs">Simulated time reached (ms).</param>
/// <param name="DurationMs">The experiment's duration (ms).</param>
/// <param name="Spikes">Spikes so far, all populations.</param>
/// <param name="Elapsed">Wall time of the simulation loop so far (not the model's construction).</param>
public sealed record RunProgress(double TimeMs, double DurationMs, long Spikes, TimeSpan Elapsed);
