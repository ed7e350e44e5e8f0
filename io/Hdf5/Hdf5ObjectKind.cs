namespace BioSim.IO.Hdf5;

/// <summary>What a path inside a file names.</summary>
public enum Hdf5ObjectKind
{
    /// <summary>A group (<see cref="Hdf5Location.OpenGroup"/> opens it).</summary>
    Group,

    /// <summary>A dataset (<see cref="Hdf5Location.OpenDataset"/> opens it).</summary>
    Dataset,

    /// <summary>Anything else, such as a committed datatype.</summary>
    Other,
}
