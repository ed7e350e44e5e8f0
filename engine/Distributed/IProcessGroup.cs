namespace BioSim.Engine.Distributed;

/// <summary>
/// The processes that share one simulation (MPI's world communicator, or one process alone). Every call is collective:
/// each process makes the same calls in the same order, and each call returns once every process has made it. Messages
/// are flat arrays of values, never serialised objects.
/// </summary>
public interface IProcessGroup
{
    /// <summary>This process's number, 0 to <see cref="Size"/> − 1.</summary>
    int Rank { get; }

    /// <summary>Number of processes.</summary>
    int Size { get; }

    /// <summary>
    /// Gathers every process's <paramref name="mine"/> into <paramref name="all"/> (grown when too short), in rank order,
    /// and the length each process gave into <paramref name="counts"/> (length <see cref="Size"/>); returns the total.
    /// </summary>
    int AllGather(ReadOnlySpan<double> mine, ref double[] all, Span<int> counts);

    /// <summary>The sum over the processes of <paramref name="value"/>.</summary>
    long Sum(long value);

    /// <summary>The largest <paramref name="value"/> of the processes.</summary>
    double Max(double value);

    /// <summary>Element-wise sums of every process's <paramref name="mine"/> (all of the same length): over the processes of
    /// lower rank into <paramref name="below"/> (zeros on process 0; MPI_Exscan) and over all of them into
    /// <paramref name="all"/> (MPI_Allreduce). A process of a split run learns so where its piece of each row of a projection
    /// starts in the whole row.</summary>
    void PrefixSums(ReadOnlySpan<int> mine, Span<int> below, Span<int> all);
}

/// <summary>One process alone: gathering returns its own values.</summary>
public sealed class SingleProcess : IProcessGroup
{
    /// <summary>The one instance.</summary>
    public static SingleProcess Instance { get; } = new();

    private SingleProcess()
    {
    }

    /// <inheritdoc/>
    public int Rank => 0;

    /// <inheritdoc/>
    public int Size => 1;

    /// <inheritdoc/>
    public int AllGather(ReadOnlySpan<double> mine, ref double[] all, Span<int> counts)
    {
        if (all.Length < mine.Length) all = new double[Math.Max(mine.Length, 2 * all.Length)];
        mine.CopyTo(all);
        counts[0] = mine.Length;
        return mine.Length;
    }

    /// <inheritdoc/>
    public long Sum(long value) => value;

    /// <inheritdoc/>
    public double Max(double value) => value;

    /// <inheritdoc/>
    public void PrefixSums(ReadOnlySpan<int> mine, Span<int> below, Span<int> all)
    {
        below[..mine.Length].Clear();
        mine.CopyTo(all);
    }
}
