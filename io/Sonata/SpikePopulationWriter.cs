using BioSim.IO.Hdf5;

namespace BioSim.IO.Sonata;

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

    /// <summary>Name of the SONATA population (the group under <c>/spikes</c>).</summary>
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
