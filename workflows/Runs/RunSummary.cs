namespace BioSim.Workflows.Runs;

/// <summary>What a finished run did (<see cref="ExperimentRunner.Run"/>, <see cref="ExperimentRunner.Resume"/>).</summary>
/// <param name="Output">The HDF5 file written.</param>
/// <param name="Steps">Steps taken from t = 0 (a resumed run counts the steps before the checkpoint too).</param>
/// <param name="SimulatedMs">Simulated time reached (ms).</param>
/// <param name="Synapses">Synapses in the model.</param>
/// <param name="Populations">Per population: size, spikes and mean rate.</param>
/// <param name="BuildTime">Wall time to build the model.</param>
/// <param name="SimulationTime">Wall time of the simulation loop.</param>
/// <param name="Status">How the run ended; its text is the file's <c>status</c> attribute.</param>
public sealed record RunSummary(
    string Output, long Steps, double SimulatedMs, long Synapses, IReadOnlyList<PopulationSummary> Populations,
    TimeSpan BuildTime, TimeSpan SimulationTime, RunStatus Status)
{
    /// <summary>Neurons each process stepped, by rank, when the run was split over processes (MPI); null for one process.</summary>
    public IReadOnlyList<int>? NeuronsPerProcess { get; init; }

    /// <summary>How a split run exchanged spikes (null for one process).</summary>
    public SpikeExchange? Exchange { get; init; }

    /// <summary>Spikes of all populations.</summary>
    public long Spikes => Populations.Sum(p => p.Spikes);

    /// <summary>Neurons of all populations.</summary>
    public int Neurons => Populations.Sum(p => p.Size);

    /// <summary>Mean firing rate over all neurons (Hz).</summary>
    public double MeanRateHz => SimulatedMs > 0 ? Spikes / (Neurons * SimulatedMs / 1000.0) : 0;
}
