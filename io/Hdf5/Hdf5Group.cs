using static BioSim.IO.Hdf5.H5Native;

namespace BioSim.IO.Hdf5;

/// <summary>An open HDF5 group.</summary>
public sealed class Hdf5Group : Hdf5Location
{
    internal Hdf5Group(Hdf5File file, long id, string path) : base(file, id, path) { }

    private protected override int CloseHandle(long handle) => H5Gclose(handle);
}
