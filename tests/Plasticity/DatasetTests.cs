using System.IO.Compression;
using BioSim.IO.Datasets;
using BioSim.Tests.IO;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity;

[TestFixture, Category("Unit")]
public sealed class DatasetTests
{
    private static byte[] Idx(int[] shape, byte[] values)
    {
        var ms = new MemoryStream();
        ms.Write([0, 0, 0x08, (byte)shape.Length]);
        foreach (int d in shape) ms.Write([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        ms.Write(values);
        return ms.ToArray();
    }

    private static byte[] Gzip(byte[] raw)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return ms.ToArray();
    }

    [Test]
    public void ReadsRawAndGzipIdx([Values] bool compressed)
    {
        var values = Enumerable.Range(0, 2 * 3 * 5).Select(i => (byte)(i * 7)).ToArray();
        var raw = Idx([2, 3, 5], values);
        var array = IdxReader.Read(new MemoryStream(compressed ? Gzip(raw) : raw));
        Assert.That(array.Shape, Is.EqualTo(new[] { 2, 3, 5 }));
        Assert.That(array.Count, Is.EqualTo(2));
        Assert.That(array.ItemSize, Is.EqualTo(15));
        Assert.That(array.Values, Is.EqualTo(values));
    }

    [Test]
    public void TruncatedAndForeignFilesAreRejected()
    {
        var raw = Idx([4, 4], new byte[10]);
        Assert.That(() => IdxReader.Read(new MemoryStream(raw)), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("truncated"));
        Assert.That(() => IdxReader.Read(new MemoryStream("PK\x03\x04zip"u8.ToArray())), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("not an IDX file"));
    }

    [Test]
    public void MissingFashionMnistSaysHowToInstallIt()
    {
        var dir = Path.Combine(Path.GetTempPath(), "biosim-no-fashion-" + Guid.NewGuid().ToString("N"));
        var ex = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(dir));
        Assert.That(ex!.Message, Does.Contain("apt-get install dataset-fashion-mnist").And.Contain(dir));
    }

    /// <summary>The Debian package's files: 60 000 + 10 000 images of 784 pixels, 10 classes of 6 000 + 1 000 each (Xiao et al. 2017).</summary>
    [Test]
    public void LoadsTheDebianPackage()
    {
        ExternalTools.RequireFashionMnist();   // fails naming dataset-fashion-mnist when the files are missing
        var (train, test) = FashionMnist.Load();
        Assert.That((train.Count, test.Count, train.InputSize, train.OutputSize), Is.EqualTo((60000, 10000, 784, 10)));
        Assert.That(Enumerable.Range(0, 10).Select(c => train.Labels!.Count(l => l == c)), Is.All.EqualTo(6000));
        Assert.That(Enumerable.Range(0, 10).Select(c => test.Labels!.Count(l => l == c)), Is.All.EqualTo(1000));
        Assert.That(train.Inputs.Max(), Is.EqualTo(1f));
        Assert.That(train.Inputs.Min(), Is.EqualTo(0f));
    }
}
