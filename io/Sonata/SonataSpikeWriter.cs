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

    private readonly Hdf5File file;
    private readonly AppendableDatasetOptions storage;
    private readonly Dictionary<string, SpikePopulationWriter> populations = new(StringComparer.Ordinal);
    private bool disposed;

    /// <param name="file">An open, writable file; spikes go under <c>/spikes</c>.</param>
    /// <param name="storage">Chunking and compression of the timestamp and node-id datasets.</param>
    public SonataSpikeWriter(Hdf5File file, AppendableDatasetOptions? storage = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.IsReadOnly) throw new ArgumentException($"'{file.FileName}' is open read-only", nameof(file));
        this.file = file;
        this.storage = storage ?? new AppendableDatasetOptions();
    }

    /// <summary>The writer of one population, created (with its group and datasets) on first use.</summary>
    public SpikePopulationWriter Population(string name)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/')) throw new ArgumentException($"population name '{name}' must not contain '/'", nameof(name));
        if (!populations.TryGetValue(name, out SpikePopulationWriter? population))
        {
            population = new SpikePopulationWriter(file, name, storage);
            populations.Add(name, population);
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
        ObjectDisposedException.ThrowIf(disposed, this);
        if (populations.ContainsKey(name)) throw new ArgumentException($"spike population '{name}' is already open", nameof(name));
        var population = new SpikePopulationWriter(file, name, rows, resumeTimeMs);
        populations.Add(name, population);
        return population;
    }

    /// <summary>Appends a block of spikes of one population: <paramref name="timestampsMs"/>[i] is the time
    /// (ms) of a spike of node <paramref name="nodeIds"/>[i].</summary>
    public void Append(string population, ReadOnlySpan<double> timestampsMs, ReadOnlySpan<ulong> nodeIds) =>
        Population(population).Append(timestampsMs, nodeIds);

    /// <summary>Flushes the file: every block appended so far is on disk when this returns.</summary>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        file.Flush();
    }

    /// <summary>Flushes (when the file is still open) and closes the population groups and datasets; the
    /// file stays open.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (file.IsOpen) file.Flush();
        foreach (SpikePopulationWriter population in populations.Values) population.Close();
    }
}

/// <summary>Appends the spikes of one SONATA population; get it from <see cref="SonataSpikeWriter.Population"/>.</summary>
public sealed class SpikePopulationWriter
{
    private readonly Hdf5Group group;
    private readonly AppendableDataset<double> timestamps;
    private readonly AppendableDataset<ulong> nodeIds;
    private double lastTime = double.NegativeInfinity;

    internal SpikePopulationWriter(Hdf5File file, string name, AppendableDatasetOptions storage)
    {
        Name = name;
        group = file.CreateGroup("/spikes/" + name);
        try
        {
            group.SetEnumAttribute("sorting", SonataSpikeWriter.SortingNames, SonataSpikeWriter.SortingByTime);
            timestamps = group.CreateAppendable<double>("timestamps", storage);
            timestamps.SetAttribute("units", "ms");
            nodeIds = group.CreateAppendable<ulong>("node_ids", storage);
        }
        catch
        {
            Close();
            throw;
        }
    }

    internal SpikePopulationWriter(Hdf5File file, string name, long rows, double resumeTimeMs)
    {
        Name = name;
        group = file.OpenGroup("/spikes/" + name);
        try
        {
            timestamps = group.OpenAppendable<double>("timestamps");
            nodeIds = group.OpenAppendable<ulong>("node_ids");
            if (timestamps.Rows < rows || nodeIds.Rows < rows)
                throw new InvalidDataException($"{file.FileName}: /spikes/{name} holds {Math.Min(timestamps.Rows, nodeIds.Rows)} spikes, fewer than the {rows} its checkpoint recorded");
            timestamps.Truncate(rows);
            nodeIds.Truncate(rows);
            // A file already marked unsorted stays so: the attribute is only ever changed to "none".
            lastTime = resumeTimeMs;
        }
        catch
        {
            Close();
            throw;
        }
    }

    public string Name { get; }

    /// <summary>Spikes appended so far.</summary>
    public long Count => timestamps.Rows;

    /// <summary>True while all spikes appended so far are in non-decreasing time order.</summary>
    public bool IsSortedByTime { get; private set; } = true;

    /// <summary>Appends a block of spikes: <paramref name="timestampsMs"/>[i] (ms) is a spike of node
    /// <paramref name="ids"/>[i].</summary>
    public void Append(ReadOnlySpan<double> timestampsMs, ReadOnlySpan<ulong> ids)
    {
        if (timestampsMs.Length != ids.Length)
            throw new ArgumentException(
                $"population '{Name}': {timestampsMs.Length} timestamps but {ids.Length} node ids", nameof(ids));
        if (timestampsMs.IsEmpty) return;
        if (IsSortedByTime)
        {
            double previous = lastTime;
            foreach (double t in timestampsMs)
            {
                // NaN fails the comparison too: then no order can be claimed.
                if (!(t >= previous))
                {
                    IsSortedByTime = false;
                    group.SetEnumAttribute("sorting", SonataSpikeWriter.SortingNames, SonataSpikeWriter.SortingNone);
                    break;
                }
                previous = t;
            }
            lastTime = previous;
        }
        timestamps.Append(timestampsMs);
        nodeIds.Append(ids);
    }

    internal void Close()
    {
        timestamps?.Dispose();
        nodeIds?.Dispose();
        group.Dispose();
    }
}
