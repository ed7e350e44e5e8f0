using System.Diagnostics;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;

namespace BioSim.Tests.Hdf5Writer;

/// <summary>
/// Write throughput of the HDF5 layer (<c>BioSim.Hdf5Writer FILE --throughput</c>, run by hand): a float64 report of 1000
/// elements, 100 frames (800 kB) a block, plus 2000 spikes (32 kB) a block, uncompressed, flushed after every block as a
/// run does, 400 MB in all; prints MB/s (10^6 bytes of data per second of wall time, file creation and close included).
/// </summary>
public static class Throughput
{
    /// <param name="path">The file to write.</param>
    /// <param name="swmr">Write as a run does (1.10 format, SWMR writing once the datasets exist), or libhdf5's earliest format
    /// without SWMR (BioSim before issue 14).</param>
    public static int Run(string path, bool swmr)
    {
        const int elements = 1000, frames = 100, spikesPerBlock = 2000, blocks = 500;
        var values = new double[elements * frames];
        var times = new double[spikesPerBlock];
        var ids = new ulong[spikesPerBlock];
        var nodes = new ulong[elements];
        for (int i = 0; i < nodes.Length; i++) nodes[i] = (ulong)i;
        var clock = Stopwatch.StartNew();
        using (var file = Hdf5File.Create(path, swmr))
        using (var spikes = new SonataSpikeWriter(file))
        using (var reports = new SonataReportWriter(file))
        {
            var report = reports.AddPopulation("exc", nodes, new SonataReportOptions { DtMs = 0.1 });
            var population = spikes.Population("exc");
            file.SetAttribute("simulated", 0.0);
            if (swmr && !file.StartSwmrWrite()) throw new InvalidOperationException("SWMR writing did not start");
            for (int b = 0; b < blocks; b++)
            {
                for (int i = 0; i < values.Length; i++) values[i] = b + i * 1e-6;
                for (int i = 0; i < spikesPerBlock; i++)
                {
                    times[i] = b * 10.0 + i * 0.004;
                    ids[i] = (ulong)(i * 7 % elements);
                }
                report.AppendFrames(values, frames);
                population.Append(times, ids);
                file.SetAttribute("simulated", b * 10.0);
                reports.Flush();
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;
        double bytes = (double)blocks * (values.Length * 8 + spikesPerBlock * 16);
        Console.WriteLine($"{(swmr ? "SWMR" : "earliest format, no SWMR")}: {bytes / 1e6:0} MB in {seconds:0.000} s: {bytes / 1e6 / seconds:0} MB/s");
        return 0;
    }
}
