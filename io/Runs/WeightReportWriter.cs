using BioSim.IO.Hdf5;

namespace BioSim.IO.Runs;

/// <summary>
/// The weights of one projection over a run, under <c>/weights/&lt;projection&gt;/</c>:
/// <list type="bullet">
/// <item><c>source_ids</c>, <c>target_ids</c> (uint64): the source and target neuron of every synapse, in the projection's
/// synapse order (CSR by source);</item>
/// <item><c>synapse_ids</c> (uint64): the synapses recorded, one per column of <c>data</c>;</item>
/// <item><c>data</c> [frame × recorded synapse] (float64, attribute <c>units</c>) and <c>time</c> [frame] (ms), appended block by
/// block and flushed with the rest of the file, so a killed run keeps every flushed frame;</item>
/// <item><c>final</c> (float64, every synapse): the weights at the end of a completed run (NaN while the run has not completed: it is created at the start, so that the end writes in place).</item>
/// </list>
/// </summary>
public sealed class WeightReportWriter : IDisposable
{
    private readonly Hdf5File _file;
    private readonly string _root;
    private readonly AppendableDataset<double> _data;
    private readonly AppendableDataset<double> _time;

    /// <summary>Creates the report of projection <paramref name="projection"/>.</summary>
    /// <param name="file">The run's output file, open for writing.</param>
    /// <param name="projection">The projection's name (no '/').</param>
    /// <param name="sources">Source neuron of every synapse.</param>
    /// <param name="targets">Target neuron of every synapse.</param>
    /// <param name="recorded">The synapses whose weights each frame holds.</param>
    /// <param name="units">The weight's unit (the receptor's), or "" when it has none.</param>
    public WeightReportWriter(Hdf5File file, string projection, ReadOnlySpan<ulong> sources, ReadOnlySpan<ulong> targets,
        ReadOnlySpan<ulong> recorded, string units)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (projection.Contains('/')) throw new ArgumentException($"projection name '{projection}' must not contain '/'", nameof(projection));
        if (recorded.IsEmpty) throw new ArgumentException($"weight report of '{projection}': no synapses to record", nameof(recorded));
        _file = file;
        _root = "/weights/" + projection;
        Name = projection;
        using (var group = file.CreateGroup(_root))
        {
            group.WriteDataset("source_ids", sources);
            group.WriteDataset("target_ids", targets);
            group.WriteDataset("synapse_ids", recorded);
        }
        _data = file.CreateAppendable<double>(_root + "/data", recorded.Length);
        _data.SetAttribute("units", units);
        _time = file.CreateAppendable<double>(_root + "/time");
        _time.SetAttribute("units", "ms");
    }

    /// <summary>Reopens the report of a run being resumed, keeping its first <paramref name="frames"/> frames.</summary>
    public WeightReportWriter(Hdf5File file, string projection, long frames)
    {
        ArgumentNullException.ThrowIfNull(file);
        _file = file;
        _root = "/weights/" + projection;
        Name = projection;
        _data = file.OpenAppendable<double>(_root + "/data");
        _time = file.OpenAppendable<double>(_root + "/time");
        if (_data.Rows < frames || _time.Rows < frames)
        {
            throw new InvalidDataException($"{file.FileName}: {_root} holds {Math.Min(_data.Rows, _time.Rows)} frames, fewer than the {frames} its checkpoint recorded");
        }
        _data.Truncate(frames);
        _time.Truncate(frames);
    }

    /// <summary>The projection's name.</summary>
    public string Name { get; }

    /// <summary>Frames written so far.</summary>
    public long Frames => _data.Rows;

    /// <summary>Appends <paramref name="frames"/> frames (row after row) taken at <paramref name="times"/>.</summary>
    public void Append(ReadOnlySpan<double> values, ReadOnlySpan<double> times, int frames)
    {
        _data.AppendRows(values, frames);
        _time.Append(times[..frames]);
    }

    /// <summary>Writes the weights of every synapse at the end of the run.</summary>
    public void WriteFinal(ReadOnlySpan<double> weights) => _file.OverwriteDataset(_root + "/final", weights);

    /// <summary>Closes the datasets (the file stays open).</summary>
    public void Dispose()
    {
        _data.Dispose();
        _time.Dispose();
    }
}
