using BioSim.IO.Hdf5;

namespace BioSim.IO.Sonata;

/// <summary>
/// Writes spikes in the SONATA layout (SONATA developer guide, "Spike file"), block by block:
/// <c>/spikes/&lt;population&gt;/timestamps</c> (float64, ms, attribute <c>units</c> = "ms") and
/// <c>/spikes/&lt;population&gt;/node_ids</c> (uint64), both chunked with an unlimited length, plus the
/// attribute <c>sorting</c> on the population group. As the guide requires, <c>sorting</c> is an HDF5 enum
/// (int8: none = 0, by_id = 1, by_time = 2, the same type libsonata writes): "by_time" while every spike
/// appended so far is in time order, "none" from the first one that is not.
/// </summary>
/// <remarks>The writer does not own the file. <see cref="Flush"/> flushes the whole file, so a killed run
/// keeps every block appended before the last flush.</remarks>
public sealed class SonataSpikeWriter : IDisposable
{
    internal static readonly string[] SortingNames = ["none", "by_id", "by_time"];
    internal const sbyte SortingNone = 0;
    internal const sbyte SortingByTime = 2;

    private readonly Hdf5File _file;
    private readonly AppendableDatasetOptions _storage;
    private readonly Dictionary<string, SpikePopulationWriter> _populations = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <param name="file">An open, writable file; spikes go under <c>/spikes</c>.</param>
    /// <param name="storage">Chunking and compression of the timestamp and node-id datasets.</param>
    public SonataSpikeWriter(Hdf5File file, AppendableDatasetOptions? storage = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.IsReadOnly) throw new ArgumentException($"'{file.FileName}' is open read-only", nameof(file));
        _file = file;
        _storage = storage ?? new AppendableDatasetOptions();
    }

    /// <summary>The writer of one population, created (with its group and datasets) on first use.</summary>
    public SpikePopulationWriter Population(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/')) throw new ArgumentException($"population name '{name}' must not contain '/'", nameof(name));
        if (!_populations.TryGetValue(name, out SpikePopulationWriter? population))
        {
            population = new SpikePopulationWriter(_file, name, _storage);
            _populations.Add(name, population);
        }
        return population;
    }

    /// <summary>
    /// Reopens the datasets of a population this file already holds (resuming a run), keeping its first
    /// <paramref name="rows"/> spikes and dropping the rest; spikes appended next must not precede
    /// <paramref name="resumeTimeMs"/>, the time every kept spike precedes.
    /// </summary>
    public SpikePopulationWriter Reopen(string name, long rows, double resumeTimeMs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_populations.ContainsKey(name)) throw new ArgumentException($"spike population '{name}' is already open", nameof(name));
        var population = new SpikePopulationWriter(_file, name, rows, resumeTimeMs);
        _populations.Add(name, population);
        return population;
    }

    /// <summary>Appends a block of spikes of one population: <paramref name="timestampsMs"/>[i] is the time
    /// (ms) of a spike of node <paramref name="nodeIds"/>[i].</summary>
    public void Append(string population, ReadOnlySpan<double> timestampsMs, ReadOnlySpan<ulong> nodeIds) =>
        Population(population).Append(timestampsMs, nodeIds);

    /// <summary>Flushes the file: every block appended so far is on disk when this returns.</summary>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _file.Flush();
    }

    /// <summary>Flushes (when the file is still open) and closes the population groups and datasets; the
    /// file stays open.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_file.IsOpen) _file.Flush();
        foreach (SpikePopulationWriter population in _populations.Values) population.Close();
    }
}
