using System.Runtime.InteropServices;
using static BioSim.IO.Hdf5.H5Native;

namespace BioSim.IO.Hdf5;

/// <summary>
/// A place that holds members: the file (its root group) or a group. Paths may be relative to this
/// location or absolute ("/spikes/exc").
/// </summary>
public abstract unsafe class Hdf5Location : Hdf5Object
{
    private protected Hdf5Location(Hdf5File? file, long id, string path) : base(file, id, path) { }

    // ---- groups ---------------------------------------------------------------------------------

    /// <summary>Creates a group, and any missing groups above it (like <c>mkdir -p</c> for all but the
    /// last). Throws when the group already exists.</summary>
    public Hdf5Group CreateGroup(string path)
    {
        string full = Resolve(path);
        long lcpl = IntermediateGroupsLinkList(full);
        try
        {
            long group = H5Gcreate2(Id, path, lcpl, Default, Default);
            if (group < 0) throw Fail("create group", full);
            return new Hdf5Group(File, group, full);
        }
        finally
        {
            _ = H5Pclose(lcpl); // memory only: a failed close leaks an id, loses no data
        }
    }

    /// <summary>Opens an existing group.</summary>
    public Hdf5Group OpenGroup(string path)
    {
        string full = Resolve(path);
        long group = H5Gopen2(Id, path, Default);
        if (group < 0) throw Fail("open group", full);
        return new Hdf5Group(File, group, full);
    }

    /// <summary>Opens the group when it exists, creates it (with missing parents) otherwise.</summary>
    public Hdf5Group OpenOrCreateGroup(string path) => Exists(path) ? OpenGroup(path) : CreateGroup(path);

    /// <summary>True when every link on the path exists.</summary>
    public bool Exists(string path)
    {
        if (path is "" or "." or "/") return true;
        int start = path.StartsWith('/') ? 1 : 0;
        while (true)
        {
            int slash = path.IndexOf('/', start);
            string prefix = slash < 0 ? path : path[..slash];
            int exists = H5Lexists(Id, prefix, Default);
            if (exists < 0) throw Fail("look up", Resolve(prefix));
            if (exists == 0) return false;
            if (slash < 0 || slash == path.Length - 1) return true;
            start = slash + 1;
        }
    }

    /// <summary>Whether the path names a group or a dataset.</summary>
    public Hdf5ObjectKind GetKind(string path)
    {
        long obj = H5Oopen(Id, path, Default);
        if (obj < 0) throw Fail("open object", Resolve(path));
        try
        {
            return H5Iget_type(obj) switch
            {
                IdGroup => Hdf5ObjectKind.Group,
                IdDataset => Hdf5ObjectKind.Dataset,
                _ => Hdf5ObjectKind.Other,
            };
        }
        finally
        {
            _ = H5Oclose(obj); // opened only to ask its type
        }
    }

    /// <summary>Names of the members of a group (this location when <paramref name="path"/> is "."), in
    /// name order.</summary>
    public string[] ListMembers(string path = ".")
    {
        if (path is "" or ".") return ListOwnMembers();
        using Hdf5Group group = OpenGroup(path);
        return group.ListOwnMembers();
    }

    private string[] ListOwnMembers()
    {
        GroupInfo info;
        if (H5Gget_info(Id, &info) < 0) throw Fail("list members of", Path);
        var names = new string[info.LinkCount];
        Span<byte> small = stackalloc byte[256];
        for (ulong i = 0; i < info.LinkCount; i++)
        {
            nint length = H5Lget_name_by_idx(Id, ".", 0, 0, i, null, 0, Default);
            if (length < 0) throw Fail("list members of", Path);
            Span<byte> buffer = length < small.Length ? small : new byte[length + 1];
            fixed (byte* p = buffer)
            {
                if (H5Lget_name_by_idx(Id, ".", 0, 0, i, p, (nuint)buffer.Length, Default) < 0) throw Fail("list members of", Path);
                names[i] = Marshal.PtrToStringUTF8((nint)p, (int)length);
            }
        }
        return names;
    }

    // ---- fixed-size datasets --------------------------------------------------------------------

