using BioSim.IO.Hdf5;

namespace BioSim.IO.Sonata;

/// <summary>Appends frames of one report population; get it from <see cref="SonataReportWriter.AddPopulation(string, ReadOnlySpan{ulong}, SonataReportOptions)"/>.</summary>
public sealed class ReportPopulationWriter
{
    private readonly SonataReportOptions _options;
    private readonly AppendableDataset<double> _data;
    private readonly Hdf5Dataset _time;
    private long _framesInTime;

    internal ReportPopulationWriter(
        Hdf5File file, string name, ReadOnlySpan<ulong> nodeIds, ReadOnlySpan<ulong> indexPointers, ReadOnlySpan<uint> elementIds,
        SonataReportOptions options)
    {
        Name = name;
        _options = options;
        string root = "/report/" + name;
        using (Hdf5Group mapping = file.CreateGroup(root + "/mapping"))
        {
            mapping.WriteDataset("node_ids", nodeIds);
            mapping.WriteDataset("index_pointers", indexPointers);
            mapping.WriteDataset("element_ids", elementIds);
        }
        var storage = new AppendableDatasetOptions { ChunkRows = options.ChunkFrames, DeflateLevel = options.DeflateLevel };
        long storedType = options.SinglePrecision ? H5Native.NativeFloat : H5Native.NativeDouble;
        _data = file.CreateAppendable<double>(root + "/data", rank: 2, elementIds.Length, storedType, storage);
        try
        {
            _data.SetAttribute("units", options.Units);
            _data.SetAttribute("variable_name", options.VariableName);
            if (options.Population is { } population) _data.SetAttribute("population", population);
            _time = file.CreateDataset<double>(root + "/mapping/time", [options.StartMs, options.StartMs, options.DtMs]);
            _time.SetAttribute("units", "ms");
        }
        catch
        {
            _data.Dispose();
            _time?.Dispose();
            throw;
        }
    }

    internal ReportPopulationWriter(Hdf5File file, string name, long frames)
    {
        Name = name;
        string root = "/report/" + name;
        _data = file.OpenAppendable<double>(root + "/data");
        try
        {
            _time = file.OpenDataset(root + "/mapping/time");
            double[] startStopDt = _time.Read<double>();
            if (startStopDt.Length != 3) throw new InvalidDataException($"{file.FileName}: {root}/mapping/time has {startStopDt.Length} values, not [start, stop, dt]");
            if (_data.Rows < frames) throw new InvalidDataException($"{file.FileName}: {root}/data holds {_data.Rows} frames, fewer than the {frames} its checkpoint recorded");
            _data.Truncate(frames);
            _options = new SonataReportOptions { StartMs = startStopDt[0], DtMs = startStopDt[2] };
            _framesInTime = -1; // rewrite mapping/time at the next flush
        }
        catch
        {
            _data.Dispose();
            _time?.Dispose();
            throw;
        }
    }

    /// <summary>Name of the report population (the group under <c>/report</c>).</summary>
    public string Name { get; }

    /// <summary>Values per frame (columns of <c>data</c>).</summary>
    public int Elements => _data.Columns;

    /// <summary>Frames appended so far.</summary>
    public long Frames => _data.Rows;

    /// <summary>End of the recorded interval (exclusive): start + frames × dt, in ms.</summary>
    public double StopMs => _options.StartMs + Frames * _options.DtMs;

    /// <summary>Appends one frame (one value per element).</summary>
    public void AppendFrame(ReadOnlySpan<double> values) => _data.AppendRows(values, 1);

    /// <summary>Appends <paramref name="frames"/> frames, stored frame after frame in <paramref name="values"/>
    /// (frames × <see cref="Elements"/> values).</summary>
    public void AppendFrames(ReadOnlySpan<double> values, int frames) => _data.AppendRows(values, frames);

    internal bool UpdateTime()
    {
        if (_framesInTime == Frames) return false;
        _time.Write<double>([_options.StartMs, StopMs, _options.DtMs]);
        _framesInTime = Frames;
        return true;
    }

    internal void Close()
    {
        _data.Dispose();
        _time.Dispose();
    }
}
