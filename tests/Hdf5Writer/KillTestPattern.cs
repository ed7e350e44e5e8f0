namespace BioSim.Tests.Hdf5Writer;

/// <summary>
/// The data the kill -9 child writes, as a function of the block number, so that the test can recompute
/// exactly what every flushed block must hold. Values are chosen to be non-trivial doubles (not short
/// decimals) so an exact comparison means something.
/// </summary>
public static class KillTestPattern
{
    public const string Population = "exc";
    public const int SpikesPerBlock = 37;
    public const int FramesPerBlock = 5;
    public const int Elements = 11;
    public const double DtMs = 0.025;

    /// <summary>Spike times (ms, increasing across blocks) and node ids of block <paramref name="block"/>.</summary>
    public static void Spikes(long block, Span<double> timesMs, Span<ulong> nodeIds)
    {
        for (int i = 0; i < SpikesPerBlock; i++)
        {
            timesMs[i] = block + i / (double)SpikesPerBlock + 1e-7 * Math.Sin(block + i);
            nodeIds[i] = (ulong)((block * 7919 + i * 104729) % 1000);
        }
    }

    /// <summary>Frames × elements membrane potentials (mV) of block <paramref name="block"/>.</summary>
    public static void Frames(long block, Span<double> values)
    {
        for (int f = 0; f < FramesPerBlock; f++)
            for (int e = 0; e < Elements; e++)
                values[f * Elements + e] = -65.0 + 10.0 * Math.Sin(0.01 * (block * FramesPerBlock + f) + 0.3 * e);
    }
}
