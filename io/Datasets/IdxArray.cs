namespace BioSim.IO.Datasets;

/// <summary>An IDX array of unsigned bytes: its shape (outermost first) and values in row-major order.</summary>
public sealed record IdxArray(int[] Shape, byte[] Values)
{
    /// <summary>Number of items (the first dimension).</summary>
    public int Count => Shape[0];

    /// <summary>Values per item (product of the other dimensions).</summary>
    public int ItemSize => Shape.Skip(1).Aggregate(1, (a, b) => a * b);
}
