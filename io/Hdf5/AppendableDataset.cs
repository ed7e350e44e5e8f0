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
        fixed (T* p = values) WriteRows(p, Rows, values.Length);
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
        fixed (T* p = values) WriteRows(p, Rows, rows);
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

    /// <summary>Makes a 1-D dataset hold exactly <paramref name="values"/>, overwriting its rows in place: chunks that still
    /// hold rows keep their place in the file (only chunks wholly past the new length are freed), where truncating to 0 and
    /// appending would free and allocate every chunk (and a file written in SWMR mode does not reuse freed space).</summary>
    public void Replace(ReadOnlySpan<T> values)
    {
        if (Rank != 1)
            throw new InvalidOperationException($"HDF5: dataset '{Path}' is 2-D; Replace takes a 1-D dataset");
        if (values.Length < Rows) Truncate(values.Length);
        fixed (T* p = values) WriteRows(p, 0, values.Length);
    }

    /// <summary>Flushes the whole file (H5Fflush, global scope), so every row appended so far survives a
    /// killed process.</summary>
    public void Flush() => File.Flush();

    /// <summary>Writes <paramref name="count"/> rows from row <paramref name="first"/> on (at most <see cref="Rows"/>), extending
    /// the dataset when they reach past its end.</summary>
    private void WriteRows(T* data, long first, long count)
    {
        if (count == 0) return;
        long id = Id;
        long rows = Math.Max(Rows, first + count);
        ulong* size = stackalloc ulong[2] { (ulong)rows, (ulong)Columns };
        ulong* start = stackalloc ulong[2] { (ulong)first, 0 };
        ulong* block = stackalloc ulong[2] { (ulong)count, (ulong)Columns };
        if (rows > Rows && H5Dset_extent(id, size) < 0) throw Fail("extend dataset", Path);
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
        Rows = rows;
    }

    private protected override int CloseHandle(long handle) => H5Dclose(handle);
}
