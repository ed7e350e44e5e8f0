using BioSim.Engine.Simulation;
using BioSim.IO.Hdf5;
using BioSim.IO.Runs;
using BioSim.IO.Sonata;

namespace BioSim.Tests.Hdf5Writer;

/// <summary>
/// The kill harness's child (<c>BioSim.Hdf5Writer FILE --stress</c>): writes what a real run writes (<see cref="StressPattern"/>)
/// block after block, forever, and says on stdout where it is, so that the killer knows what must have survived:
/// <c>begin N</c> before block N's flush, <c>flushed N</c> after it, <c>checkpoint N</c> after the checkpoint taken at the
/// end of block N is complete. A kill between <c>begin N</c> and <c>flushed N</c> landed inside the flush.
/// </summary>
public static class StressWriter
{
    public static int Run(string path)
    {
        using var file = Hdf5File.Create(path, swmr: true);
        file.SetAttribute("experiment", "{\"stress\": true, \"padding\": \"" + new string('x', 1500) + "\"}");
        file.SetAttribute("status", "running");
        file.SetAttribute("simulated", 0.0);
        using var spikes = new SonataSpikeWriter(file, new AppendableDatasetOptions { ChunkRows = StressPattern.SpikeChunkRows });
        using var reports = new SonataReportWriter(file);
        var populations = new SpikePopulationWriter[StressPattern.SpikePopulations.Length];
        for (int p = 0; p < populations.Length; p++) populations[p] = spikes.Population(StressPattern.SpikePopulations[p].Name);
        var reportWriters = new ReportPopulationWriter[StressPattern.Reports.Length];
        for (int r = 0; r < reportWriters.Length; r++)
        {
            var (name, elements, single) = StressPattern.Reports[r];
            var nodes = new ulong[elements];
            for (int i = 0; i < elements; i++) nodes[i] = (ulong)i;
            reportWriters[r] = reports.AddPopulation(name, nodes, new SonataReportOptions { DtMs = StressPattern.DtMs, SinglePrecision = single });
        }
        var synapses = new ulong[StressPattern.Synapses];
        for (int i = 0; i < synapses.Length; i++) synapses[i] = (ulong)i;
        using var weights = new WeightReportWriter(file, "ee", synapses, synapses, synapses, "nS");
        var checkpoints = new RunCheckpoints(file);
        var times = new double[StressPattern.SpikePopulations.Max(p => p.PerBlock)];
        var ids = new ulong[times.Length];
        var frames = new double[StressPattern.FramesPerBlock * StressPattern.Reports.Max(r => r.Elements)];
        var weightFrame = new double[StressPattern.Synapses];
        var state = new double[StressPattern.StateLength];
        var rng = new long[64];
        // As a run: a checkpoint before the first block (it creates both slots), then SWMR writing, every object existing.
        Checkpoint(-1);
        if (!file.StartSwmrWrite()) throw new InvalidOperationException("a file created with swmr: true must switch to SWMR writing");
        for (long block = 0; ; block++)
        {
            for (int p = 0; p < populations.Length; p++)
            {
                int n = StressPattern.SpikePopulations[p].PerBlock;
                for (int i = 0; i < n; i++)
                {
                    times[i] = StressPattern.SpikeTime(p, block, i);
                    ids[i] = StressPattern.NodeId(p, block, i);
                }
                populations[p].Append(times.AsSpan(0, n), ids.AsSpan(0, n));
            }
            for (int r = 0; r < reportWriters.Length; r++)
            {
                int elements = StressPattern.Reports[r].Elements;
                for (int f = 0; f < StressPattern.FramesPerBlock; f++)
                    for (int e = 0; e < elements; e++)
                        frames[f * elements + e] = StressPattern.Frame(r, block * StressPattern.FramesPerBlock + f, e);
                reportWriters[r].AppendFrames(frames.AsSpan(0, StressPattern.FramesPerBlock * elements), StressPattern.FramesPerBlock);
            }
            for (int i = 0; i < weightFrame.Length; i++) weightFrame[i] = StressPattern.Weight(block, i);
            weights.Append(weightFrame, [(block + 1) * StressPattern.BlockMs], 1);
            file.SetAttribute("simulated", (block + 1) * StressPattern.BlockMs);
            Say($"begin {block}");
            reports.Flush(); // the whole file, then mapping/time, then the file again (as a run's block end does)
            Say($"flushed {block}");

            if (block % StressPattern.CheckpointEvery == StressPattern.CheckpointEvery - 1) Checkpoint(block);
        }

        // The state at the end of block `block` (-1: before the first, as a run's first checkpoint).
        void Checkpoint(long block)
        {
            var snapshot = new StateSnapshot { Step = block };
            for (int i = 0; i < state.Length; i++) state[i] = StressPattern.State(block, i);
            var pending = new double[StressPattern.PendingLength(block)];
            for (int i = 0; i < pending.Length; i++) pending[i] = StressPattern.Pending(block, i);
            for (int i = 0; i < rng.Length; i++) rng[i] = StressPattern.Rng(block, i);
            snapshot.Put("v", state);
            snapshot.Put("pending", pending);
            snapshot.Put("rng", rng);
            var spikeRows = new Dictionary<string, long>();
            foreach (var population in populations) spikeRows[population.Name] = population.Count;
            var reportFrames = new Dictionary<string, long>();
            foreach (var report in reportWriters) reportFrames[report.Name] = report.Frames;
            checkpoints.Write(snapshot, (block + 1) * StressPattern.BlockMs,
                new RunCheckpoints.Position(spikeRows, reportFrames, [.. populations.Select(p => p.Count)])
                {
                    WeightFrames = new Dictionary<string, long> { ["ee"] = weights.Frames },
                });
            Say($"checkpoint {block}");
        }
    }

    private static void Say(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}
