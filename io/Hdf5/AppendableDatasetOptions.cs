namespace BioSim.IO.Hdf5;

/// <summary>Storage options of an appendable (chunked, unlimited) dataset.</summary>
public sealed record AppendableDatasetOptions
{
    internal const int TargetChunkBytes = 64 * 1024;

    internal static readonly AppendableDatasetOptions Default = new();

    /// <summary>Rows (first dimension) per chunk; 0 picks about 64 KiB per chunk. A chunk is the unit of
    /// compression and of reading.</summary>
    public int ChunkRows { get; init; }

    /// <summary>gzip level 1–9 (with the byte shuffle filter), or 0 for no compression (the default:
    /// uncompressed writes ran ~15× faster than deflate-1 on our machines).</summary>
    public int DeflateLevel { get; init; }

    internal void Validate()
    {
        if (ChunkRows < 0)
            throw new ArgumentOutOfRangeException(nameof(ChunkRows), ChunkRows, "ChunkRows must be 0 (automatic) or positive");
        if (DeflateLevel is < 0 or > 9)
            throw new ArgumentOutOfRangeException(nameof(DeflateLevel), DeflateLevel, "DeflateLevel must be 0 (off) to 9");
    }
}
