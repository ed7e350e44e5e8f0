using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BioSim.IO.Hdf5;

/// <summary>
/// Thin P/Invoke layer over the system libhdf5 1.10 C API (hid_t = int64, herr_t = int, hsize_t = uint64).
/// Only what BioSim writes and reads is bound. Call <see cref="EnsureLoaded"/> before anything else:
/// it finds the library, calls H5open, reads the global type and property-list ids and silences the
/// automatic error printing. libhdf5 "serial" is not thread-safe: use one file from one thread.
/// <para>
/// Every API call clears the thread's error stack on entry, so a failure's message must be taken
/// (<see cref="Hdf5Exception"/>'s <c>For</c>, through <c>Fail</c>) before the next call, a close included. Closing a
/// dataspace, datatype, property list or attribute, or an object opened only to inspect it, writes nothing to the
/// file: a failed close leaks an id and loses no data, so callers discard those results (<c>_ =</c>), mostly in
/// <c>finally</c> blocks where throwing would hide the error being reported. The close of a dataset just written
/// (which flushes its buffered raw data) is checked.
/// </para>
/// </summary>
internal static unsafe partial class H5Native
{
    private const string Lib = "hdf5";

    private static readonly string[] Candidates =
        ["libhdf5_serial.so.103", "libhdf5_serial.so", "libhdf5.so.103", "libhdf5.so"];

    private static readonly Lock InitLock = new();
    private static nint _handle;
    private static bool _loaded;
    private static bool _resolverSet;

    // Global ids, valid after EnsureLoaded (the C macros H5T_NATIVE_DOUBLE etc. read these after H5open).
    internal static long NativeDouble;
    internal static long NativeFloat;
    internal static long NativeInt64;
    internal static long NativeUInt64;
    internal static long NativeInt32;
    internal static long NativeUInt32;
    internal static long NativeUInt8;
    internal static long NativeInt8;
    internal static long CString;
    internal static long DatasetCreateClass;
    internal static long FileAccessClass;
    internal static long FileCreateClass;
    internal static long LinkCreateClass;

    internal const long Default = 0;          // H5P_DEFAULT, H5E_DEFAULT
    internal const long All = 0;              // H5S_ALL
    internal const uint AccRdOnly = 0x0000;   // H5F_ACC_RDONLY
    internal const uint AccRdWr = 0x0001;     // H5F_ACC_RDWR
    internal const uint AccTrunc = 0x0002;    // H5F_ACC_TRUNC
    internal const uint AccSwmrWrite = 0x0020; // H5F_ACC_SWMR_WRITE
    internal const uint AccSwmrRead = 0x0040; // H5F_ACC_SWMR_READ
    internal const int LibverLatest = 2;      // H5F_LIBVER_LATEST (= H5F_LIBVER_V110 in 1.10)
    internal const int ScopeGlobal = 1;       // H5F_SCOPE_GLOBAL
    internal const int SelectSet = 0;         // H5S_SELECT_SET
    internal const int ScalarSpace = 0;       // H5S_SCALAR
    internal const ulong Unlimited = ulong.MaxValue; // H5S_UNLIMITED
    internal static readonly nuint Variable = nuint.MaxValue; // H5T_VARIABLE
    internal const int CsetUtf8 = 1;          // H5T_CSET_UTF8
    internal const int ClassInteger = 0, ClassFloat = 1, ClassString = 3, ClassEnum = 8; // H5T_class_t
    internal const int IdGroup = 2, IdDataset = 5; // H5I_type_t

    /// <summary>Loads libhdf5 (once) and initialises it; throws <see cref="DllNotFoundException"/> with the
    /// names tried when it is not installed.</summary>
    internal static void EnsureLoaded()
    {
        if (Volatile.Read(ref _loaded)) return;
        lock (InitLock)
        {
            if (_loaded) return;
            foreach (string name in Candidates)
                if (NativeLibrary.TryLoad(name, out _handle)) break;
            if (_handle == 0)
                throw new DllNotFoundException(
                    $"libhdf5 was not found (tried {string.Join(", ", Candidates)}); install the Debian package libhdf5-103-1");
            if (!_resolverSet)
            {
                NativeLibrary.SetDllImportResolver(typeof(H5Native).Assembly, Resolve);
                _resolverSet = true;
            }
            if (H5open() < 0) throw new Hdf5Exception("HDF5: H5open failed");
            // Errors become exceptions with the stack's deepest message; libhdf5 must not print to stderr. Should this
            // fail, libhdf5 also prints its error stacks, and errors still become exceptions: not worth failing the load.
            _ = H5Eset_auto2(Default, 0, null);
            NativeDouble = Global("H5T_NATIVE_DOUBLE_g");
            NativeFloat = Global("H5T_NATIVE_FLOAT_g");
            NativeInt64 = Global("H5T_NATIVE_INT64_g");
            NativeUInt64 = Global("H5T_NATIVE_UINT64_g");
            NativeInt32 = Global("H5T_NATIVE_INT32_g");
            NativeUInt32 = Global("H5T_NATIVE_UINT32_g");
            NativeUInt8 = Global("H5T_NATIVE_UINT8_g");
            NativeInt8 = Global("H5T_NATIVE_INT8_g");
            CString = Global("H5T_C_S1_g");
            DatasetCreateClass = Global("H5P_CLS_DATASET_CREATE_ID_g");
            FileAccessClass = Global("H5P_CLS_FILE_ACCESS_ID_g");
            FileCreateClass = Global("H5P_CLS_FILE_CREATE_ID_g");
            LinkCreateClass = Global("H5P_CLS_LINK_CREATE_ID_g");
            Volatile.Write(ref _loaded, true);
        }
    }

