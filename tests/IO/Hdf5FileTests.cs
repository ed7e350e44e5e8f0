using BioSim.IO.Hdf5;
using NUnit.Framework;

namespace BioSim.Tests.IO;

/// <summary>Round trips through our own HDF5 writer and reader (the system libhdf5 on both sides).</summary>
[TestFixture, Category("Unit")]
public sealed class Hdf5FileTests
{
    private string _directory = "";

    [SetUp]
    public void SetUp()
    {
        _directory = Path.Combine(Path.GetTempPath(), "biosim-hdf5-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_directory, recursive: true);

    private string FilePath(string name) => Path.Combine(_directory, name);

    [Test]
    public void GroupsAttributesAndFixedDatasetsRoundTrip()
    {
        string path = FilePath("fixed.h5");
        using (var file = Hdf5File.Create(path))
        {
            file.SetAttribute("software", "BioSim 0.1.0 ✓");
            file.SetAttribute("seed", 42L);
            using Hdf5Group exc = file.CreateGroup("/spikes/exc");
            exc.SetAttribute("dt", 0.025);
            exc.SetAttribute("weights", [1.5, -2.25, double.Epsilon]);
            exc.WriteDataset<double>("values", [0.1, 0.2, double.NaN, double.NegativeInfinity]);
            file.WriteDataset<long>("/a/b/longs", [long.MinValue, -1, 0, long.MaxValue]);
            file.WriteDataset<ulong>("ulongs", [0, ulong.MaxValue]);
            file.WriteDataset("experiment", "{\"name\": \"test\"}");
            file.WriteDataset<double>("empty", []);
        }

        using var read = Hdf5File.OpenReadOnly(path);
        Assert.Multiple(() =>
        {
            Assert.That(read.ListMembers(), Is.EqualTo(new[] { "a", "empty", "experiment", "spikes", "ulongs" }));
            Assert.That(read.ListMembers("/spikes"), Is.EqualTo(new[] { "exc" }));
            Assert.That(read.GetKind("/spikes/exc"), Is.EqualTo(Hdf5ObjectKind.Group));
            Assert.That(read.GetKind("/spikes/exc/values"), Is.EqualTo(Hdf5ObjectKind.Dataset));
            Assert.That(read.Exists("/spikes/exc/values"), Is.True);
            Assert.That(read.Exists("/spikes/inh/values"), Is.False);
            Assert.That(read.Exists("/nothing/here"), Is.False);
            Assert.That(read.GetStringAttribute("software"), Is.EqualTo("BioSim 0.1.0 ✓"));
            Assert.That(read.GetLongAttribute("seed"), Is.EqualTo(42L));
            Assert.That(read.ReadDataset<double>("/spikes/exc/values"), Is.EqualTo(new[] { 0.1, 0.2, double.NaN, double.NegativeInfinity }));
            Assert.That(read.ReadDataset<long>("/a/b/longs"), Is.EqualTo(new[] { long.MinValue, -1, 0, long.MaxValue }));
            Assert.That(read.ReadDataset<ulong>("ulongs"), Is.EqualTo(new ulong[] { 0, ulong.MaxValue }));
            Assert.That(read.ReadString("experiment"), Is.EqualTo("{\"name\": \"test\"}"));
            Assert.That(read.ReadDataset<double>("empty"), Is.Empty);
        });
        using Hdf5Group group = read.OpenGroup("spikes/exc");
        Assert.That(group.Path, Is.EqualTo("/spikes/exc"));
        Assert.That(group.GetDoubleAttribute("dt"), Is.EqualTo(0.025));
        Assert.That(group.GetDoubleArrayAttribute("weights"), Is.EqualTo(new[] { 1.5, -2.25, double.Epsilon }));
        Assert.That(group.HasAttribute("dt"), Is.True);
        Assert.That(group.HasAttribute("nope"), Is.False);
    }

    [Test]
    public void AttributesCanBeReplaced()
    {
        string path = FilePath("replace.h5");
        using (var file = Hdf5File.Create(path))
        {
            file.SetAttribute("units", "mV");
            file.SetAttribute("units", "nA");
            file.SetAttribute("x", 1.0);
            file.SetAttribute("x", "now a string");
        }
        using var read = Hdf5File.OpenReadOnly(path);
        Assert.That(read.GetStringAttribute("units"), Is.EqualTo("nA"));
        Assert.That(read.GetStringAttribute("x"), Is.EqualTo("now a string"));
    }

    [TestCase(0)]
    [TestCase(4)]
    public void AppendableDatasetsGrowBlockByBlock(int deflateLevel)
    {
        string path = FilePath($"append{deflateLevel}.h5");
        var options = new AppendableDatasetOptions { ChunkRows = 3, DeflateLevel = deflateLevel };
        var expected1 = new List<double>();
        var expected2 = new List<float>();
        using (var file = Hdf5File.Create(path))
        {
            using AppendableDataset<double> stream = file.CreateAppendable<double>("/s/stream", options);
            using AppendableDataset<float> matrix = file.CreateAppendable<float>("/s/matrix", columns: 4, options);
            for (int block = 0; block < 7; block++)
            {
                var values = new double[block];
                for (int i = 0; i < block; i++) values[i] = block + i / 10.0;
                stream.Append(values);
                expected1.AddRange(values);
                int rows = block % 3;
                var frame = new float[rows * 4];
                for (int i = 0; i < frame.Length; i++) frame[i] = block * 100 + i;
                matrix.AppendRows(frame, rows);
                expected2.AddRange(frame);
                stream.Flush();
            }
            Assert.That(stream.Rows, Is.EqualTo(expected1.Count));
            Assert.That(matrix.Rows, Is.EqualTo(expected2.Count / 4));
        }

        using var read = Hdf5File.OpenReadOnly(path);
        Assert.That(read.ReadDataset<double>("/s/stream"), Is.EqualTo(expected1));
        using Hdf5Dataset matrixRead = read.OpenDataset("/s/matrix");
        Assert.That(matrixRead.Shape, Is.EqualTo(new long[] { expected2.Count / 4, 4 }));
        Assert.That(matrixRead.Read<float>(), Is.EqualTo(expected2));
    }

    [TestCase(typeof(long))]
    [TestCase(typeof(ulong))]
    [TestCase(typeof(int))]
    [TestCase(typeof(uint))]
    public void AppendableIntegerDatasetsRoundTrip(Type type)
    {
        string path = FilePath("ints.h5");
        using (var file = Hdf5File.Create(path))
        {
            if (type == typeof(long)) Append<long>(file, [-5, 7, long.MaxValue]);
            else if (type == typeof(ulong)) Append<ulong>(file, [0, 7, ulong.MaxValue]);
            else if (type == typeof(int)) Append<int>(file, [-5, 7, int.MaxValue]);
            else Append<uint>(file, [0, 7, uint.MaxValue]);
        }
        using var read = Hdf5File.OpenReadOnly(path);
        object values = type == typeof(long) ? read.ReadDataset<long>("x")
            : type == typeof(ulong) ? read.ReadDataset<ulong>("x")
            : type == typeof(int) ? read.ReadDataset<int>("x") : read.ReadDataset<uint>("x");
        object expected = type == typeof(long) ? new long[] { -5, 7, long.MaxValue, -5, 7, long.MaxValue }
            : type == typeof(ulong) ? new ulong[] { 0, 7, ulong.MaxValue, 0, 7, ulong.MaxValue }
            : type == typeof(int) ? new[] { -5, 7, int.MaxValue, -5, 7, int.MaxValue }
            : new uint[] { 0, 7, uint.MaxValue, 0, 7, uint.MaxValue };
        Assert.That(values, Is.EqualTo(expected));

        static void Append<T>(Hdf5File file, T[] values) where T : unmanaged
        {
            using AppendableDataset<T> dataset = file.CreateAppendable<T>("x");
            dataset.Append(values);
            dataset.Append(values);
        }
    }

    [Test]
    public void AppendableDatasetCanBeReopenedToResume()
    {
        string path = FilePath("resume.h5");
        using (var file = Hdf5File.Create(path))
        {
            using AppendableDataset<double> data = file.CreateAppendable<double>("data", columns: 2);
            data.AppendRows([1, 2, 3, 4], 2);
        }
        using (var file = Hdf5File.OpenReadWrite(path))
        {
            using AppendableDataset<double> data = file.OpenAppendable<double>("data");
            Assert.That((data.Rank, data.Columns, data.Rows), Is.EqualTo((2, 2, 2L)));
            data.AppendRows([5, 6], 1);
        }
        using var read = Hdf5File.OpenReadOnly(path);
        Assert.That(read.ReadDataset<double>("data"), Is.EqualTo(new double[] { 1, 2, 3, 4, 5, 6 }));
    }

    [Test]
    public void ErrorsNameTheOperationThePathAndTheFile()
    {
        string path = FilePath("errors.h5");
        using var file = Hdf5File.Create(path);
        using (file.CreateGroup("/spikes/exc")) { }
        var duplicate = Assert.Throws<Hdf5Exception>(() => file.CreateGroup("/spikes/exc"))!;
        Assert.That(duplicate.Message, Does.StartWith($"HDF5: cannot create group '/spikes/exc' in '{path}'"));
        using (file.CreateAppendable<double>("/spikes/exc/timestamps")) { }
        var again = Assert.Throws<Hdf5Exception>(() => file.CreateAppendable<double>("/spikes/exc/timestamps"))!;
        Assert.That(again.Message, Does.StartWith($"HDF5: cannot create dataset '/spikes/exc/timestamps' in '{path}'"));
        var missing = Assert.Throws<Hdf5Exception>(() => file.OpenDataset("/spikes/inh/timestamps"))!;
        Assert.That(missing.Message, Does.StartWith($"HDF5: cannot open dataset '/spikes/inh/timestamps' in '{path}'"));
        var attribute = Assert.Throws<Hdf5Exception>(() => file.GetStringAttribute("nope"))!;
        Assert.That(attribute.Message, Does.StartWith($"HDF5: cannot open attribute 'nope' of '/' in '{path}'"));
        Assert.Throws<FileNotFoundException>(() => Hdf5File.OpenReadOnly(FilePath("missing.h5")));
        var notHdf5 = FilePath("text.h5");
        File.WriteAllText(notHdf5, "not hdf5");
        var bad = Assert.Throws<Hdf5Exception>(() => Hdf5File.OpenReadOnly(notHdf5))!;
        Assert.That(bad.Message, Is.EqualTo($"HDF5: cannot open '{notHdf5}': not an HDF5 file (no HDF5 file signature); give a file that BioSim, h5py or another HDF5 program wrote"));
    }

    /// <summary>
    /// A file operation's error names the cause, as h5py does (its messages for the same files, checked by hand: "file
    /// signature not found", "truncated file: eof = 3000, …, stored_eof = …", "errno = 21 … Is a directory", "errno = 2 … No
    /// such file or directory"), not "cannot create file '/'" for all of them.
    /// </summary>
    [Test]
    public void FileErrorsNameTheCause()
    {
        string good = FilePath("good.h5");
        using (var file = Hdf5File.Create(good))
        using (var data = file.CreateAppendable<double>("data")) data.AppendRows(new double[4096], 4096);
        string truncated = FilePath("truncated.h5");
        File.WriteAllBytes(truncated, File.ReadAllBytes(good)[..3000]);
        var cut = Assert.Throws<Hdf5Exception>(() => Hdf5File.OpenReadOnly(truncated))!;
        Assert.That(cut.Message, Does.StartWith($"HDF5: cannot open '{truncated}': the file is truncated: it ends at byte 3000 but its header records "));
        Assert.That(cut.Message, Does.Contain($"records {new FileInfo(good).Length} bytes"));

        string folder = Path.GetDirectoryName(good)!;
        var directory = Assert.Throws<Hdf5Exception>(() => Hdf5File.Create(folder))!;
        Assert.That(directory.Message, Is.EqualTo($"HDF5: cannot create '{folder}': it is a directory; give the path of a file"));

        string nowhere = Path.Combine(folder, "no-such-folder", "x.h5");
        var missingFolder = Assert.Throws<Hdf5Exception>(() => Hdf5File.Create(nowhere))!;
        Assert.That(missingFolder.Message, Is.EqualTo($"HDF5: cannot create '{nowhere}': its folder does not exist; create it or choose another path"));

        // /proc refuses new files whoever runs the test (root included), as a permission problem would.
        var refused = Assert.Throws<Hdf5Exception>(() => Hdf5File.Create("/proc/biosim-test.h5"))!;
        Assert.That(refused.Message, Does.StartWith("HDF5: cannot create '/proc/biosim-test.h5': "));
        Assert.That(refused.Message, Does.Not.Contain("'/' in"));
    }

    [Test]
    public void WrongRowCountIsRejectedBeforeWriting()
    {
        using var file = Hdf5File.Create(FilePath("rows.h5"));
        using AppendableDataset<double> data = file.CreateAppendable<double>("data", columns: 3);
        Assert.Throws<ArgumentException>(() => data.AppendRows([1, 2, 3, 4], 1));
        Assert.Throws<InvalidOperationException>(() => data.Append([1, 2, 3]));
        Assert.That(data.Rows, Is.Zero);
    }

    [Test]
    public void DisposingTheFileClosesOpenObjects()
    {
        string path = FilePath("close.h5");
        var file = Hdf5File.Create(path);
        Hdf5Group group = file.CreateGroup("g");
        AppendableDataset<double> data = group.CreateAppendable<double>("d");
        data.Append([1, 2, 3]);
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => data.Append([4]));
        group.Dispose();
        // The file is really closed: it can be opened again read-write.
        using var again = Hdf5File.OpenReadWrite(path);
        Assert.That(again.ReadDataset<double>("/g/d"), Is.EqualTo(new double[] { 1, 2, 3 }));
    }

    /// <summary>
    /// What a killed writer leaves, made without a kill: a copy of a file taken after a flush while its writer still has it
    /// open holds exactly the flushed state, with the superblock's "open for writing" flags set (the 1.10 format writes
    /// them; h5py and h5dump refuse such a file). BioSim opens it read-only (as a SWMR reader once the writer had switched to
    /// SWMR, ignoring the flags before) and for writing (repaired as h5clear -s --increment=0 does, after which it appends
    /// and h5py opens it plainly), both for a copy taken before <see cref="Hdf5File.StartSwmrWrite"/> and one taken after.
    /// A truncated or foreign file still fails with its own cause (FileErrorsNameTheCause).
    /// </summary>
    [TestCase(false)]
    [TestCase(true)]
    public void AFileLeftOpenForWritingOpensForReadingAndIsRepairedForWriting(bool swmrStarted)
    {
        string path = FilePath("writing.h5");
        string left = FilePath("left.h5");
        using (var file = Hdf5File.Create(path, swmr: true))
        using (var data = file.CreateAppendable<double>("/report/data", columns: 3))
        {
            file.SetAttribute("simulated", 0.0);
            if (swmrStarted) Assert.That(file.StartSwmrWrite(), Is.True, "a file created with swmr: true switches to SWMR writing");
            data.AppendRows([1, 2, 3, 4, 5, 6], 2);
            file.SetAttribute("simulated", 2.0);
            file.Flush();
            // cp, not File.Copy: .NET takes a shared flock on the source, which libhdf5's own lock on a file it writes refuses.
            Assert.That(ExternalTools.Run("/bin/cp", [path, left]).ExitCode, Is.EqualTo(0));
        }
        // h5py refuses it plainly, as it refuses a killed writer's file (libhdf5's message names h5clear).
        var refused = ExternalTools.Run(ExternalTools.Python, ["-c", $"import h5py; h5py.File('{left}', 'r')"]);
        Assert.That(refused.StandardError, Does.Contain("h5clear"));

        using (var read = Hdf5File.OpenReadOnly(left))
        {
            Assert.That(read.ReadDataset<double>("/report/data"), Is.EqualTo(new double[] { 1, 2, 3, 4, 5, 6 }));
            Assert.That(read.GetDoubleAttribute("simulated"), Is.EqualTo(2.0));
        }
        using (var write = Hdf5File.OpenReadWrite(left))
        {
            using var data = write.OpenAppendable<double>("/report/data");
            Assert.That(write.StartSwmrWrite(), Is.True, "the repaired file is still in the 1.10 format");
            data.AppendRows([7, 8, 9], 1);
            write.SetAttribute("simulated", 3.0);
        }
        // Closed normally: h5py opens it plainly, with the appended row.
        var plain = ExternalTools.Run(ExternalTools.Python,
            ["-c", $"import h5py; f = h5py.File('{left}', 'r'); print(f['report/data'][()].ravel().tolist(), float(f.attrs['simulated']))"]);
        Assert.That(plain.ExitCode, Is.EqualTo(0), plain.StandardError);
        Assert.That(plain.StandardOutput.Trim(), Is.EqualTo("[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0] 3.0"));
    }
}
