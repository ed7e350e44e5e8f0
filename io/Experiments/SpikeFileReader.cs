using BioSim.Circuits.Stimuli;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;

namespace BioSim.IO.Experiments;

/// <summary>
/// Reads the spike file a spike generator names (<c>"parameters": {"file": "run.h5", "population": "exc"}</c>) into
/// its ids and spike_times. The format is SONATA's spike layout in HDF5, the one <c>biosim run</c> writes:
/// <c>/spikes/&lt;population&gt;/timestamps</c> (float64, ms) and <c>/spikes/&lt;population&gt;/node_ids</c> (uint64), one
/// row per spike, in any order; node id i drives neuron i of the generator. So a recorded run can be replayed.
/// </summary>
internal static class SpikeFileReader
{
    /// <summary><paramref name="parameters"/> with the spikes of its file as ids and spike_times (time-sorted) and no file.
    /// A missing or unreadable file, an unknown or ambiguous population, a node id not below <paramref name="size"/> or a
    /// negative or non-finite time is an <see cref="ExperimentException"/> at <paramref name="path"/>.file (or .population).</summary>
    public static SpikeGeneratorParameters Load(SpikeGeneratorParameters parameters, int size, JsonFields f, string path)
    {
        string field = $"{path}.file";
        string file = parameters.file!;
        if (!Path.IsPathRooted(file)) file = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(f.File)) ?? "", file);
        if (!File.Exists(file)) throw f.Error(field, $"the spike file '{file}' does not exist; give a SONATA spike file (.h5) relative to the experiment file");
        IReadOnlyList<SpikeTrains> populations;
        try
        {
            using var h5 = Hdf5File.OpenReadOnly(file);
            populations = SonataFileReader.ReadSpikes(h5);
        }
        catch (IOException e)
        {
            throw f.Error(field, $"'{file}' is not a readable SONATA spike file (HDF5): {ExperimentReader.FirstSentence(e.Message)}");
        }
        string names = string.Join(", ", populations.Select(p => p.Population));
        if (populations.Count == 0) throw f.Error(field, $"'{file}' holds no spikes (no /spikes/<population> group)");
        SpikeTrains trains;
        if (parameters.population is null)
        {
            if (populations.Count > 1) throw f.Error($"{path}.population", $"'{file}' holds the spikes of several populations ({names}); name one");
            trains = populations[0];
        }
        else
        {
            trains = populations.FirstOrDefault(p => p.Population == parameters.population)
                ?? throw f.Error($"{path}.population", $"'{file}' has no spike population '{parameters.population}'; it has: {names}");
        }
        if (trains.NodeIds.Length != trains.TimestampsMs.Length)
        {
            throw f.Error(field, $"'{file}': /spikes/{trains.Population} has {trains.TimestampsMs.Length} timestamps but {trains.NodeIds.Length} node_ids");
        }
        var times = (double[])trains.TimestampsMs.Clone();
        var ids = new int[times.Length];
        for (int k = 0; k < times.Length; k++)
        {
            if (trains.NodeIds[k] >= (ulong)size)
            {
                throw f.Error(field, $"'{file}': /spikes/{trains.Population} has node id {trains.NodeIds[k]}, but this population has {size} neurons (ids 0 to {size - 1})");
            }
            if (!(times[k] >= 0) || double.IsInfinity(times[k]))
            {
                throw f.Error(field, $"'{file}': /spikes/{trains.Population}/timestamps[{k}] is {times[k]}; spike times must be finite and ≥ 0 ms");
            }
            ids[k] = (int)trains.NodeIds[k];
        }
        // Sorting by time puts each neuron's spikes in non-decreasing order, whatever the file's "sorting".
        Array.Sort(times, ids);
        return parameters with { file = null, population = null, ids = ids, spike_times = times };
    }
}
