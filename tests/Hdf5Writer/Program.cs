using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;
using BioSim.Tests.Hdf5Writer;

// Usage: BioSim.Hdf5Writer FILE            (tests/IO/SonataKillTests.cs)
//        BioSim.Hdf5Writer FILE --stress   (the kill harness: StressWriter)
//        BioSim.Hdf5Writer FILE --throughput[-plain] (write speed, by hand: Throughput; -plain: without SWMR)
// Appends one block of spikes and one block of report frames, flushes, prints "flushed <block>", forever.
// The kill -9 test reads these lines, kills this process, and checks the flushed blocks in FILE.
if (args.Length == 2 && args[1] == "--stress") return StressWriter.Run(args[0]);
if (args.Length == 2 && args[1] is "--throughput" or "--throughput-plain") return Throughput.Run(args[0], swmr: args[1] == "--throughput");
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: BioSim.Hdf5Writer FILE [--stress]");
    return 2;
}

using var file = Hdf5File.Create(args[0], swmr: true);
using var spikes = new SonataSpikeWriter(file, new AppendableDatasetOptions { ChunkRows = 64 });
using var reports = new SonataReportWriter(file);
var nodeIds = new ulong[KillTestPattern.Elements];
for (int i = 0; i < nodeIds.Length; i++) nodeIds[i] = (ulong)i;
ReportPopulationWriter report = reports.AddPopulation(
    KillTestPattern.Population, nodeIds, new SonataReportOptions { DtMs = KillTestPattern.DtMs, ChunkFrames = 8 });
SpikePopulationWriter population = spikes.Population(KillTestPattern.Population);
// As a run does: SWMR writing once every dataset exists.
if (!file.StartSwmrWrite()) throw new InvalidOperationException("a file created with swmr: true must switch to SWMR writing");

var times = new double[KillTestPattern.SpikesPerBlock];
var ids = new ulong[KillTestPattern.SpikesPerBlock];
var frames = new double[KillTestPattern.FramesPerBlock * KillTestPattern.Elements];
for (long block = 0; ; block++)
{
    KillTestPattern.Spikes(block, times, ids);
    population.Append(times, ids);
    KillTestPattern.Frames(block, frames);
    report.AppendFrames(frames, KillTestPattern.FramesPerBlock);
    reports.Flush(); // updates mapping/time, then flushes the whole file (spikes included)
    Console.Out.WriteLine($"flushed {block}");
    Console.Out.Flush();
}
