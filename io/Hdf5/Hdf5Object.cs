using System.Runtime.InteropServices;
using static BioSim.IO.Hdf5.H5Native;

namespace BioSim.IO.Hdf5;

/// <summary>
/// An open HDF5 object (file, group or dataset) that can carry attributes. Disposing closes the handle;
/// disposing the <see cref="Hdf5File"/> closes every object still open in it.
/// </summary>
public abstract unsafe class Hdf5Object : IDisposable
{
    private readonly Hdf5File? _file;
    private long _id;

    private protected Hdf5Object(Hdf5File? file, long id, string path)
    {
        _file = file;
        _id = id;
        Path = path;
        file?.Track(this);
    }

    /// <summary>The file this object lives in.</summary>
    public Hdf5File File => _file ?? (Hdf5File)this;

    /// <summary>Absolute path of the object inside the file ("/" for the file itself).</summary>
    public string Path { get; }

    internal long Id => _id > 0 ? _id : throw new ObjectDisposedException(Path, $"HDF5: '{Path}' in '{File.FileName}' is closed");

    internal bool IsOpen => _id > 0;

    private protected abstract int CloseHandle(long handle);

    /// <summary>Closes the handle; a second call does nothing, and the object cannot be used afterwards. A failing close
    /// is not reported (Dispose must not throw): flush the file first to know that the data reached the disk.</summary>
    public void Dispose()
    {
        long handle = _id;
        if (handle <= 0) return;
        OnDisposing();
        _id = 0;
        _file?.Untrack(this);
        // A failing close cannot be recovered from in Dispose; drop the error stack and go on.
        if (CloseHandle(handle) < 0) TakeErrorMessage();
        GC.SuppressFinalize(this);
    }

    private protected virtual void OnDisposing() { }

    internal Hdf5Exception Fail(string operation, string path) => Hdf5Exception.For(operation, path, File.FileName);

    internal string Resolve(string name) =>
        name.StartsWith('/') ? name : Path == "/" ? "/" + name : Path + "/" + name;

    // ---- attributes -----------------------------------------------------------------------------

    /// <summary>True when the object has an attribute of this name.</summary>
    public bool HasAttribute(string name)
    {
        int exists = H5Aexists(Id, name);
        if (exists < 0) throw Fail($"check attribute '{name}' of", Path);
        return exists > 0;
    }

    /// <summary>Writes (or replaces) a UTF-8 variable-length string attribute.</summary>
    public void SetAttribute(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        long type = VariableStringType();
        nint utf8 = Marshal.StringToCoTaskMemUTF8(value);
        try
        {
            WriteAttribute(name, type, type, rank: 0, length: 1, &utf8);
        }
        finally
        {
            Marshal.FreeCoTaskMem(utf8);
            _ = H5Tclose(type); // memory only: a failed close leaks an id, loses no data
        }
    }

    /// <summary>Writes (or replaces) a scalar float64 attribute.</summary>
    public void SetAttribute(string name, double value) =>
        WriteAttribute(name, NativeDouble, NativeDouble, 0, 1, &value);

    /// <summary>Writes (or replaces) a scalar int64 attribute.</summary>
    public void SetAttribute(string name, long value) =>
        WriteAttribute(name, NativeInt64, NativeInt64, 0, 1, &value);

    /// <summary>Writes (or replaces) a 1-D float64 attribute.</summary>
    public void SetAttribute(string name, ReadOnlySpan<double> values)
    {
        fixed (double* p = values) WriteAttribute(name, NativeDouble, NativeDouble, 1, (ulong)values.Length, p);
    }

