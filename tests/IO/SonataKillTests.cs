using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BioSim.Tests.Hdf5Writer;
using NUnit.Framework;

namespace BioSim.Tests.IO;

/// <summary>
/// A run killed with SIGKILL must leave a file that h5py opens, with every flushed block intact.
/// The child (tests/Hdf5Writer) appends one block of spikes and report frames, flushes, prints
/// "flushed &lt;block&gt;", forever; we kill it after at least <see cref="MinimumBlocks"/> blocks and compare
/// the flushed prefix of every dataset, as h5py reads it, with <see cref="KillTestPattern"/> recomputed
/// here. Rows beyond the last completed flush are allowed and not read (they may be fill values or part of a
/// block). The file is written in SWMR mode, so h5py opens it as a SWMR reader (a killed writer's superblock still
/// says "open for writing"; sonata_dump.py does what the README tells users). These kills land where the timing
/// puts them; <see cref="Hdf5KillTests"/> kills at chosen writes, inside H5Fflush among them (issue 14).
/// </summary>
[TestFixture, Category("Validation")]
public sealed class SonataKillTests
{
    private const int MinimumBlocks = 50;

    private string _directory = "";

    [SetUp]
    public void SetUp()
    {
        _directory = Path.Combine(Path.GetTempPath(), "biosim-kill-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_directory, recursive: true);

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void EveryFlushedBlockSurvivesKill9(int run)
    {
        string path = Path.Combine(_directory, $"killed{run}.h5");
        long lastFlushed = RunChildAndKill(path);
        Assert.That(lastFlushed, Is.GreaterThanOrEqualTo(MinimumBlocks - 1));
        long blocks = lastFlushed + 1;

        long spikeCount = blocks * KillTestPattern.SpikesPerBlock;
        long frameCount = blocks * KillTestPattern.FramesPerBlock;
        // The script reads only the flushed prefixes (and checks the datasets are at least that long).
        using JsonDocument json = JsonDocument.Parse(ExternalTools.RunPythonScript(
            "sonata_dump.py", path, "--killed", spikeCount.ToString(CultureInfo.InvariantCulture), frameCount.ToString(CultureInfo.InvariantCulture)));
        JsonElement spikes = json.RootElement.GetProperty("spikes").GetProperty(KillTestPattern.Population);
        List<double> times = SonataWriterTests.Doubles(spikes.GetProperty("timestamps"));
        List<ulong> ids = SonataWriterTests.ULongs(spikes.GetProperty("node_ids"));
        JsonElement report = json.RootElement.GetProperty("report").GetProperty(KillTestPattern.Population);
        List<double> frames = SonataWriterTests.Doubles(report.GetProperty("data"));
        long framesOnDisk = report.GetProperty("data_layout").GetProperty("shape")[0].GetInt64();
        List<double> time = SonataWriterTests.Doubles(report.GetProperty("time"));

        Assert.That(times, Has.Count.EqualTo(spikeCount));
        Assert.That(ids, Has.Count.EqualTo(spikeCount));
        Assert.That(frames, Has.Count.EqualTo(frameCount * KillTestPattern.Elements));
        // mapping/time covers at least the flushed frames and never more than the frames on disk.
        long covered = (long)Math.Round((time[1] - time[0]) / time[2]);
        Assert.That(covered, Is.InRange(frameCount, framesOnDisk));

        var expectedTimes = new double[KillTestPattern.SpikesPerBlock];
        var expectedIds = new ulong[KillTestPattern.SpikesPerBlock];
        var expectedFrames = new double[KillTestPattern.FramesPerBlock * KillTestPattern.Elements];
        for (int block = 0; block < blocks; block++)
        {
            KillTestPattern.Spikes(block, expectedTimes, expectedIds);
            KillTestPattern.Frames(block, expectedFrames);
            int s = block * KillTestPattern.SpikesPerBlock;
            int f = block * expectedFrames.Length;
            if (!Same(times, s, expectedTimes) || !Same(ids, s, expectedIds) || !Same(frames, f, expectedFrames))
                Assert.Fail($"block {block} of {blocks} flushed blocks differs from what was written");
        }
    }

    private static bool Same<T>(List<T> actual, int start, T[] expected) where T : IEquatable<T>
    {
        for (int i = 0; i < expected.Length; i++)
            if (!actual[start + i].Equals(expected[i])) return false;
        return true;
    }

    /// <summary>Starts the writer, waits for <see cref="MinimumBlocks"/> flushes, sends SIGKILL, and returns
    /// the number of the last block the child reported flushed.</summary>
    private static long RunChildAndKill(string path)
    {
        string child = Path.Combine(TestContext.CurrentContext.TestDirectory, "BioSim.Hdf5Writer.dll");
        Assert.That(child, Does.Exist, "the kill test's writer (tests/Hdf5Writer) is built next to the tests");
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(child);
        start.ArgumentList.Add(path);
        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        long lastFlushed = -1;
        var deadline = Stopwatch.StartNew();
        try
        {
            while (lastFlushed < MinimumBlocks - 1)
            {
                Task<string?> line = process.StandardOutput.ReadLineAsync();
                if (!line.Wait(TimeSpan.FromSeconds(60)) || line.Result is null || deadline.Elapsed > TimeSpan.FromMinutes(2))
                    Assert.Fail($"the writer stopped after block {lastFlushed} before {MinimumBlocks} blocks:\n{(process.HasExited ? stderr.Result : "(still running)")}");
                lastFlushed = ParseFlushed(line.Result!);
            }
        }
        finally
        {
            process.Kill(); // SIGKILL on Linux: no handler, no atexit, no HDF5 close
            process.WaitForExit();
        }
        // Lines written before the kill are still in the pipe: they name later flushed blocks.
        string? rest;
        while ((rest = process.StandardOutput.ReadLine()) is not null) lastFlushed = ParseFlushed(rest);
        Assert.That(process.ExitCode, Is.EqualTo(137), "the child died of SIGKILL");
        return lastFlushed;
    }

    private static long ParseFlushed(string line) =>
        line.StartsWith("flushed ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(8), out long block)
            ? block
            : throw new AssertionException($"unexpected line from the writer: '{line}'");

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
        : "dotnet";
}
