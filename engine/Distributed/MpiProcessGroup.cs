using System.Runtime.InteropServices;

namespace BioSim.Engine.Distributed;

/// <summary>
/// MPI's world communicator through a thin P/Invoke layer over MPICH's C library (Debian's <c>libmpich.so.12</c>, package
/// <c>libmpich12</c>; <c>mpich</c> brings mpiexec). Why not the MPI.NET package: it binds MS-MPI's <c>msmpi.dll</c> (a
/// resolver would have to map it to MPICH, whose handle ABI it shares) and serialises objects with BinaryFormatter, which
/// .NET 10 removed; BioSim needs seven collective calls on flat arrays, which this file makes directly. The handles below are
/// MPICH's (its <c>mpi.h</c>): Open MPI's differ, so this layer runs with MPICH only.
/// Only the thread that called <see cref="Initialize"/> calls MPI (MPI_THREAD_FUNNELED): step workers never do.
/// </summary>
public sealed unsafe partial class MpiProcessGroup : IProcessGroup, IDisposable
{
    private const string Lib = "libmpich.so.12";
    private const int CommWorld = 0x44000000;
    private const int TypeInt = 0x4c000405;
    private const int TypeDouble = 0x4c00080b;
    private const int TypeInt64 = 0x4c00083a;
    private const int OpMax = 0x58000001;
    private const int OpSum = 0x58000003;
    private const int ThreadFunneled = 1;

    private int[] _displacements = [];
    private bool _finalized;

    private MpiProcessGroup(int rank, int size)
    {
        Rank = rank;
        Size = size;
        _displacements = new int[size];
    }

    /// <summary>Whether this process was started by an MPI launcher with more than one process (MPICH's Hydra sets
    /// <c>PMI_SIZE</c>, Slurm's <c>srun --mpi=pmi2</c> too).</summary>
    public static bool LaunchedWithSeveralProcesses =>
        int.TryParse(Environment.GetEnvironmentVariable("PMI_SIZE"), out int size) && size > 1;

    /// <summary>This process's number in its launch: MPI's (<c>PMI_RANK</c>) under an MPI launcher, Slurm's task number
    /// (<c>SLURM_PROCID</c>) in an srun step of several tasks started without an MPI plugin, else 0. Only process 0 reports an
    /// error that every process finds alike.</summary>
    public static int LaunchRank =>
        int.TryParse(Environment.GetEnvironmentVariable("PMI_RANK"), out int rank) ? rank
        : SrunTasksWithoutMpi > 1 && int.TryParse(Environment.GetEnvironmentVariable("SLURM_PROCID"), out int task) ? task : 0;

    /// <summary>The tasks of the srun step this process belongs to when srun started it without an MPI plugin (no
    /// <c>--mpi=pmi2</c>, and the cluster's MpiDefault is none): each task would then run the whole network alone and all would
    /// write the same output. 0 otherwise (under mpiexec, under srun --mpi=pmi2, and in an sbatch script itself, whose
    /// environment has no <c>SLURM_STEP_NUM_TASKS</c>).</summary>
    public static int SrunTasksWithoutMpi =>
        Environment.GetEnvironmentVariable("PMI_SIZE") is null
        && int.TryParse(Environment.GetEnvironmentVariable("SLURM_STEP_NUM_TASKS"), out int tasks) && tasks > 1 ? tasks : 0;

