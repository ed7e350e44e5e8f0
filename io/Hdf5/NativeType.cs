namespace BioSim.IO.Hdf5;

/// <summary>The HDF5 native type id for an element type; only the types BioSim stores are supported.</summary>
internal static class NativeType<T> where T : unmanaged
{
    public static long Id
    {
        get
        {
            H5Native.EnsureLoaded();
            if (typeof(T) == typeof(double)) return H5Native.NativeDouble;
            if (typeof(T) == typeof(float)) return H5Native.NativeFloat;
            if (typeof(T) == typeof(long)) return H5Native.NativeInt64;
            if (typeof(T) == typeof(ulong)) return H5Native.NativeUInt64;
            if (typeof(T) == typeof(int)) return H5Native.NativeInt32;
            if (typeof(T) == typeof(uint)) return H5Native.NativeUInt32;
            if (typeof(T) == typeof(byte)) return H5Native.NativeUInt8;
            throw new NotSupportedException(
                $"HDF5: element type {typeof(T).Name} is not supported (use double, float, long, ulong, int, uint or byte)");
        }
    }
}
