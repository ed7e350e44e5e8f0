using System.Runtime.InteropServices;
using static BioSim.IO.Hdf5.H5Native;

namespace BioSim.IO.Hdf5;

/// <summary>What a path inside a file names.</summary>
public enum Hdf5ObjectKind
{
    Group,
    Dataset,
    Other,
}
