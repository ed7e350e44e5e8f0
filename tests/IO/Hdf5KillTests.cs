using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BioSim.IO.Hdf5;
using NUnit.Framework;

namespace BioSim.Tests.IO;

/// <summary>
/// Issue 14, "nothing lost": a writer killed with SIGKILL at any moment, inside <c>H5Fflush</c> included, leaves a file
/// whose every flushed block and newest complete checkpoint read back exactly. The child is the kill harness's stress
/// writer (tests/Hdf5Writer/StressWriter.cs: three spike populations in small chunks, two reports, a weight report,
/// <c>@simulated</c> after every block, a checkpoint every third block into two alternating slots). strace kills it on
/// entry to its N-th <c>pwrite64</c> (fault injection), so the file holds exactly its first N − 1 writes; the writer's
/// sequence of writes does not depend on timing, so each case is reproducible, and most writes are issued inside
/// H5Fflush (the test counts them). The expected values are recomputed by tests/scripts/hdf5_kill_check.py (h5py) from
/// the same formulas (StressPattern.cs). The write indices are drawn from a seeded generator over the first ~80 blocks
/// (52 writes a block), plus 293, 7306 and 7427: in the first version of this writer (no checkpoint before the first
/// block) and with the pre-SWMR io (commit 9cfd5f5), kills there left, in turn, a file whose header h5dump could not read
/// (inside the flush that created the second checkpoint slot), one whose flushed report rows h5py could not read and one
/// whose flushed spikes it could not read ("addr overflow": a chunk index node written past the end-of-allocation
/// address in the superblock, which the flush had not reached yet). tests/scripts/hdf5_kill_harness.py --strace 8000
/// --seed 2 found, on that commit, 6 files of 300 whose flushed rows h5py could not read, 4 whose header h5dump could not
/// read and 38 with a dataset unreadable as a whole; with the SWMR writer, none. Each killed file is then opened by
/// BioSim itself: read-only (as a SWMR reader) and for writing (repaired as <c>h5clear -s --increment=0</c> does), after
/// which plain h5py and <c>h5dump -H</c> read it.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class Hdf5KillTests
{
    private const int RandomKills = 10;

    private string _directory = "";

    [SetUp]
    public void SetUp()
    {
        _directory = Path.Combine(Path.GetTempPath(), "biosim-kill-writes-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_directory, recursive: true);

    [Test]
    public void AKillAtAnyWriteLeavesEveryFlushedBlockAndTheNewestCheckpoint()
    {
        var moments = new Random(14);
        int[] writes = [293, 7306, 7427, .. Enumerable.Range(0, RandomKills).Select(_ => moments.Next(1, 4200))];
        int insideFlush = 0;
        foreach (int write in writes)
        {
            string path = Path.Combine(_directory, $"write{write}.h5");
            var (blocks, checkpoint, lastLine) = KillAtWrite(path, write);
            if (lastLine.StartsWith("begin ", StringComparison.Ordinal)) insideFlush++;
            string context = $"killed at write {write} (after '{lastLine}'; {blocks} blocks flushed, checkpoint of block {checkpoint})";

            // As a user's h5py reads it: plainly, or as a SWMR reader (the superblock still says "open for writing"). Not a file
            // killed while it was set up, before it switched to SWMR writing (nothing flushed yet): h5py refuses that one even
            // as a SWMR reader, and h5clear -s, or BioSim's open below, makes it readable.
            if (blocks > 0 || checkpoint >= 0) AssertReads(path, blocks, checkpoint, "--auto", context);

            // BioSim reads it (inspect, plot: a SWMR reader when a plain open is refused) ...
            using (var file = Hdf5File.OpenReadOnly(path))
            {
                if (blocks > 0)
                    Assert.That(file.ReadDataset<double>("/spikes/exc/timestamps"), Has.Length.GreaterThanOrEqualTo(blocks * 700), context);
            }
            // ... and opens it for writing (resume), which repairs it: afterwards plain h5py and h5dump read it.
            using (var file = Hdf5File.OpenReadWrite(path))
                Assert.That(file.IsReadOnly, Is.False);
            AssertReads(path, blocks, checkpoint, "--plain", context + ", then opened for writing");
            var (code, _, stderr) = ExternalTools.RunH5dump("-H", path);
            Assert.That(code, Is.EqualTo(0), $"h5dump -H after {context}, then opened for writing: {stderr}");
        }
        // Deterministic (the kill points are write indices): most writes are a flush's.
        TestContext.Out.WriteLine($"{insideFlush} of {writes.Length} kills landed inside H5Fflush");
        Assert.That(insideFlush, Is.GreaterThanOrEqualTo(writes.Length / 2), "most kills land inside H5Fflush, the window of issue 14");
    }

    private static void AssertReads(string path, long blocks, long checkpoint, string mode, string context)
    {
        string[] arguments = [path, blocks.ToString(CultureInfo.InvariantCulture), checkpoint.ToString(CultureInfo.InvariantCulture)];
        using JsonDocument json = JsonDocument.Parse(ExternalTools.RunPythonScript("hdf5_kill_check.py", mode == "--plain" ? arguments : [.. arguments, mode]));
        JsonElement result = json.RootElement;
        Assert.That(result.GetProperty("ok").GetBoolean(), Is.True,
            $"{context}: h5py {mode}: stage {result.GetProperty("stage")}: {result.GetProperty("error")}");
        // SWMR keeps the whole file consistent, rows past the last flush included.
        Assert.That(result.GetProperty("full_read").GetBoolean(), Is.True, $"{context}: h5py {mode}, whole datasets: {result.GetProperty("full_read_error")}");
    }

    /// <summary>Runs the stress writer under strace until strace kills it on entry to its <paramref name="write"/>-th pwrite64;
    /// returns the blocks it reported flushed, the block of its last complete checkpoint (−1: none) and its last line.</summary>
    private static (long Blocks, long Checkpoint, string LastLine) KillAtWrite(string path, int write)
    {
        string strace = "/usr/bin/strace";
        if (!File.Exists(strace)) Assert.Fail($"{strace} is missing; install the Debian package strace (.ci/setup does)");
        string child = Path.Combine(TestContext.CurrentContext.TestDirectory, "BioSim.Hdf5Writer.dll");
        Assert.That(child, Does.Exist, "the kill test's writer (tests/Hdf5Writer) is built next to the tests");
        var (code, stdout, stderr) = ExternalTools.Run(strace,
            ["-f", "-qq", "-o", "/dev/null", "-e", "trace=pwrite64", "-e", $"inject=pwrite64:signal=KILL:when={write}", DotnetHost(), child, path, "--stress"]);
        // strace ends as its tracee did: killed by SIGKILL (137).
        Assert.That(code, Is.EqualTo(137), $"the writer died of SIGKILL at write {write}: {stderr}");
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        long flushed = -1, checkpoint = -1;
        foreach (string line in lines)
        {
            if (line.StartsWith("flushed ", StringComparison.Ordinal)) flushed = long.Parse(line.AsSpan(8), CultureInfo.InvariantCulture);
            else if (line.StartsWith("checkpoint ", StringComparison.Ordinal)) checkpoint = long.Parse(line.AsSpan(11), CultureInfo.InvariantCulture);
        }
        return (flushed + 1, checkpoint, lines.Length > 0 ? lines[^1] : "");
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
        : "dotnet";
}
