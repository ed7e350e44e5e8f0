namespace BioSim.IO.Experiments;

/// <summary>A validated experiment: what to build, how long to run, what to record.</summary>
public sealed record Experiment
{
    /// <summary>File the experiment was read from (for messages).</summary>
    public required string File { get; init; }

    /// <summary>The experiment JSON as written, stored with the results.</summary>
    public required string Json { get; init; }

    /// <summary>"name" (required); stored as the output file's "experiment_name" attribute.</summary>
    public required string Name { get; init; }

    /// <summary>"description": free text ("" when absent).</summary>
    public string Description { get; init; } = "";

    /// <summary>Seed of every random stream of the run.</summary>
    public required ulong Seed { get; init; }

    /// <summary>Time step (ms).</summary>
    public required double Dt { get; init; }

    /// <summary>Simulated time (ms).</summary>
    public required double Duration { get; init; }

    /// <summary>Worker threads for the population updates; results do not depend on it.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Simulated time between two flushes of the output file (ms).</summary>
    public double FlushInterval { get; init; } = 100.0;

    /// <summary>"timing": "grid" (default; delays rounded to the step) or "exact" (continuous delays, input taken at its exact time).</summary>
    public BioSim.Engine.Simulation.SpikeTiming Timing { get; init; } = BioSim.Engine.Simulation.SpikeTiming.Grid;

    /// <summary>"populations": the neuron populations, in the file's order.</summary>
    public required IReadOnlyList<PopulationSpec> Populations { get; init; }

    /// <summary>"projections": the synaptic projections between populations (none when absent).</summary>
    public required IReadOnlyList<ProjectionSpec> Projections { get; init; }

    /// <summary>"record": what the run writes (when absent: the spikes of every population, no state probes).</summary>
    public required RecordSpec Record { get; init; }

    /// <summary>Number of steps: duration/dt rounded to the nearest integer.</summary>
    public long Steps => (long)Math.Round(Duration / Dt);
}