    private static long Global(string symbol) => Marshal.ReadInt64(NativeLibrary.GetExport(_handle, symbol));

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == Lib ? _handle : 0;

    // ---- error stack ----------------------------------------------------------------------------

    [StructLayout(LayoutKind.Sequential)]
    private struct ErrorRecord
    {
        public long ClassId;
        public long MajorId;
        public long MinorId;
        public uint Line;
        public byte* FunctionName;
        public byte* FileName;
        public byte* Description;
    }

    [ThreadStatic] private static string? _deepestError;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int WalkError(uint n, ErrorRecord* record, void* clientData)
    {
        // Walking downward from the API call, the last record is where the failure started.
        string? function = Marshal.PtrToStringUTF8((nint)record->FunctionName);
        string? description = Marshal.PtrToStringUTF8((nint)record->Description);
        _deepestError = function is null ? description : $"{function}: {description}";
        return 0;
    }

    /// <summary>The innermost message of the current thread's HDF5 error stack, then clears it.</summary>
    internal static string? TakeErrorMessage()
    {
        _deepestError = null;
        // A failed walk only leaves the caller's message without libhdf5's detail; a failed clear is harmless, since
        // the next API call clears the stack on entry.
        // H5E_WALK_DOWNWARD (1): from the API call to the function where the error was first detected, so the last
        // record visited is the cause (H5E_WALK_UPWARD, 0, would end at the API call's generic "unable to open file").
        _ = H5Ewalk2(Default, 1, (nint)(delegate* unmanaged[Cdecl]<uint, ErrorRecord*, void*, int>)&WalkError, null);
        _ = H5Eclear2(Default);
        string? message = _deepestError;
        _deepestError = null;
        return message;
    }

    // ---- library --------------------------------------------------------------------------------
    [LibraryImport(Lib)] internal static partial int H5open();
    [LibraryImport(Lib)] internal static partial int H5Eset_auto2(long estack, nint func, void* clientData);
    [LibraryImport(Lib)] internal static partial int H5Ewalk2(long estack, int direction, nint func, void* clientData);
    [LibraryImport(Lib)] internal static partial int H5Eclear2(long estack);
    [LibraryImport(Lib)] internal static partial int H5free_memory(nint buffer);
    [LibraryImport(Lib)] internal static partial int H5Iget_type(long id);

    // ---- files ----------------------------------------------------------------------------------
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Fcreate(string name, uint flags, long fcpl, long fapl);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Fopen(string name, uint flags, long fapl);
    [LibraryImport(Lib)] internal static partial int H5Fflush(long id, int scope);
    [LibraryImport(Lib)] internal static partial int H5Fclose(long id);
    [LibraryImport(Lib)] internal static partial int H5Fstart_swmr_write(long id);
    [LibraryImport(Lib)] internal static partial int H5Fincrement_filesize(long id, ulong increment);
    [LibraryImport(Lib)] internal static partial int H5Fget_intent(long id, uint* intent);
    [LibraryImport(Lib)] internal static partial int H5Fget_info2(long id, void* info);

    // ---- property lists -------------------------------------------------------------------------
    [LibraryImport(Lib)] internal static partial long H5Pcreate(long cls);
    [LibraryImport(Lib)] internal static partial int H5Pclose(long id);
    [LibraryImport(Lib)] internal static partial int H5Pset_chunk(long plist, int ndims, ulong* dims);
    [LibraryImport(Lib)] internal static partial int H5Pset_deflate(long plist, uint level);
    [LibraryImport(Lib)] internal static partial int H5Pset_shuffle(long plist);
    [LibraryImport(Lib)] internal static partial int H5Pset_create_intermediate_group(long plist, uint create);
    [LibraryImport(Lib)] internal static partial int H5Pset_libver_bounds(long fapl, int low, int high);
    [LibraryImport(Lib)] internal static partial int H5Pset_attr_phase_change(long ocpl, uint maxCompact, uint minDense);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int H5Pset(long plist, string name, void* value);

