using BioSim.IO.Hdf5;

namespace BioSim.IO.Sonata;

/// <summary>Appends the spikes of one SONATA population; get it from <see cref="SonataSpikeWriter.Population"/>.</summary>
public sealed class SpikePopulationWriter
{
    private readonly Hdf5Group _group;
    private readonly AppendableDataset<double> _timestamps;
    private readonly AppendableDataset<ulong> _nodeIds;
    private double _lastTime = double.NegativeInfinity;

    internal SpikePopulationWriter(Hdf5File file, string name, AppendableDatasetOptions storage)
    {
        Name = name;
        _group = file.CreateGroup("/spikes/" + name);
        try
        {
            _group.SetEnumAttribute("sorting", SonataSpikeWriter.SortingNames, SonataSpikeWriter.SortingByTime);
            _timestamps = _group.CreateAppendable<double>("timestamps", storage);
            _timestamps.SetAttribute("units", "ms");
            _nodeIds = _group.CreateAppendable<ulong>("node_ids", storage);
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
        _group = file.OpenGroup("/spikes/" + name);
        try
        {
            _timestamps = _group.OpenAppendable<double>("timestamps");
            _nodeIds = _group.OpenAppendable<ulong>("node_ids");
            if (_timestamps.Rows < rows || _nodeIds.Rows < rows)
                throw new InvalidDataException($"{file.FileName}: /spikes/{name} holds {Math.Min(_timestamps.Rows, _nodeIds.Rows)} spikes, fewer than the {rows} its checkpoint recorded");
            _timestamps.Truncate(rows);
            _nodeIds.Truncate(rows);
            // A file already marked unsorted stays so: the attribute is only ever changed to "none".
            _lastTime = resumeTimeMs;
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
    public long Count => _timestamps.Rows;

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
            double previous = _lastTime;
            foreach (double t in timestampsMs)
            {
                // NaN fails the comparison too: then no order can be claimed.
                if (!(t >= previous))
                {
                    IsSortedByTime = false;
                    _group.SetEnumAttribute("sorting", SonataSpikeWriter.SortingNames, SonataSpikeWriter.SortingNone);
                    break;
                }
                previous = t;
            }
            _lastTime = previous;
        }
        _timestamps.Append(timestampsMs);
        _nodeIds.Append(ids);
    }

    internal void Close()
    {
        _timestamps?.Dispose();
        _nodeIds?.Dispose();
        _group.Dispose();
    }
}
