using System.Diagnostics.CodeAnalysis;
using BioSim.Circuits.Populations;

namespace BioSim.Circuits.Stimuli;

/// <summary>
/// Parameters of the spike generator (see <see cref="SpikeGeneratorPopulation"/>): the spike times of each train, given
/// one of three ways: <see cref="times"/> (one list per neuron, NEST's spike_generator and NEURON's VecStim), the
/// pair <see cref="ids"/> and <see cref="spike_times"/> (Brian2's SpikeGeneratorGroup(N, indices, times)), or
/// <see cref="file"/> (a SONATA spike file, read by the experiment reader into ids and spike_times). None of them: a
/// silent generator. Times are in ms, finite, ≥ 0, and non-decreasing within each train (a repeated time is two
/// spikes at that time, as in NEST).
/// </summary>
[SuppressMessage("Performance", "CA1819:Properties should not return arrays",
    Justification = "A parameters record read from JSON: spike times are arrays in the experiment file, and the record is immutable by convention (the population copies them).")]
public sealed record SpikeGeneratorParameters : IModelParameters
{
    /// <summary>times[i]: the spike times (ms) of neuron i, non-decreasing, ≥ 0; one list per neuron of the population. Default: none.</summary>
    public double[][]? times { get; init; }

    /// <summary>ids[k]: the neuron (0-based, below the population's size) of spike k, with <see cref="spike_times"/>[k]. Default: none.</summary>
    public int[]? ids { get; init; }

    /// <summary>spike_times[k]: the time (ms, ≥ 0) of spike k, of neuron <see cref="ids"/>[k]; each neuron's times in
    /// non-decreasing order. Default: none.</summary>
    public double[]? spike_times { get; init; }

    /// <summary>A SONATA spike file (HDF5: <c>/spikes/&lt;population&gt;/timestamps</c> in ms and <c>node_ids</c>, as <c>biosim run</c>
    /// writes it), relative to the experiment file; node id i drives neuron i. Read by the experiment reader. Default: none.</summary>
    public string? file { get; init; }

    /// <summary>The population of <see cref="file"/> to replay; may be left out when the file holds one population.</summary>
    public string? population { get; init; }

    /// <summary>Returns the first invalid field as "field: problem", or null when all are valid.</summary>
    public string? Validate()
    {
        int sources = (times is not null ? 1 : 0) + (ids is not null || spike_times is not null ? 1 : 0) + (file is not null ? 1 : 0);
        if (sources > 1)
        {
            return $"{(times is not null ? "times" : "ids")}: give the spike times one way only: times (one list per neuron), ids with spike_times, or file";
        }
        if (population is not null && file is null) return "population: names a population of a spike file; give file as well";
        if (file is not null && string.IsNullOrWhiteSpace(file)) return "file: must be the path of a SONATA spike file (.h5)";
        if (times is not null)
        {
            for (int i = 0; i < times.Length; i++)
            {
                if (times[i] is null) return $"times: train {i} is null; give a list of times in ms (empty for a silent neuron)";
                string? bad = Train(times[i], "times", $"train {i}");
                if (bad is not null) return bad;
            }
        }
        if (ids is not null || spike_times is not null)
        {
            if (ids is null) return "ids: missing; spike_times needs the neuron of each spike in ids";
            if (spike_times is null) return "spike_times: missing; ids needs the time of each spike in spike_times";
            if (ids.Length != spike_times.Length) return $"spike_times: {spike_times.Length} times for {ids.Length} ids; give one time per id";
            var last = new Dictionary<int, double>();
            for (int k = 0; k < ids.Length; k++)
            {
                if (ids[k] < 0) return $"ids: entry {k} is {ids[k]}; neuron ids are ≥ 0";
                double time = spike_times[k];
                if (!(time >= 0) || double.IsInfinity(time)) return $"spike_times: entry {k} is {time}; spike times must be finite and ≥ 0 ms";
                if (last.TryGetValue(ids[k], out double previous) && time < previous)
                {
                    return $"spike_times: entry {k} ({time} ms) comes before the previous spike of neuron {ids[k]} ({previous} ms); give each neuron's times in non-decreasing order";
                }
                last[ids[k]] = time;
            }
        }
        return null;
    }

    /// <summary>The first problem of these (valid) times with a population of <paramref name="size"/> neurons, as "field: problem",
    /// or null: times must hold one train per neuron, ids must be below the size.</summary>
    public string? ValidateFor(int size)
    {
        if (times is not null && times.Length != size) return $"times: {times.Length} trains for {size} neurons; give one list per neuron";
        if (ids is not null)
        {
            for (int k = 0; k < ids.Length; k++)
            {
                if (ids[k] >= size) return $"ids: entry {k} is {ids[k]}, but the population has {size} neurons (ids 0 to {size - 1})";
            }
        }
        return null;
    }

    /// <summary>The first problem with one train's times: each finite, ≥ 0, non-decreasing.</summary>
    internal static string? Train(ReadOnlySpan<double> train, string field, string what)
    {
        for (int k = 0; k < train.Length; k++)
        {
            if (!(train[k] >= 0) || double.IsInfinity(train[k])) return $"{field}: {what}, spike {k} is {train[k]}; spike times must be finite and ≥ 0 ms";
            if (k > 0 && train[k] < train[k - 1])
            {
                return $"{field}: {what}, spike {k} ({train[k]} ms) comes before spike {k - 1} ({train[k - 1]} ms); times must be non-decreasing";
            }
        }
        return null;
    }
}