    // ---- groups, links, objects -----------------------------------------------------------------
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Gcreate2(long loc, string name, long lcpl, long gcpl, long gapl);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Gopen2(long loc, string name, long gapl);
    [LibraryImport(Lib)] internal static partial int H5Gclose(long id);
    [LibraryImport(Lib)] internal static partial int H5Gget_info(long id, GroupInfo* info);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int H5Lexists(long loc, string name, long lapl);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint H5Lget_name_by_idx(long loc, string groupName, int indexType, int order, ulong n, byte* name, nuint size, long lapl);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Oopen(long loc, string name, long lapl);
    [LibraryImport(Lib)] internal static partial int H5Oclose(long id);

    [StructLayout(LayoutKind.Sequential)]
    internal struct GroupInfo
    {
        public int StorageType;
        public ulong LinkCount;
        public long MaxCreationOrder;
        public byte Mounted;
    }

    // ---- dataspaces -----------------------------------------------------------------------------
    [LibraryImport(Lib)] internal static partial long H5Screate(int type);
    [LibraryImport(Lib)] internal static partial long H5Screate_simple(int rank, ulong* dims, ulong* maxDims);
    [LibraryImport(Lib)] internal static partial int H5Sclose(long id);
    [LibraryImport(Lib)] internal static partial int H5Sget_simple_extent_ndims(long id);
    [LibraryImport(Lib)] internal static partial int H5Sget_simple_extent_dims(long id, ulong* dims, ulong* maxDims);
    [LibraryImport(Lib)] internal static partial long H5Sget_simple_extent_npoints(long id);
    [LibraryImport(Lib)] internal static partial int H5Sselect_hyperslab(long space, int op, ulong* start, ulong* stride, ulong* count, ulong* block);

    // ---- datatypes ------------------------------------------------------------------------------
    [LibraryImport(Lib)] internal static partial long H5Tcopy(long type);
    [LibraryImport(Lib)] internal static partial int H5Tclose(long type);
    [LibraryImport(Lib)] internal static partial int H5Tset_size(long type, nuint size);
    [LibraryImport(Lib)] internal static partial nuint H5Tget_size(long type);
    [LibraryImport(Lib)] internal static partial int H5Tset_cset(long type, int cset);
    [LibraryImport(Lib)] internal static partial int H5Tget_class(long type);
    [LibraryImport(Lib)] internal static partial int H5Tequal(long type1, long type2);
    [LibraryImport(Lib)] internal static partial int H5Tis_variable_str(long type);
    [LibraryImport(Lib)] internal static partial long H5Tenum_create(long baseType);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int H5Tenum_insert(long type, string name, void* value);
    [LibraryImport(Lib)] internal static partial int H5Tenum_nameof(long type, void* value, byte* name, nuint size);

    // ---- datasets -------------------------------------------------------------------------------
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Dcreate2(long loc, string name, long type, long space, long lcpl, long dcpl, long dapl);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Dopen2(long loc, string name, long dapl);
    [LibraryImport(Lib)] internal static partial int H5Dclose(long id);
    [LibraryImport(Lib)] internal static partial long H5Dget_space(long id);
    [LibraryImport(Lib)] internal static partial long H5Dget_type(long id);
    [LibraryImport(Lib)] internal static partial int H5Dset_extent(long id, ulong* size);
    [LibraryImport(Lib)] internal static partial int H5Dwrite(long id, long memType, long memSpace, long fileSpace, long xfer, void* buffer);
    [LibraryImport(Lib)] internal static partial int H5Dread(long id, long memType, long memSpace, long fileSpace, long xfer, void* buffer);

    // ---- attributes -----------------------------------------------------------------------------
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Acreate2(long loc, string name, long type, long space, long acpl, long aapl);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Aopen(long obj, string name, long aapl);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int H5Aexists(long obj, string name);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int H5Adelete(long obj, string name);
    [LibraryImport(Lib)] internal static partial int H5Aclose(long id);
    [LibraryImport(Lib)] internal static partial int H5Awrite(long id, long memType, void* buffer);
    [LibraryImport(Lib)] internal static partial int H5Aread(long id, long memType, void* buffer);
    [LibraryImport(Lib)] internal static partial long H5Aget_space(long id);
    [LibraryImport(Lib)] internal static partial long H5Aget_type(long id);
}
