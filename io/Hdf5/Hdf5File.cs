using static BioSim.IO.Hdf5.H5Native;

namespace BioSim.IO.Hdf5;

/// <summary>
/// An HDF5 file opened through the system libhdf5. Attributes set on the file go to its root group.
/// Disposing closes every group and dataset still open in it, then the file. Not thread-safe: libhdf5
/// "serial" must be used from one thread at a time.
/// </summary>
/// <remarks>
/// <para>
/// A run's output is written in SWMR mode (single writer, multiple readers): created with <c>swmr: true</c> (the 1.10
/// file format), every group, dataset and attribute it will hold created, then <see cref="StartSwmrWrite"/>; from then
/// on it only appends rows and overwrites values in place. That makes a process killed with SIGKILL at any moment,
/// inside <see cref="Flush"/> included, leave a consistent file with every flushed block. Outside SWMR, libhdf5 writes
/// the dirty metadata of a flush in address order with the superblock (which records the end-of-allocation address)
/// last, and its cache may write entries between flushes: a kill in between left B-tree nodes on disk that point at
/// nodes not yet written or past the recorded end of the file ("addr overflow"), and even flushed rows did not read
/// (issue 14: tests/scripts/hdf5_kill_harness.py). In SWMR mode libhdf5 orders its metadata writes for a concurrent
/// reader (a chunk index block is written before what points at it, a dataset's extent grows after the chunks it
/// covers), so any prefix of its writes is a state a SWMR reader could have seen, and that is what a kill leaves (a
/// write that returned is in the page cache; a kill loses none). SWMR does not order the creation of new objects, and
/// libhdf5 1.10 even fails to create some (an attribute of a new chunked dataset): hence the switch after setup.
/// </para>
/// <para>
/// The price: while such a file is open for writing, and after its writer was killed, its superblock says "open for
/// writing", and a plain open refuses it. <see cref="OpenReadOnly"/> then opens it as a SWMR reader (which also reads
/// past the end-of-allocation address a killed writer may not have updated), and <see cref="OpenReadWrite"/> first
/// repairs it as <c>h5clear -s --increment=0</c> does. Users of h5py open a killed run's file with
/// <c>h5py.File(path, "r", swmr=True)</c>, or run <c>h5clear -s --increment=0 path</c> once (Debian hdf5-tools) for
/// h5dump and plain h5py. A file closed normally carries no such flags. Other files (<c>swmr: false</c>, the default)
/// keep libhdf5's earliest format, which has no such flags.
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
    public string FileName { get; private set; }

    /// <summary>Renames the open file to <paramref name="fileName"/>, replacing a file of that name in one step (POSIX
    /// rename): a run's output appears under its name only once it is SWMR-safe. Writing goes on through the same handle.</summary>
    public void MoveTo(string fileName)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        System.IO.File.Move(FileName, fileName, overwrite: true);
        FileName = fileName;
    }

    /// <summary>True when opened by <see cref="OpenReadOnly"/>: writing to the file or its objects fails.</summary>
    public bool IsReadOnly { get; }

    /// <summary>Attributes the root group keeps in its object header (above this, libhdf5 moves them to a fractal heap and
    /// a B-tree, which SWMR does not order on disk; a run's root has about ten, rewritten in place every block).</summary>
    private const uint RootCompactAttributes = 64;

    /// <summary>Creates a file, replacing any existing file of that name.</summary>
    /// <param name="fileName">The file's path.</param>
    /// <param name="swmr">Write the 1.10 format, so that <see cref="StartSwmrWrite"/> can switch the file to SWMR writing
    /// once its objects exist (a run's output: see the remarks); otherwise libhdf5's earliest format.</param>
    public static Hdf5File Create(string fileName, bool swmr = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        EnsureLoaded();
        if (Directory.Exists(fileName)) throw new Hdf5Exception($"HDF5: cannot create '{fileName}': it is a directory; give the path of a file");
        long fcpl = Default, fapl = Default, id;
        try
        {
            if (swmr)
            {
                fcpl = H5Pcreate(FileCreateClass);
                if (fcpl < 0 || H5Pset_attr_phase_change(fcpl, RootCompactAttributes, RootCompactAttributes - 1) < 0)
                    throw Hdf5Exception.ForFile("prepare the creation of", fileName);
                fapl = H5Pcreate(FileAccessClass);
                if (fapl < 0 || H5Pset_libver_bounds(fapl, LibverLatest, LibverLatest) < 0)
                    throw Hdf5Exception.ForFile("prepare the creation of", fileName);
            }
            id = H5Fcreate(fileName, AccTrunc, fcpl, fapl);
            if (id < 0) throw Hdf5Exception.ForFile("create", fileName);
        }
        finally
        {
            // Memory only: a failed close leaks an id, loses no data.
            if (fcpl > 0) _ = H5Pclose(fcpl);
            if (fapl > 0) _ = H5Pclose(fapl);
        }
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

    /// <summary>Switches a file in the 1.10 format (created with <c>swmr: true</c>, or such a file reopened) to SWMR writing,
    /// after flushing it: from here on, a kill at any moment leaves every flushed block readable (see the remarks). Create
    /// every object first; afterwards append rows and overwrite values in place only. Returns false, changing nothing, for a
    /// file in the earliest format (written before BioSim wrote SWMR files), which goes on as before.</summary>
    public bool StartSwmrWrite()
    {
        uint intent;
        if (H5Fget_intent(Id, &intent) < 0) throw Fail("get the access mode of", Path);
        if ((intent & AccSwmrWrite) != 0) return true;
        // H5F_info2_t starts with the superblock's version (unsigned); SWMR needs version 3, the 1.10 format.
        byte* info = stackalloc byte[256];
        if (H5Fget_info2(Id, info) < 0) throw Fail("get the format of", Path);
        if (*(uint*)info < 3) return false;
        Flush();
        if (H5Fstart_swmr_write(Id) < 0) throw Fail("start SWMR writing to", Path);
        return true;
    }

    /// <summary>Opens an existing file for reading. A file still open for SWMR writing, or left so by a killed writer, is
    /// opened as a SWMR reader; one whose writer was killed before it switched to SWMR, ignoring its "open for writing" flag.</summary>
    public static Hdf5File OpenReadOnly(string fileName) => Open(fileName, readOnly: true);

    /// <summary>Opens an existing file for reading and writing (to append to a run, for example); call
    /// <see cref="StartSwmrWrite"/> once the objects to write exist. A file left by a killed writer is repaired first, as
    /// <c>h5clear -s --increment=0</c> does (status flags cleared, end-of-allocation set to the end of the file).</summary>
    public static Hdf5File OpenReadWrite(string fileName) => Open(fileName, readOnly: false);

    private static Hdf5File Open(string fileName, bool readOnly)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        EnsureLoaded();
        if (!System.IO.File.Exists(fileName))
            throw new FileNotFoundException($"HDF5: cannot open '{fileName}': the file does not exist", fileName);
        long id = H5Fopen(fileName, readOnly ? AccRdOnly : AccRdWr, Default);
        if (id >= 0) return new Hdf5File(id, fileName, readOnly);
        // Refused. Only when the superblock says "open for writing" (a writer is at work or was killed; libhdf5's message then
        // names h5clear): open it as a SWMR reader, or with the flags ignored, or repair it for writing.
        string? detail = TakeErrorMessage();
        var plain = Hdf5Exception.ForFile(readOnly ? "open" : "open for writing", fileName, detail);
        if (detail is null || !detail.Contains("h5clear", StringComparison.Ordinal)) throw plain;
        if (readOnly)
        {
            id = H5Fopen(fileName, AccRdOnly | AccSwmrRead, Default);
            if (id < 0)
            {
                TakeErrorMessage();
                id = OpenIgnoringFlags(fileName, AccRdOnly);
            }
        }
        else if (OpenIgnoringFlags(fileName, AccRdWr) is var repair and >= 0)
        {
            // Set the end-of-allocation address to max(end of allocation, end of file), so that space allocated from now on
            // cannot overlap what a killed writer left past the address its last superblock recorded; the close writes a
            // superblock without the flags.
            bool grown = H5Fincrement_filesize(repair, 0) >= 0;
            if (!grown) TakeErrorMessage();
            if (H5Fclose(repair) >= 0 && grown) id = H5Fopen(fileName, AccRdWr, Default);
        }
        if (id < 0)
        {
            TakeErrorMessage();
            throw plain;
        }
        return new Hdf5File(id, fileName, readOnly);
    }

    /// <summary>Opens the file with libhdf5's file-access properties <c>clear_status_flags</c> and <c>skip_eof_check</c> (what
    /// h5clear sets): its "open for writing" flags and a recorded end of allocation past the end of the file are ignored.
    /// A negative id when it cannot be opened so either.</summary>
    private static long OpenIgnoringFlags(string fileName, uint access)
    {
        long fapl = H5Pcreate(FileAccessClass);
        if (fapl < 0) return -1;
        try
        {
            // hbool_t is C bool (one byte) in 1.10.8; four bytes with the value in the low one are right either way.
            uint yes = 1;
            if (H5Pset(fapl, "clear_status_flags", &yes) < 0 || H5Pset(fapl, "skip_eof_check", &yes) < 0) return -1;
            return H5Fopen(fileName, access, fapl);
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