    /// <summary>Writes (or replaces) a scalar attribute of an HDF5 enum type with int8 base, whose members are
    /// <paramref name="names"/> with values 0, 1, 2, ... (SONATA's <c>sorting</c> attribute is such an enum).</summary>
    internal void SetEnumAttribute(string name, ReadOnlySpan<string> names, sbyte value)
    {
        long type = H5Tenum_create(NativeInt8);
        if (type < 0) throw Fail($"create enum type for attribute '{name}' of", Path);
        try
        {
            for (sbyte i = 0; i < names.Length; i++)
                if (H5Tenum_insert(type, names[i], &i) < 0) throw Fail($"create enum type for attribute '{name}' of", Path);
            WriteAttribute(name, type, type, 0, 1, &value);
        }
        finally
        {
            _ = H5Tclose(type); // memory only: a failed close leaks an id, loses no data
        }
    }

    /// <summary>Reads a string attribute (fixed- or variable-length); for an enum attribute, the member name.</summary>
    public string GetStringAttribute(string name)
    {
        long attr = OpenAttribute(name);
        long type = H5Aget_type(attr);
        try
        {
            if (type < 0) throw Fail($"read attribute '{name}' of", Path);
            int cls = H5Tget_class(type);
            if (cls == ClassEnum) return ReadEnumName(attr, type, name);
            if (cls != ClassString) throw new Hdf5Exception($"HDF5: attribute '{name}' of '{Path}' in '{File.FileName}' is not a string");
            if (H5Tis_variable_str(type) > 0)
            {
                long memType = VariableStringType();
                nint text = 0;
                try
                {
                    if (H5Aread(attr, memType, &text) < 0) throw Fail($"read attribute '{name}' of", Path);
                    return Marshal.PtrToStringUTF8(text) ?? "";
                }
                finally
                {
                    // A failed free or close leaks memory or an id, nothing more.
                    if (text != 0) _ = H5free_memory(text);
                    _ = H5Tclose(memType);
                }
            }
            int size = checked((int)H5Tget_size(type));
            byte[] buffer = new byte[size];
            fixed (byte* p = buffer)
                if (H5Aread(attr, type, p) < 0) throw Fail($"read attribute '{name}' of", Path);
            return System.Text.Encoding.UTF8.GetString(buffer).TrimEnd('\0', ' ');
        }
        finally
        {
            // Opened only to read: a failed close leaks an id, loses no data.
            if (type >= 0) _ = H5Tclose(type);
            _ = H5Aclose(attr);
        }
    }

    private string ReadEnumName(long attr, long type, string name)
    {
        Span<byte> value = stackalloc byte[16];
        int size = (int)H5Tget_size(type);
        if (size > value.Length) throw new Hdf5Exception($"HDF5: enum attribute '{name}' of '{Path}' is wider than 16 bytes");
        Span<byte> text = stackalloc byte[256];
        fixed (byte* v = value)
        fixed (byte* t = text)
        {
            if (H5Aread(attr, type, v) < 0 || H5Tenum_nameof(type, v, t, (nuint)text.Length) < 0)
                throw Fail($"read attribute '{name}' of", Path);
            return Marshal.PtrToStringUTF8((nint)t) ?? "";
        }
    }

    /// <summary>Reads a scalar numeric attribute, converted to float64.</summary>
    public double GetDoubleAttribute(string name) => ReadScalarAttribute<double>(name);

    /// <summary>Reads a scalar integer attribute, converted to int64.</summary>
    public long GetLongAttribute(string name) => ReadScalarAttribute<long>(name);

    /// <summary>Reads a numeric attribute of any shape as a flat float64 array.</summary>
    public double[] GetDoubleArrayAttribute(string name) => ReadAttributeArray<double>(name);

    internal T[] ReadAttributeArray<T>(string name) where T : unmanaged
    {
        long attr = OpenAttribute(name);
        try
        {
            long space = H5Aget_space(attr);
            if (space < 0) throw Fail($"read attribute '{name}' of", Path);
            long count = H5Sget_simple_extent_npoints(space);
            Hdf5Exception? failure = count < 0 ? Fail($"read attribute '{name}' of", Path) : null;
            _ = H5Sclose(space); // memory only: a failed close leaks an id, loses no data
            if (failure is not null) throw failure;
            var values = new T[count];
            if (count == 0) return values;
            fixed (T* p = values)
                if (H5Aread(attr, NativeType<T>.Id, p) < 0) throw Fail($"read attribute '{name}' of", Path);
            return values;
        }
        finally
        {
            _ = H5Aclose(attr); // opened only to read: a failed close leaks an id, loses no data
        }
    }

