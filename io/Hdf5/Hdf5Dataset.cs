using System.Runtime.InteropServices;
using static BioSim.IO.Hdf5.H5Native;

namespace BioSim.IO.Hdf5;

/// <summary>An open HDF5 dataset of fixed size: read it, overwrite it in place, or attach attributes.</summary>
public sealed unsafe class Hdf5Dataset : Hdf5Object
{
    internal Hdf5Dataset(Hdf5File file, long id, string path) : base(file, id, path) { }

    /// <summary>Current dimensions (empty for a scalar).</summary>
    public long[] Shape => ReadShape(Id, this);

    /// <summary>Number of elements (product of <see cref="Shape"/>).</summary>
    public long ElementCount
    {
        get
        {
            long space = H5Dget_space(Id);
            if (space < 0) throw Fail("get the size of dataset", Path);
            long count = H5Sget_simple_extent_npoints(space);
            Hdf5Exception? failure = count < 0 ? Fail("get the size of dataset", Path) : null;
            _ = H5Sclose(space); // memory only: a failed close leaks an id, loses no data
            return failure is null ? count : throw failure;
        }
    }

    /// <summary>Reads all elements in row-major order, converted to <typeparamref name="T"/>.</summary>
    public T[] Read<T>() where T : unmanaged
    {
        var values = new T[ElementCount];
        if (values.Length == 0) return values;
        fixed (T* p = values)
            if (H5Dread(Id, NativeType<T>.Id, All, All, Default, p) < 0) throw Fail("read dataset", Path);
        return values;
    }

    /// <summary>Overwrites all elements; <paramref name="values"/> must have <see cref="ElementCount"/> elements.</summary>
    public void Write<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        long count = ElementCount;
        if (values.Length != count)
            throw new ArgumentException($"HDF5: dataset '{Path}' in '{File.FileName}' holds {count} elements; {values.Length} given", nameof(values));
        if (count == 0) return;
        fixed (T* p = values)
            if (H5Dwrite(Id, NativeType<T>.Id, All, All, Default, p) < 0) throw Fail("write dataset", Path);
    }

    /// <summary>Reads a scalar string dataset (fixed- or variable-length).</summary>
    public string ReadString()
    {
        long type = H5Dget_type(Id);
        if (type < 0) throw Fail("read dataset", Path);
        try
        {
            if (H5Tget_class(type) != ClassString)
                throw new Hdf5Exception($"HDF5: dataset '{Path}' in '{File.FileName}' is not a string");
            if (H5Tis_variable_str(type) > 0)
            {
                long memType = VariableStringType();
                nint text = 0;
                try
                {
                    if (H5Dread(Id, memType, All, All, Default, &text) < 0) throw Fail("read dataset", Path);
                    return Marshal.PtrToStringUTF8(text) ?? "";
                }
                finally
                {
                    // A failed free or close leaks memory or an id, nothing more.
                    if (text != 0) _ = H5free_memory(text);
                    _ = H5Tclose(memType);
                }
            }
            byte[] buffer = new byte[(int)H5Tget_size(type)];
            fixed (byte* p = buffer)
                if (H5Dread(Id, type, All, All, Default, p) < 0) throw Fail("read dataset", Path);
            return System.Text.Encoding.UTF8.GetString(buffer).TrimEnd('\0', ' ');
        }
        finally
        {
            _ = H5Tclose(type); // memory only: a failed close leaks an id, loses no data
        }
    }

    internal static long[] ReadShape(long dataset, Hdf5Object owner)
    {
        long space = H5Dget_space(dataset);
        if (space < 0) throw owner.Fail("get the shape of dataset", owner.Path);
        try
        {
            int rank = H5Sget_simple_extent_ndims(space);
            if (rank < 0) throw owner.Fail("get the shape of dataset", owner.Path);
            ulong* dims = stackalloc ulong[Math.Max(rank, 1)];
            if (H5Sget_simple_extent_dims(space, dims, null) < 0) throw owner.Fail("get the shape of dataset", owner.Path);
            var shape = new long[rank];
            for (int i = 0; i < rank; i++) shape[i] = (long)dims[i];
            return shape;
        }
        finally
        {
            _ = H5Sclose(space); // memory only: a failed close leaks an id, loses no data
        }
    }

    private protected override int CloseHandle(long handle) => H5Dclose(handle);
}
