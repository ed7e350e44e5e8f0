using BioSim.IO.Hdf5;

namespace BioSim.IO.Sonata;

/// <summary>Appends frames of one report population; get it from <see cref="SonataReportWriter.AddPopulation(string, ReadOnlySpan{ulong}, SonataReportOptions)"/>.</summary>
public sealed class ReportPopulationWriter
{
    private readonly SonataReportOptions options;
    private readonly AppendableDataset<double> data;
    private readonly Hdf5Dataset time;
    private long framesInTime;

    internal ReportPopulationWriter(
        Hdf5File file, string name, ReadOnlySpan<ulong> nodeIds, ReadOnlySpan<ulong> indexPointers, ReadOnlySpan<uint> elementIds,
        SonataReportOptions options)
    {
        Name = name;
        this.options = options;
        string root = "/report/" + name;
        using (Hdf5Group mapping = file.CreateGroup(root + "/mapping"))
        {
            mapping.WriteDataset("node_ids", nodeIds);
            mapping.WriteDataset("index_pointers", indexPointers);
            mapping.WriteDataset("element_ids", elementIds);
        }
        var storage = new AppendableDatasetOptions { ChunkRows = options.ChunkFrames, DeflateLevel = options.DeflateLevel };
        long storedType = options.SinglePrecision ? H5Native.NativeFloat : H5Native.NativeDouble;
        data = file.CreateAppendable<double>(root + "/data", rank: 2, elementIds.Length, storedType, storage);
        try
        {
            data.SetAttribute("units", options.Units);
            data.SetAttribute("variable_name", options.VariableName);
            time = file.CreateDataset<double>(root + "/mapping/time", [options.StartMs, options.StartMs, options.DtMs]);
            time.SetAttribute("units", "ms");
        }
        catch
        {
            data.Dispose();
            time?.Dispose();
            throw;
        }
    }

    internal ReportPopulationWriter(Hdf5File file, string name, long frames)
    {
        Name = name;
        string root = "/report/" + name;
        data = file.OpenAppendable<double>(root + "/data");
        try
        {
            time = file.OpenDataset(root + "/mapping/time");
            double[] startStopDt = time.Read<double>();
            if (startStopDt.Length != 3) throw new InvalidDataException($"{file.FileName}: {root}/mapping/time has {startStopDt.Length} values, not [start, stop, dt]");
            if (data.Rows < frames) throw new InvalidDataException($"{file.FileName}: {root}/data holds {data.Rows} frames, fewer than the {frames} its checkpoint recorded");
            data.Truncate(frames);
            options = new SonataReportOptions { StartMs = startStopDt[0], DtMs = startStopDt[2] };
            framesInTime = -1; // rewrite mapping/time at the next flush
        }
        catch
        {
            data.Dispose();
            time?.Dispose();
            throw;
        }
    }

    /// <summary>Name of the report population (the group under <c>/report</c>).</summary>
    public string Name { get; }

    /// <summary>Values per frame (columns of <c>data</c>).</summary>
    public int Elements => data.Columns;

    /// <summary>Frames appended so far.</summary>
    public long Frames => data.Rows;

    /// <summary>End of the recorded interval (exclusive): start + frames × dt, in ms.</summary>
    public double StopMs => options.StartMs + Frames * options.DtMs;

    /// <summary>Appends one frame (one value per element).</summary>
    public void AppendFrame(ReadOnlySpan<double> values) => data.AppendRows(values, 1);

    /// <summary>Appends <paramref name="frames"/> frames, stored frame after frame in <paramref name="values"/>
    /// (frames × <see cref="Elements"/> values).</summary>
    public void AppendFrames(ReadOnlySpan<double> values, int frames) => data.AppendRows(values, frames);

    internal bool UpdateTime()
    {
        if (framesInTime == Frames) return false;
        time.Write<double>([options.StartMs, StopMs, options.DtMs]);
        framesInTime = Frames;
        return true;
    }

    internal void Close()
    {
        data.Dispose();
        time.Dispose();
    }
}