    /// <summary>Initialises MPI (MPI_Init_thread, funneled) and returns the world group. Throws with the fix when MPICH's
    /// library is missing.</summary>
    public static MpiProcessGroup Initialize()
    {
        try
        {
            Check(MPI_Init_thread(null, null, ThreadFunneled, out _), "MPI_Init_thread");
        }
        catch (DllNotFoundException e)
        {
            throw new InvalidOperationException($"this process was started by an MPI launcher but MPICH's library ({Lib}) was not found ({e.Message}); install Debian's mpich and libmpich12 (apt-get install mpich), and launch with its mpiexec", e);
        }
        Check(MPI_Comm_rank(CommWorld, out int rank), "MPI_Comm_rank");
        Check(MPI_Comm_size(CommWorld, out int size), "MPI_Comm_size");
        return new MpiProcessGroup(rank, size);
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <inheritdoc/>
    public int AllGather(ReadOnlySpan<double> mine, ref double[] all, Span<int> counts)
    {
        int count = mine.Length;
        fixed (int* c = counts) Check(MPI_Allgather(&count, 1, TypeInt, c, 1, TypeInt, CommWorld), "MPI_Allgather");
        int total = 0;
        for (int r = 0; r < Size; r++)
        {
            _displacements[r] = total;
            total += counts[r];
        }
        if (all.Length < total) all = new double[Math.Max(total, 2 * all.Length)];
        fixed (double* send = mine)
        fixed (double* receive = all)
        fixed (int* c = counts)
        fixed (int* d = _displacements)
        {
            Check(MPI_Allgatherv(send, count, TypeDouble, receive, c, d, TypeDouble, CommWorld), "MPI_Allgatherv");
        }
        return total;
    }

    /// <inheritdoc/>
    public long Sum(long value)
    {
        long result;
        Check(MPI_Allreduce(&value, &result, 1, TypeInt64, OpSum, CommWorld), "MPI_Allreduce");
        return result;
    }

    /// <inheritdoc/>
    public double Max(double value)
    {
        double result;
        Check(MPI_Allreduce(&value, &result, 1, TypeDouble, OpMax, CommWorld), "MPI_Allreduce");
        return result;
    }

    /// <inheritdoc/>
    public void PrefixSums(ReadOnlySpan<int> mine, Span<int> below, Span<int> all)
    {
        fixed (int* send = mine)
        fixed (int* b = below)
        fixed (int* a = all)
        {
            Check(MPI_Exscan(send, b, mine.Length, TypeInt, OpSum, CommWorld), "MPI_Exscan");
            Check(MPI_Allreduce(send, a, mine.Length, TypeInt, OpSum, CommWorld), "MPI_Allreduce");
        }
        if (Rank == 0) below[..mine.Length].Clear(); // MPI leaves process 0's result undefined
    }

    /// <summary>Ends MPI (MPI_Finalize), once.</summary>
    public void Dispose()
    {
        if (_finalized) return;
        _finalized = true;
        _ = MPI_Finalize();
    }

    /// <summary>Ends every process of the job with <paramref name="code"/> (MPI_Abort): for an error on one process that
    /// the others, waiting in a collective call, would never learn of.</summary>
    public static void Abort(int code) => _ = MPI_Abort(CommWorld, code);

    private static void Check(int code, string call)
    {
        if (code != 0) throw new InvalidOperationException($"MPI: {call} failed with error code {code}");
    }

    [LibraryImport(Lib)] private static partial int MPI_Init_thread(int* argc, byte*** argv, int required, out int provided);
    [LibraryImport(Lib)] private static partial int MPI_Comm_rank(int comm, out int rank);
    [LibraryImport(Lib)] private static partial int MPI_Comm_size(int comm, out int size);
    [LibraryImport(Lib)] private static partial int MPI_Allgather(void* send, int sendCount, int sendType, void* receive, int receiveCount, int receiveType, int comm);
    [LibraryImport(Lib)] private static partial int MPI_Allgatherv(void* send, int sendCount, int sendType, void* receive, int* receiveCounts, int* displacements, int receiveType, int comm);
    [LibraryImport(Lib)] private static partial int MPI_Allreduce(void* send, void* receive, int count, int type, int op, int comm);
    [LibraryImport(Lib)] private static partial int MPI_Exscan(void* send, void* receive, int count, int type, int op, int comm);
    [LibraryImport(Lib)] private static partial int MPI_Finalize();
    [LibraryImport(Lib)] private static partial int MPI_Abort(int comm, int code);
}