    /// <summary>Creates a contiguous 1-D dataset holding <paramref name="values"/> and keeps it open (to
    /// add attributes or overwrite it later). Missing parent groups are created.</summary>
    public Hdf5Dataset CreateDataset<T>(string path, ReadOnlySpan<T> values) where T : unmanaged
    {
        string full = Resolve(path);
        long type = NativeType<T>.Id;
        ulong length = (ulong)values.Length;
        long space = H5Screate_simple(1, &length, null);
        if (space < 0) throw Fail("create dataset", full);
        long lcpl = IntermediateGroupsLinkList(full);
        try
        {
            long dataset = H5Dcreate2(Id, path, type, space, lcpl, Default, Default);
            if (dataset < 0) throw Fail("create dataset", full);
            var result = new Hdf5Dataset(File, dataset, full);
            try
            {
                result.Write(values);
            }
            catch
            {
                result.Dispose();
                throw;
            }
            return result;
        }
        finally
        {
            // Memory only: a failed close leaks an id, loses no data. The dataset itself stays open in result.
            _ = H5Pclose(lcpl);
            _ = H5Sclose(space);
        }
    }

    /// <summary>Writes a contiguous 1-D dataset (float64, int64, uint64, ... by the element type).</summary>
    public void WriteDataset<T>(string path, ReadOnlySpan<T> values) where T : unmanaged
    {
        using Hdf5Dataset dataset = CreateDataset(path, values);
    }

    /// <summary>Writes a 1-D dataset, into the existing one at <paramref name="path"/> (in place, as SWMR writing allows) or
    /// into a new one when there is none; an existing dataset of another length throws.</summary>
    public void OverwriteDataset<T>(string path, ReadOnlySpan<T> values) where T : unmanaged
    {
        if (!Exists(path))
        {
            WriteDataset(path, values);
            return;
        }
        using var dataset = OpenDataset(path);
        dataset.Write(values);
    }

    /// <summary>Writes a scalar UTF-8 variable-length string dataset.</summary>
    public void WriteDataset(string path, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string full = Resolve(path);
        long type = VariableStringType();
        long space = H5Screate(ScalarSpace);
        long lcpl = IntermediateGroupsLinkList(full);
        nint utf8 = Marshal.StringToCoTaskMemUTF8(value);
        try
        {
            long dataset = H5Dcreate2(Id, path, type, space, lcpl, Default, Default);
            if (dataset < 0) throw Fail("create dataset", full);
            // Take the write's error before H5Dclose clears the error stack. The close flushes the dataset's buffered
            // raw data, so its failure can mean the value is not in the file.
            Hdf5Exception? failure = H5Dwrite(dataset, type, All, All, Default, &utf8) < 0 ? Fail("write dataset", full) : null;
            if (H5Dclose(dataset) < 0) failure ??= Fail("close dataset", full);
            if (failure is not null) throw failure;
        }
        finally
        {
            Marshal.FreeCoTaskMem(utf8);
            // Memory only: a failed close leaks an id, loses no data.
            _ = H5Pclose(lcpl);
            _ = H5Sclose(space);
            _ = H5Tclose(type);
        }
    }

    /// <summary>Opens an existing dataset (for reading, attributes, or overwriting in place).</summary>
    public Hdf5Dataset OpenDataset(string path)
    {
        string full = Resolve(path);
        long dataset = H5Dopen2(Id, path, Default);
        if (dataset < 0) throw Fail("open dataset", full);
        return new Hdf5Dataset(File, dataset, full);
    }

    /// <summary>Reads a whole dataset, of any shape, as a flat array in row-major order; HDF5 converts
    /// the stored element type to <typeparamref name="T"/>.</summary>
    public T[] ReadDataset<T>(string path) where T : unmanaged
    {
        using Hdf5Dataset dataset = OpenDataset(path);
        return dataset.Read<T>();
    }

    /// <summary>Reads a scalar string dataset.</summary>
    public string ReadString(string path)
    {
        using Hdf5Dataset dataset = OpenDataset(path);
        return dataset.ReadString();
    }

    // ---- appendable datasets --------------------------------------------------------------------

    /// <summary>Creates a chunked 1-D dataset with an unlimited length, grown by
    /// <see cref="AppendableDataset{T}.Append"/>. Missing parent groups are created.</summary>
    public AppendableDataset<T> CreateAppendable<T>(string path, AppendableDatasetOptions? options = null) where T : unmanaged =>
        CreateAppendable<T>(path, rank: 1, columns: 1, NativeType<T>.Id, options ?? AppendableDatasetOptions.Default);

