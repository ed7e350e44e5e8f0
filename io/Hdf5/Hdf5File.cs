using static BioSim.IO.Hdf5.H5Native;

namespace BioSim.IO.Hdf5;

/// <summary>
/// An HDF5 file opened through the system libhdf5. Attributes set on the file go to its root group.
/// Disposing closes every group and dataset still open in it, then the file. Not thread-safe: libhdf5
/// "serial" must be used from one thread at a time.
/// </summary>
/// <remarks>
/// Files use libhdf5's default (earliest compatible) format on purpose: the 1.10 "latest" format marks a
/// file as open for writing in its superblock, and a run killed with SIGKILL would then leave a file
/// that h5py refuses to open until <c>h5clear -s</c> is run on it.
/// </remarks>
public sealed class Hdf5File : Hdf5Location
{
    private readonly List<Hdf5Object> _openObjects = [];

    private Hdf5File(long id, string fileName, bool readOnly) : base(null, id, "/")
    {
        FileName = fileName;
        IsReadOnly = readOnly;
    }

    /// <summary>The file name as given when it was created or opened.</summary>
    public string FileName { get; }

    /// <summary>True when opened by <see cref="OpenReadOnly"/>: writing to the file or its objects fails.</summary>
    public bool IsReadOnly { get; }

    /// <summary>Creates a file, replacing any existing file of that name.</summary>
    public static Hdf5File Create(string fileName)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        EnsureLoaded();
        if (Directory.Exists(fileName)) throw new Hdf5Exception($"HDF5: cannot create '{fileName}': it is a directory; give the path of a file");
        long id = H5Fcreate(fileName, AccTrunc, Default, Default);
        if (id < 0) throw Hdf5Exception.ForFile("create", fileName);
        var file = new Hdf5File(id, fileName, readOnly: false);
        // Write the superblock now: a run killed before its first flush then leaves an empty, valid file
        // instead of a truncated one.
        try
        {
            file.Flush();
        }
        catch
        {
            file.Dispose();
            throw;
        }
        return file;
    }

    /// <summary>Opens an existing file for reading.</summary>
    public static Hdf5File OpenReadOnly(string fileName) => Open(fileName, readOnly: true);

    /// <summary>Opens an existing file for reading and writing (to append to a run, for example).</summary>
    public static Hdf5File OpenReadWrite(string fileName) => Open(fileName, readOnly: false);

    private static Hdf5File Open(string fileName, bool readOnly)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        EnsureLoaded();
        if (!System.IO.File.Exists(fileName))
            throw new FileNotFoundException($"HDF5: cannot open '{fileName}': the file does not exist", fileName);
        long id = H5Fopen(fileName, readOnly ? AccRdOnly : AccRdWr, Default);
        if (id < 0) throw Hdf5Exception.ForFile(readOnly ? "open" : "open for writing", fileName);
        return new Hdf5File(id, fileName, readOnly);
    }

    /// <summary>Writes every buffered change (data chunks and metadata) of the whole file to disk
    /// (H5Fflush with H5F_SCOPE_GLOBAL): after it returns, a killed process leaves this state readable.</summary>
    public void Flush()
    {
        if (H5Fflush(Id, ScopeGlobal) < 0) throw Fail("flush", Path);
    }

    internal void Track(Hdf5Object obj) => _openObjects.Add(obj);

    internal void Untrack(Hdf5Object obj) => _openObjects.Remove(obj);

    private protected override void OnDisposing()
    {
        for (int i = _openObjects.Count - 1; i >= 0; i--)
            if (i < _openObjects.Count) _openObjects[i].Dispose();
        _openObjects.Clear();
    }

    private protected override int CloseHandle(long handle) => H5Fclose(handle);
}
