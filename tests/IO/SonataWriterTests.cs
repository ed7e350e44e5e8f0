using System.Text.Json;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;
using NUnit.Framework;

namespace BioSim.Tests.IO;

/// <summary>SONATA spike and report files: round trips through our reader, and the files as h5py and
/// h5dump see them (the reference: the SONATA developer guide's layout, checked by tests/scripts/sonata_dump.py).</summary>
[TestFixture]
public sealed class SonataWriterTests
{
    private string _directory = "";

    [SetUp]
    public void SetUp()
    {
        _directory = Path.Combine(Path.GetTempPath(), "biosim-sonata-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_directory, recursive: true);

    // Spikes of "exc" come in time order over two blocks; "inh" goes back in time in its second block.
    private static readonly double[] ExcTimes1 = [0.1, 0.35, 1.0 / 3.0 + 1];
    private static readonly ulong[] ExcIds1 = [3, 0, ulong.MaxValue];
    private static readonly double[] ExcTimes2 = [2.5, 2.5, 7.125e3];
    private static readonly ulong[] ExcIds2 = [1, 2, 3];
    private static readonly double[] InhTimes1 = [5.0, 6.0];
    private static readonly ulong[] InhIds1 = [10, 11];
    private static readonly double[] InhTimes2 = [4.0];
    private static readonly ulong[] InhIds2 = [12];

    // Report "exc": 3 nodes with 1, 2 and 0 elements... and "inh" stored as float32.
    private static readonly ulong[] ReportNodes = [5, 7, 9];
    private static readonly ulong[] ReportPointers = [0, 1, 3, 3];
    private static readonly uint[] ReportElements = [0, 0, 4];

    private static double[] Frames(int frames, int elements, int offset)
    {
        var values = new double[frames * elements];
        for (int i = 0; i < values.Length; i++) values[i] = -70.0 + Math.Sin(0.1 * (i + offset)) * 13.7;
        return values;
    }

    private string WriteSampleFile()
    {
        string path = Path.Combine(_directory, "run.h5");
        using var file = Hdf5File.Create(path);
        using var spikes = new SonataSpikeWriter(file);
        using var reports = new SonataReportWriter(file);
        spikes.Append("exc", ExcTimes1, ExcIds1);
        spikes.Append("inh", InhTimes1, InhIds1);
        spikes.Flush();
        spikes.Append("exc", ExcTimes2, ExcIds2);
        spikes.Append("inh", InhTimes2, InhIds2);
        ReportPopulationWriter exc = reports.AddPopulation("exc", ReportNodes, ReportPointers, ReportElements,
            new SonataReportOptions { StartMs = 10, DtMs = 0.5, Units = "mV", VariableName = "v", ChunkFrames = 2 });
        ReportPopulationWriter inh = reports.AddPopulation("inh", [1, 2], new SonataReportOptions
        { DtMs = 0.1, Units = "nA", VariableName = "i_syn", SinglePrecision = true, DeflateLevel = 1 });
        exc.AppendFrames(Frames(3, 3, 0), 3);
        inh.AppendFrames(Frames(2, 2, 100), 2);
        reports.Flush();
        exc.AppendFrame(Frames(1, 3, 9));
        return path;
    }

    [Test, Category("Unit")]
    public void SpikesRoundTripThroughOwnReader()
    {
        string path = WriteSampleFile();
        using var file = Hdf5File.OpenReadOnly(path);
        Assert.That(file.ListMembers("/spikes"), Is.EqualTo(new[] { "exc", "inh" }));
        Assert.That(file.ReadDataset<double>("/spikes/exc/timestamps"), Is.EqualTo(ExcTimes1.Concat(ExcTimes2)));
        Assert.That(file.ReadDataset<ulong>("/spikes/exc/node_ids"), Is.EqualTo(ExcIds1.Concat(ExcIds2)));
        Assert.That(file.ReadDataset<double>("/spikes/inh/timestamps"), Is.EqualTo(InhTimes1.Concat(InhTimes2)));
        Assert.That(file.ReadDataset<ulong>("/spikes/inh/node_ids"), Is.EqualTo(InhIds1.Concat(InhIds2)));
        using (Hdf5Group exc = file.OpenGroup("/spikes/exc")) Assert.That(exc.GetStringAttribute("sorting"), Is.EqualTo("by_time"));
        using (Hdf5Group inh = file.OpenGroup("/spikes/inh")) Assert.That(inh.GetStringAttribute("sorting"), Is.EqualTo("none"));
        using Hdf5Dataset timestamps = file.OpenDataset("/spikes/exc/timestamps");
        Assert.That(timestamps.GetStringAttribute("units"), Is.EqualTo("ms"));
    }

    [Test, Category("Unit")]
    public void ReportRoundTripsThroughOwnReader()
    {
        string path = WriteSampleFile();
        using var file = Hdf5File.OpenReadOnly(path);
        using Hdf5Dataset data = file.OpenDataset("/report/exc/data");
        Assert.That(data.Shape, Is.EqualTo(new long[] { 4, 3 }));
        Assert.That(data.Read<double>(), Is.EqualTo(Frames(3, 3, 0).Concat(Frames(1, 3, 9))));
        Assert.That(data.GetStringAttribute("units"), Is.EqualTo("mV"));
        Assert.That(data.GetStringAttribute("variable_name"), Is.EqualTo("v"));
        Assert.That(file.ReadDataset<ulong>("/report/exc/mapping/node_ids"), Is.EqualTo(ReportNodes));
        Assert.That(file.ReadDataset<ulong>("/report/exc/mapping/index_pointers"), Is.EqualTo(ReportPointers));
        Assert.That(file.ReadDataset<uint>("/report/exc/mapping/element_ids"), Is.EqualTo(ReportElements));
        // Written at Dispose: 4 frames from 10 ms every 0.5 ms.
        Assert.That(file.ReadDataset<double>("/report/exc/mapping/time"), Is.EqualTo(new[] { 10.0, 12.0, 0.5 }));
        float[] expectedInh = Array.ConvertAll(Frames(2, 2, 100), v => (float)v);
        Assert.That(file.ReadDataset<float>("/report/inh/data"), Is.EqualTo(expectedInh));
        Assert.That(file.ReadDataset<uint>("/report/inh/mapping/element_ids"), Is.EqualTo(new uint[] { 0, 0 }));
        Assert.That(file.ReadDataset<ulong>("/report/inh/mapping/index_pointers"), Is.EqualTo(new ulong[] { 0, 1, 2 }));
    }

    [Test, Category("Unit")]
    public void InconsistentMappingsAreRejected()
    {
        using var file = Hdf5File.Create(Path.Combine(_directory, "bad.h5"));
        using var reports = new SonataReportWriter(file);
        var options = new SonataReportOptions();
        Assert.Throws<ArgumentException>(() => reports.AddPopulation("a", [1, 2], [0, 1], [0, 0], options));
        Assert.Throws<ArgumentException>(() => reports.AddPopulation("b", [1, 2], [0, 2, 1], [0, 0], options));
        Assert.Throws<ArgumentException>(() => reports.AddPopulation("c", [1], [0, 3], [0, 0], options));
        Assert.Throws<ArgumentOutOfRangeException>(() => reports.AddPopulation("d", [1], options with { DtMs = 0 }));
        using var spikes = new SonataSpikeWriter(file);
        Assert.Throws<ArgumentException>(() => spikes.Append("exc", [1.0, 2.0], [1]));
        Assert.Throws<ArgumentException>(() => spikes.Population("a/b"));
    }

    /// <summary>
    /// Reference: h5py 3.x over Debian's libhdf5 1.10 reading the file, with tests/scripts/sonata_dump.py
    /// checking the SONATA developer guide's spike and report layout. Values must be equal to the last
    /// bit: the script prints floats with Python's round-trip repr, and float32 data are compared after
    /// the same double→float rounding the writer asked libhdf5 for.
    /// </summary>
    [Test, Category("Validation")]
    public void H5pyReadsTheSonataLayoutAndValuesExactly()
    {
        string path = WriteSampleFile();
        using JsonDocument json = JsonDocument.Parse(ExternalTools.RunPythonScript("sonata_dump.py", path));
        JsonElement spikes = json.RootElement.GetProperty("spikes");
        JsonElement exc = spikes.GetProperty("exc");
        Assert.Multiple(() =>
        {
            Assert.That(Doubles(exc.GetProperty("timestamps")), Is.EqualTo(ExcTimes1.Concat(ExcTimes2)));
            Assert.That(ULongs(exc.GetProperty("node_ids")), Is.EqualTo(ExcIds1.Concat(ExcIds2)));
            Assert.That(exc.GetProperty("units").GetString(), Is.EqualTo("ms"));
            Assert.That(exc.GetProperty("sorting").GetProperty("enum").GetString(), Is.EqualTo("by_time"));
            Assert.That(exc.GetProperty("sorting").GetProperty("members").GetRawText(),
                Is.EqualTo("""{"none": 0, "by_id": 1, "by_time": 2}"""));
            Assert.That(exc.GetProperty("timestamps_layout").GetProperty("maxshape")[0].GetInt32(), Is.EqualTo(-1), "unlimited length");
            JsonElement inh = spikes.GetProperty("inh");
            Assert.That(Doubles(inh.GetProperty("timestamps")), Is.EqualTo(InhTimes1.Concat(InhTimes2)));
            Assert.That(ULongs(inh.GetProperty("node_ids")), Is.EqualTo(InhIds1.Concat(InhIds2)));
            Assert.That(inh.GetProperty("sorting").GetProperty("enum").GetString(), Is.EqualTo("none"));

            JsonElement report = json.RootElement.GetProperty("report").GetProperty("exc");
            Assert.That(report.GetProperty("data_layout").GetProperty("dtype").GetString(), Is.EqualTo("<f8"));
            Assert.That(report.GetProperty("data_layout").GetProperty("shape").GetRawText(), Is.EqualTo("[4, 3]"));
            Assert.That(report.GetProperty("data_layout").GetProperty("chunks").GetRawText(), Is.EqualTo("[2, 3]"));
            Assert.That(Doubles(report.GetProperty("data")), Is.EqualTo(Frames(3, 3, 0).Concat(Frames(1, 3, 9))));
            Assert.That(report.GetProperty("units").GetString(), Is.EqualTo("mV"));
            Assert.That(report.GetProperty("variable_name").GetString(), Is.EqualTo("v"));
            Assert.That(ULongs(report.GetProperty("node_ids")), Is.EqualTo(ReportNodes));
            Assert.That(ULongs(report.GetProperty("index_pointers")), Is.EqualTo(ReportPointers));
            Assert.That(ULongs(report.GetProperty("element_ids")), Is.EqualTo(ReportElements.Select(e => (ulong)e)));
            Assert.That(Doubles(report.GetProperty("time")), Is.EqualTo(new[] { 10.0, 12.0, 0.5 }));
            Assert.That(report.GetProperty("time_units").GetString(), Is.EqualTo("ms"));

            JsonElement inhReport = json.RootElement.GetProperty("report").GetProperty("inh");
            Assert.That(inhReport.GetProperty("data_layout").GetProperty("dtype").GetString(), Is.EqualTo("<f4"));
            Assert.That(inhReport.GetProperty("data_layout").GetProperty("compression").GetString(), Is.EqualTo("gzip"));
            Assert.That(Doubles(inhReport.GetProperty("data")), Is.EqualTo(Frames(2, 2, 100).Select(v => (double)(float)v)));
            Assert.That(inhReport.GetProperty("units").GetString(), Is.EqualTo("nA"));
            Assert.That(inhReport.GetProperty("variable_name").GetString(), Is.EqualTo("i_syn"));
            Assert.That(Doubles(inhReport.GetProperty("time")), Is.EqualTo(new[] { 0.0, 0.2, 0.1 }));
        });

        var dump = ExternalTools.RunH5dump("-H", path);
        Assert.That(dump.ExitCode, Is.Zero, dump.StandardError);
        Assert.That(dump.StandardOutput, Does.Contain("DATASET \"timestamps\""));
    }

    /// <summary>Values of a JSON number array, nested arrays flattened in order.</summary>
    internal static List<double> Doubles(JsonElement array)
    {
        var values = new List<double>();
        foreach (JsonElement item in array.EnumerateArray())
            if (item.ValueKind == JsonValueKind.Array) values.AddRange(Doubles(item));
            else values.Add(item.GetDouble());
        return values;
    }

    internal static List<ulong> ULongs(JsonElement array)
    {
        var values = new List<ulong>();
        foreach (JsonElement item in array.EnumerateArray()) values.Add(item.GetUInt64());
        return values;
    }
}