    /// <summary>Creates a chunked 2-D dataset [rows × <paramref name="columns"/>] with an unlimited number
    /// of rows (time), grown by <see cref="AppendableDataset{T}.AppendRows"/>.</summary>
    public AppendableDataset<T> CreateAppendable<T>(string path, int columns, AppendableDatasetOptions? options = null) where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        return CreateAppendable<T>(path, rank: 2, columns, NativeType<T>.Id, options ?? AppendableDatasetOptions.Default);
    }

    /// <summary>As <see cref="CreateAppendable{T}(string, int, AppendableDatasetOptions?)"/> but stored as
    /// <paramref name="storedType"/>; libhdf5 converts on write (e.g. float64 in memory, float32 on disk).</summary>
    internal AppendableDataset<T> CreateAppendable<T>(string path, int rank, int columns, long storedType, AppendableDatasetOptions options)
        where T : unmanaged
    {
        options.Validate();
        string full = Resolve(path);
        long memType = NativeType<T>.Id;
        int elementSize = Math.Max(sizeof(T), (int)H5Tget_size(storedType));
        int chunkRows = options.ChunkRows > 0
            ? options.ChunkRows
            : Math.Max(1, AppendableDatasetOptions.TargetChunkBytes / (columns * elementSize));
        ulong* dims = stackalloc ulong[2] { 0, (ulong)columns };
        ulong* maxDims = stackalloc ulong[2] { Unlimited, (ulong)columns };
        ulong* chunk = stackalloc ulong[2] { (ulong)chunkRows, (ulong)columns };
        long space = H5Screate_simple(rank, dims, maxDims);
        if (space < 0) throw Fail("create dataset", full);
        long dcpl = H5Pcreate(DatasetCreateClass);
        long lcpl = IntermediateGroupsLinkList(full);
        try
        {
            if (dcpl < 0 || H5Pset_chunk(dcpl, rank, chunk) < 0) throw Fail("set chunking of dataset", full);
            if (options.DeflateLevel > 0 && (H5Pset_shuffle(dcpl) < 0 || H5Pset_deflate(dcpl, (uint)options.DeflateLevel) < 0))
                throw Fail("set compression of dataset", full);
            long dataset = H5Dcreate2(Id, path, storedType, space, lcpl, dcpl, Default);
            if (dataset < 0) throw Fail("create dataset", full);
            return new AppendableDataset<T>(File, dataset, full, memType, rank, columns, rows: 0);
        }
        finally
        {
            // Memory only: a failed close leaks an id, loses no data. The dataset itself stays open in the result.
            _ = H5Pclose(lcpl);
            if (dcpl >= 0) _ = H5Pclose(dcpl);
            _ = H5Sclose(space);
        }
    }

    /// <summary>Opens an existing chunked dataset with an unlimited first dimension to append to it
    /// (resuming a run). Its rank (1 or 2) and current length are read from the file.</summary>
    public AppendableDataset<T> OpenAppendable<T>(string path) where T : unmanaged
    {
        string full = Resolve(path);
        long memType = NativeType<T>.Id;
        long dataset = H5Dopen2(Id, path, Default);
        if (dataset < 0) throw Fail("open dataset", full);
        ulong* dims = stackalloc ulong[2];
        ulong* maxDims = stackalloc ulong[2];
        long space = H5Dget_space(dataset);
        int rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
        if (rank is < 1 or > 2 || H5Sget_simple_extent_dims(space, dims, maxDims) < 0 || maxDims[0] != Unlimited)
        {
            Hdf5Exception error = rank is 1 or 2 || rank < 0
                ? Fail("open as appendable (needs an unlimited first dimension) dataset", full)
                : new Hdf5Exception($"HDF5: dataset '{full}' in '{File.FileName}' has rank {rank}; appendable datasets have rank 1 or 2");
            // The error to report is the one above; the dataset was only read.
            if (space >= 0) _ = H5Sclose(space);
            _ = H5Dclose(dataset);
            throw error;
        }
        _ = H5Sclose(space); // memory only: a failed close leaks an id, loses no data
        return new AppendableDataset<T>(File, dataset, full, memType, rank, rank == 2 ? checked((int)dims[1]) : 1, checked((long)dims[0]));
    }

    private long IntermediateGroupsLinkList(string fullPath)
    {
        long lcpl = H5Pcreate(LinkCreateClass);
        if (lcpl < 0 || H5Pset_create_intermediate_group(lcpl, 1) < 0)
        {
            Hdf5Exception error = Fail("prepare link creation for", fullPath);
            if (lcpl >= 0) _ = H5Pclose(lcpl); // memory only; the error to report is the one above
            throw error;
        }
        return lcpl;
    }
}
