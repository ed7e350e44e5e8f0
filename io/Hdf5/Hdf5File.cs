using static BioSim.IO.Hdf5.H5Native;

namespace BioSim.IO.Hdf5;

/// <summary>
/// An HDF5 file opened through the system libhdf5. Attributes set on the file go to its root group.
/// Disposing closes every group and dataset still open in it, then the file. Not thread-safe: libhdf5
/// "serial" must be used from one thread at a time.
/// </summary>
/// <remarks>
/// <para>
/// Files are written in SWMR mode (single writer, multiple readers: the 1.10 file format, <c>H5Fstart_swmr_write</c>
/// right after creation) so that a process killed with SIGKILL at any moment, inside <see cref="Flush"/> included,
/// leaves a consistent file with every flushed block. Outside SWMR, libhdf5 writes the dirty metadata of a flush in
/// address order and the superblock (with the end-of-allocation address) last, and its cache may write entries
/// between flushes: a kill in between left B-tree nodes on disk pointing at nodes not yet written or past the
/// recorded end of the file ("addr overflow"), and even the flushed rows did not read (issue 14; about one kill in
/// 300 with tests/scripts/hdf5_kill_harness.py). In SWMR mode libhdf5 orders every metadata write for a concurrent
/// reader (a chunk index node is written before the node or object header that points at it; the dataspace grows
/// after the chunks it covers), so whatever prefix of its writes reached the file is a state a SWMR reader could
/// have seen, which is what a kill leaves (the writes that returned are in the page cache; a kill loses none).
/// </para>
/// <para>
/// The price: while a file is open for writing, and after the writer was killed, its superblock says "open for
/// SWMR writing", and a plain open refuses it. <see cref="OpenReadOnly"/> then opens it as a SWMR reader (which also
/// reads past the end-of-allocation address a killed writer could not update), and <see cref="OpenReadWrite"/>
/// first repairs it as <c>h5clear -s --increment=0</c> does. Users of h5py open a killed run's file with
/// <c>h5py.File(path, "r", swmr=True)</c>, or run <c>h5clear -s --increment=0 path</c> once (Debian hdf5-tools) for
/// h5dump and plain h5py. A file closed normally carries no such flags.
/// </para>
/// </remarks>
public sealed unsafe class Hdf5File : Hdf5Location
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

    /// <summary>Attributes the root group keeps in its object header (above this, libhdf5 moves them to a fractal heap and
    /// a B-tree, which SWMR does not order on disk; a run's root has about ten, rewritten in place every block).</summary>
    private const uint RootCompactAttributes = 64;

    /// <summary>Creates a file, replacing any existing file of that name, in SWMR write mode (see the remarks).</summary>
    public static Hdf5File Create(string fileName)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        EnsureLoaded();
        if (Directory.Exists(fileName)) throw new Hdf5Exception($"HDF5: cannot create '{fileName}': it is a directory; give the path of a file");
        long fcpl = H5Pcreate(FileCreateClass);
        long fapl = H5Pcreate(FileAccessClass);
        long id;
        try
        {
            if (fcpl < 0 || H5Pset_attr_phase_change(fcpl, RootCompactAttributes, RootCompactAttributes - 1) < 0)
                throw Hdf5Exception.ForFile("prepare the creation of", fileName);
            if (fapl < 0 || H5Pset_libver_bounds(fapl, LibverLatest, LibverLatest) < 0)
                throw Hdf5Exception.ForFile("prepare the creation of", fileName);
            id = H5Fcreate(fileName, AccTrunc, fcpl, fapl);
            if (id < 0) throw Hdf5Exception.ForFile("create", fileName);
        }
        finally
        {
            // Memory only: a failed close leaks an id, loses no data.
            if (fcpl >= 0) _ = H5Pclose(fcpl);
            if (fapl >= 0) _ = H5Pclose(fapl);
        }
        var file = new Hdf5File(id, fileName, readOnly: false);
        try
        {
            if (H5Fstart_swmr_write(id) < 0) throw Hdf5Exception.ForFile("start SWMR writing to", fileName);
            // Write the superblock now: a run killed before its first flush then leaves an empty, valid file
            // instead of a truncated one.
            file.Flush();
        }
        catch
        {
            file.Dispose();
            throw;
        }
        return file;
    }

    /// <summary>Opens an existing file for reading; a file still open for SWMR writing, or left so by a killed writer,
    /// is opened as a SWMR reader.</summary>
    public static Hdf5File OpenReadOnly(string fileName) => Open(fileName, readOnly: true);

    /// <summary>Opens an existing file for reading and writing (to append to a run, for example). A file written in SWMR
    /// mode is opened for SWMR writing again; one left by a killed writer is repaired first, as
    /// <c>h5clear -s --increment=0</c> does (status flags cleared, end-of-allocation set to the end of the file).</summary>
    public static Hdf5File OpenReadWrite(string fileName) => Open(fileName, readOnly: false);

    private static Hdf5File Open(string fileName, bool readOnly)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        EnsureLoaded();
        if (!System.IO.File.Exists(fileName))
            throw new FileNotFoundException($"HDF5: cannot open '{fileName}': the file does not exist", fileName);
        long id;
        if (readOnly)
        {
            id = H5Fopen(fileName, AccRdOnly, Default);
            // Refused: still being written, or left by a killed SWMR writer (or not HDF5 at all: then the SWMR open fails
            // too, and the plain open's error is the one to report).
            if (id < 0)
            {
                var plain = Hdf5Exception.ForFile("open", fileName);
                id = H5Fopen(fileName, AccRdOnly | AccSwmrRead, Default);
                if (id < 0)
                {
                    TakeErrorMessage();
                    throw plain;
                }
            }
            return new Hdf5File(id, fileName, readOnly: true);
        }
        id = H5Fopen(fileName, AccRdWr | AccSwmrWrite, Default);
        if (id < 0)
        {
            var swmr = Hdf5Exception.ForFile("open for writing", fileName);
            id = H5Fopen(fileName, AccRdWr, Default);
            if (id < 0)
            {
                // A killed SWMR writer's file: repair it, then open it for SWMR writing.
                TakeErrorMessage();
                if (!Repair(fileName)) throw swmr;
                id = H5Fopen(fileName, AccRdWr | AccSwmrWrite, Default);
                if (id < 0) throw Hdf5Exception.ForFile("open for writing (after clearing the status flags a killed writer left)", fileName);
            }
        }
        return new Hdf5File(id, fileName, readOnly: false);
    }

    /// <summary>What <c>h5clear -s --increment=0</c> does: opens the file ignoring the "open for writing" status flags and the
    /// end-of-file check (libhdf5's file-access properties <c>clear_status_flags</c> and <c>skip_eof_check</c>, which h5clear
    /// sets), sets the end-of-allocation address to max(end of allocation, end of file), so that space allocated later
    /// cannot overlap what a killed writer left past the address its last superblock recorded, and closes it (which writes
    /// a superblock without flags). False when the file cannot be opened so either.</summary>
    private static bool Repair(string fileName)
    {
        long fapl = H5Pcreate(FileAccessClass);
        if (fapl < 0) return false;
        try
        {
            // hbool_t is C bool (one byte) in 1.10.8; four bytes with the value in the low one are right either way.
            uint yes = 1;
            if (H5Pset(fapl, "clear_status_flags", &yes) < 0 || H5Pset(fapl, "skip_eof_check", &yes) < 0) return false;
            long id = H5Fopen(fileName, AccRdWr, fapl);
            if (id < 0) return false;
            bool grown = H5Fincrement_filesize(id, 0) >= 0;
            bool closed = H5Fclose(id) >= 0;
            return grown && closed;
        }
        finally
        {
            _ = H5Pclose(fapl); // memory only
        }
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
