using System.Text.Json.Nodes;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Random;

namespace BioSim.IO.Experiments;

/// <summary>A validated experiment: what to build, how long to run, what to record.</summary>
public sealed record Experiment
{
    /// <summary>File the experiment was read from (for messages).</summary>
    public required string File { get; init; }

    /// <summary>The experiment JSON as written, stored with the results.</summary>
    public required string Json { get; init; }

    public required string Name { get; init; }

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

    public required IReadOnlyList<PopulationSpec> Populations { get; init; }

    public required IReadOnlyList<ProjectionSpec> Projections { get; init; }

    public required RecordSpec Record { get; init; }

    /// <summary>Number of steps: duration/dt rounded to the nearest integer.</summary>
    public long Steps => (long)Math.Round(Duration / Dt);
}

/// <summary>A population: model name, typed parameters (the record type the model declares, e.g. <see cref="Circuits.Cells.CablePopulationParameters"/>
/// for cable cells), receptors, initial values per variable.</summary>
public sealed record PopulationSpec(
    string Name, int Size, string Model, object Parameters, IReadOnlyList<ReceptorSpec> Receptors,
    IReadOnlyDictionary<string, Distribution> Initial);

/// <summary>A projection: source, target receptor, connectivity rule with its typed parameters, weights and delays.</summary>
public sealed record ProjectionSpec(
    string Name, string Source, string Target, string Receptor, string Rule, object RuleParameters,
    Distribution Weight, Distribution Delay);

/// <summary>A state probe: one variable of some elements of a population, every <paramref name="Every"/> steps;
/// <paramref name="Sections"/> (cable populations only) restricts a compartment report to the segments of those sections.</summary>
public sealed record StateProbeSpec(string Population, string Variable, IReadOnlyList<int>? NodeIds, int Every, IReadOnlyList<string>? Sections = null);

/// <summary>What is written to the output file; <paramref name="Compression"/> is the gzip level (0 = off, 1–9) of every
/// dataset: uncompressed writes run at about 1 GB/s here, deflate-1 at about 75 MB/s, so it is off by default.</summary>
public sealed record RecordSpec(IReadOnlyList<string> Spikes, IReadOnlyList<StateProbeSpec> State, int Compression = 0);
