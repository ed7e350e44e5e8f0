namespace BioSim.Tests.Hdf5Writer;

/// <summary>
/// What the stress writer (<c>BioSim.Hdf5Writer FILE --stress</c>) writes, block by block, as a function of the block
/// number: the datasets a real <c>biosim run</c> writes (SONATA spikes of three populations, two state reports, a weight
/// report, the root attribute <c>simulated</c>, checkpoints in <c>/checkpoint/slot0|1</c> whose arrays change length).
/// Every value is a sum or a quotient of small integers, so the checker (tests/scripts/hdf5_kill_check.py, Python)
/// recomputes each one bit for bit without transcendental functions. Keep the two in step.
/// </summary>
public static class StressPattern
{
    /// <summary>Spike populations and spikes per block (exc gets several 256-row chunks per block: chunk-index growth).</summary>
    public static readonly (string Name, int PerBlock)[] SpikePopulations = [("exc", 700), ("inh", 90), ("ext", 260)];

    /// <summary>Rows per chunk of the spike datasets (small, so the chunk index grows and splits often).</summary>
    public const int SpikeChunkRows = 256;

    /// <summary>Report populations, columns (elements) and whether stored as float32.</summary>
    public static readonly (string Name, int Elements, bool Single)[] Reports = [("exc", 1200, false), ("inh", 300, true)];

    /// <summary>Report frames per block.</summary>
    public const int FramesPerBlock = 12;

    /// <summary>Recorded synapses of the weight report (one frame per block).</summary>
    public const int Synapses = 400;

    /// <summary>Model time per block (ms) and report dt (ms).</summary>
    public const double BlockMs = 10.0, DtMs = 0.5;

    /// <summary>A checkpoint after every block whose number modulo this is the last.</summary>
    public const int CheckpointEvery = 3;

    /// <summary>Length of the checkpoint's fixed state array.</summary>
    public const int StateLength = 5000;

    public static double SpikeTime(int population, long block, int i) => block * BlockMs + (i + population) / 1024.0 + (block % 13) / 3.0;

    public static ulong NodeId(int population, long block, int i) => (ulong)((block * 7919 + i * 104729 + population * 31) % 100_003);

    public static double Frame(int report, long frame, int element) => (frame * 131 + element * 17 + report) / 7.0 - 65.0;

    public static double Weight(long block, int synapse) => (block * 3 + synapse) / 9.0;

    /// <summary>Checkpoint arrays after block <paramref name="block"/> (−1: before the first block): "v" (fixed length) and "pending" (its length
    /// changes from checkpoint to checkpoint, as the delayed spikes in flight do), and the integers "rng".</summary>
    public static double State(long block, int i) => (block * 1_000_003 + i) / 11.0;

    public static int PendingLength(long block) => (int)((block + 7) % 7) * 150 + 20;

    public static double Pending(long block, int i) => (block + i) / 3.0;

    public static long Rng(long block, int i) => block * 1_000_000 + i;
}
