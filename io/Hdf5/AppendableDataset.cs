using static BioSim.IO.Hdf5.H5Native;

namespace BioSim.IO.Hdf5;

/// <summary>
/// A chunked dataset whose first dimension grows: 1-D (a stream of values) or 2-D [time × element]
/// (one row per sample). Each append extends the dataset (H5Dset_extent) and writes the new rows as a
/// hyperslab; nothing is allocated on the managed heap. Data reach the disk at <see cref="Flush"/>.
/// </summary>
public sealed unsafe class AppendableDataset<T> : Hdf5Object where T : unmanaged
{
    private readonly long _memType;

    internal AppendableDataset(Hdf5File file, long id, string path, long memType, int rank, int columns, long rows)
        : base(file, id, path)
    {
        _memType = memType;
        Rank = rank;
        Columns = columns;
        Rows = rows;
    }

    /// <summary>1 for a stream of values, 2 for [time × element].</summary>
    public int Rank { get; }

    /// <summary>Elements per row (the fixed second dimension); 1 for a 1-D dataset.</summary>
    public int Columns { get; }

    /// <summary>Current length of the first dimension.</summary>
    public long Rows { get; private set; }

    /// <summary>Appends values to a 1-D dataset.</summary>
    public void Append(ReadOnlySpan<T> values)
    {
        if (Rank != 1)
            throw new InvalidOperationException($"HDF5: dataset '{Path}' is 2-D; use AppendRows");
        fixed (T* p = values) WriteRows(p, values.Length);
    }

    /// <summary>Appends <paramref name="rows"/> rows to a 2-D dataset; <paramref name="values"/> holds them
    /// row after row (rows × <see cref="Columns"/> elements). On a 1-D dataset this equals Append.</summary>
    public void AppendRows(ReadOnlySpan<T> values, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        if ((long)rows * Columns != values.Length)
            throw new ArgumentException(
                $"HDF5: {rows} rows of dataset '{Path}' need {(long)rows * Columns} values ({Columns} per row); {values.Length} given",
                nameof(values));
        fixed (T* p = values) WriteRows(p, rows);
    }

    /// <summary>Shrinks the dataset to its first <paramref name="rows"/> rows (resuming a run from a checkpoint
    /// drops what was appended after it).</summary>
    public void Truncate(long rows)
    {
        if (rows < 0 || rows > Rows)
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"HDF5: dataset '{Path}' has {Rows} rows; cannot truncate it to {rows}");
        if (rows == Rows) return;
        ulong* size = stackalloc ulong[2] { (ulong)rows, (ulong)Columns };
        if (H5Dset_extent(Id, size) < 0) throw Fail("truncate dataset", Path);
        Rows = rows;
    }

    /// <summary>Flushes the whole file (H5Fflush, global scope), so every row appended so far survives a
    /// killed process.</summary>
    public void Flush() => File.Flush();

    private void WriteRows(T* data, long count)
    {
        if (count == 0) return;
        long id = Id;
        ulong* size = stackalloc ulong[2] { (ulong)(Rows + count), (ulong)Columns };
        ulong* start = stackalloc ulong[2] { (ulong)Rows, 0 };
        ulong* block = stackalloc ulong[2] { (ulong)count, (ulong)Columns };
        if (H5Dset_extent(id, size) < 0) throw Fail("extend dataset", Path);
        long fileSpace = H5Dget_space(id);
        if (fileSpace < 0) throw Fail("extend dataset", Path);
        try
        {
            if (H5Sselect_hyperslab(fileSpace, SelectSet, start, null, block, null) < 0) throw Fail("select rows of dataset", Path);
            long memSpace = H5Screate_simple(Rank, block, null);
            if (memSpace < 0) throw Fail("append to dataset", Path);
            try
            {
                if (H5Dwrite(id, _memType, memSpace, fileSpace, Default, data) < 0) throw Fail("append to dataset", Path);
            }
            finally
            {
                // Dataspaces are memory only (the rows are written by H5Dwrite): a failed close leaks an id, loses no data.
                _ = H5Sclose(memSpace);
            }
        }
        finally
        {
            _ = H5Sclose(fileSpace);
        }
        Rows += count;
    }

    private protected override int CloseHandle(long handle) => H5Dclose(handle);
}
