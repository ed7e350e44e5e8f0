namespace BioSim.Engine.Distributed;

/// <summary>
/// Several "processes" inside one process, one per thread, exchanging through shared memory: the same collective
/// contract as MPI, so that a network split over P members can be checked against one process in a unit test without
/// mpiexec. <see cref="Create"/> makes the members; each must be used by its own thread.
/// </summary>
public sealed class InProcessGroup : IProcessGroup, IDisposable
{
    private sealed class Shared(int size) : IDisposable
    {
        public void Dispose()
        {
            Barrier.Dispose();
            Abandoned.Dispose();
        }

        public readonly Barrier Barrier = new(size);
        public readonly CancellationTokenSource Abandoned = new();
        public readonly double[][] Slots = new double[size][];
        public readonly int[] Lengths = new int[size];
        public readonly long[] Longs = new long[size];
        public readonly double[] Doubles = new double[size];
        public readonly int[][] Ints = new int[size][];
    }

    private readonly Shared _shared;

    private InProcessGroup(Shared shared, int rank)
    {
        _shared = shared;
        Rank = rank;
    }

    /// <summary>The <paramref name="size"/> members of a new group.</summary>
    public static InProcessGroup[] Create(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        var shared = new Shared(size);
        for (int r = 0; r < size; r++) shared.Slots[r] = new double[64];
        return Enumerable.Range(0, size).Select(r => new InProcessGroup(shared, r)).ToArray();
    }

    /// <summary>Releases the group's barrier (shared by every member): call once all members are done.</summary>
    public void Dispose() => _shared.Dispose();

    /// <summary>Ends the group for every member, as MPI_Abort ends a job: a member that failed calls it, and every member
    /// waiting in (or later entering) a collective call gets an <see cref="OperationCanceledException"/> instead of waiting for
    /// it for ever.</summary>
    public void Abandon() => _shared.Abandoned.Cancel();

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size => _shared.Slots.Length;

    /// <inheritdoc/>
    public int AllGather(ReadOnlySpan<double> mine, ref double[] all, Span<int> counts)
    {
        ref var slot = ref _shared.Slots[Rank];
        if (slot.Length < mine.Length) slot = new double[Math.Max(mine.Length, 2 * slot.Length)];
        mine.CopyTo(slot);
        _shared.Lengths[Rank] = mine.Length;
        _shared.Barrier.SignalAndWait(_shared.Abandoned.Token);
        int total = 0;
        for (int r = 0; r < Size; r++) total += counts[r] = _shared.Lengths[r];
        if (all.Length < total) all = new double[Math.Max(total, 2 * all.Length)];
        int at = 0;
        for (int r = 0; r < Size; r++)
        {
            _shared.Slots[r].AsSpan(0, counts[r]).CopyTo(all.AsSpan(at));
            at += counts[r];
        }
        _shared.Barrier.SignalAndWait(_shared.Abandoned.Token); // no member writes its slot again before all have read
        return total;
    }

    /// <inheritdoc/>
    public long Sum(long value)
    {
        _shared.Longs[Rank] = value;
        _shared.Barrier.SignalAndWait(_shared.Abandoned.Token);
        long sum = 0;
        foreach (long v in _shared.Longs) sum += v;
        _shared.Barrier.SignalAndWait(_shared.Abandoned.Token);
        return sum;
    }

    /// <inheritdoc/>
    public double Max(double value)
    {
        _shared.Doubles[Rank] = value;
        _shared.Barrier.SignalAndWait(_shared.Abandoned.Token);
        double max = double.NegativeInfinity;
        foreach (double v in _shared.Doubles) max = Math.Max(max, v);
        _shared.Barrier.SignalAndWait(_shared.Abandoned.Token);
        return max;
    }

    /// <inheritdoc/>
    public void PrefixSums(ReadOnlySpan<int> mine, Span<int> below, Span<int> all)
    {
        _shared.Ints[Rank] = mine.ToArray();
        _shared.Barrier.SignalAndWait(_shared.Abandoned.Token);
        below[..mine.Length].Clear();
        all[..mine.Length].Clear();
        for (int r = 0; r < Size; r++)
        {
            var theirs = _shared.Ints[r];
            if (theirs.Length != mine.Length) throw new InvalidOperationException($"PrefixSums: process {r} gave {theirs.Length} values, process {Rank} {mine.Length}.");
            for (int i = 0; i < theirs.Length; i++)
            {
                if (r < Rank) below[i] += theirs[i];
                all[i] += theirs[i];
            }
        }
        _shared.Barrier.SignalAndWait(_shared.Abandoned.Token); // no member replaces its array before all have read
    }
}