    private T ReadScalarAttribute<T>(string name) where T : unmanaged
    {
        T[] values = ReadAttributeArray<T>(name);
        if (values.Length != 1)
            throw new Hdf5Exception($"HDF5: attribute '{name}' of '{Path}' in '{File.FileName}' has {values.Length} values, expected 1");
        return values[0];
    }

    private long OpenAttribute(string name)
    {
        long attr = H5Aopen(Id, name, Default);
        if (attr < 0) throw Fail($"open attribute '{name}' of", Path);
        return attr;
    }

    private void WriteAttribute(string name, long fileType, long memType, int rank, ulong length, void* data)
    {
        long handle = Id;
        int exists = H5Aexists(handle, name);
        if (exists < 0) throw Fail($"replace attribute '{name}' of", Path);
        if (exists > 0 && TryOverwriteAttribute(handle, name, fileType, memType, rank, length, data)) return;
        if (exists > 0 && H5Adelete(handle, name) < 0) throw Fail($"replace attribute '{name}' of", Path);
        long space = rank == 0 ? H5Screate(ScalarSpace) : H5Screate_simple(1, &length, null);
        if (space < 0) throw Fail($"create attribute '{name}' of", Path);
        try
        {
            long attr = H5Acreate2(handle, name, fileType, space, Default, Default);
            if (attr < 0) throw Fail($"create attribute '{name}' of", Path);
            try
            {
                if (length > 0 && H5Awrite(attr, memType, data) < 0) throw Fail($"write attribute '{name}' of", Path);
            }
            finally
            {
                // H5Awrite has already put the value in the object header; the close only releases the id.
                _ = H5Aclose(attr);
            }
        }
        finally
        {
            _ = H5Sclose(space); // memory only: a failed close leaks an id, loses no data
        }
    }

    /// <summary>Writes the new value over an existing attribute of the same type and shape, in place: one object-header (or
    /// heap) entry changes, where deleting and creating it again would change several (the run's root attributes such as
    /// <c>simulated</c> are rewritten after every block). False, with nothing written, when type or shape differ.</summary>
    private bool TryOverwriteAttribute(long handle, string name, long fileType, long memType, int rank, ulong length, void* data)
    {
        long attr = H5Aopen(handle, name, Default);
        if (attr < 0) throw Fail($"replace attribute '{name}' of", Path);
        long type = H5Aget_type(attr);
        long space = H5Aget_space(attr);
        try
        {
            if (type < 0 || space < 0) throw Fail($"replace attribute '{name}' of", Path);
            int storedRank = H5Sget_simple_extent_ndims(space);
            long count = H5Sget_simple_extent_npoints(space);
            int equal = H5Tequal(type, fileType);
            if (storedRank < 0 || count < 0 || equal < 0) throw Fail($"replace attribute '{name}' of", Path);
            if (equal == 0 || storedRank != rank || (ulong)count != (rank == 0 ? 1 : length)) return false;
            if (count > 0 && H5Awrite(attr, memType, data) < 0) throw Fail($"write attribute '{name}' of", Path);
            return true;
        }
        finally
        {
            // Memory only (H5Awrite has already put the value in the file's metadata): a failed close leaks an id.
            if (space >= 0) _ = H5Sclose(space);
            if (type >= 0) _ = H5Tclose(type);
            _ = H5Aclose(attr);
        }
    }

    internal static long VariableStringType()
    {
        long type = H5Tcopy(CString);
        if (type < 0 || H5Tset_size(type, Variable) < 0 || H5Tset_cset(type, CsetUtf8) < 0)
            throw new Hdf5Exception("HDF5: cannot create the variable-length UTF-8 string type");
        return type;
    }
}
