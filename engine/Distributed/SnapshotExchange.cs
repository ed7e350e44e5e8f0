using BioSim.Engine.Simulation;

namespace BioSim.Engine.Distributed;

/// <summary>
/// Moves <see cref="StateSnapshot"/>s between the processes of a split run as flat arrays: the step, the real arrays in key
/// order, then the integer arrays' bits (so 64-bit random stream positions survive exactly). Every process of a split run
/// builds the same simulation, so a snapshot's keys and lengths (its layout) are the same everywhere; only the values differ.
/// </summary>
public static class SnapshotExchange
{
    /// <summary>The values of <paramref name="snapshot"/> in one array (layout above).</summary>
    public static double[] Flatten(StateSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var values = new double[Length(snapshot)];
        values[0] = BitConverter.Int64BitsToDouble(snapshot.Step);
        int at = 1;
        foreach (var array in snapshot.Reals.Values)
        {
            array.CopyTo(values, at);
            at += array.Length;
        }
        foreach (var array in snapshot.Integers.Values)
        {
            foreach (long v in array) values[at++] = BitConverter.Int64BitsToDouble(v);
        }
        return values;
    }

    /// <summary>Values in <see cref="Flatten"/>'s layout: 1 + every array's length.</summary>
    public static int Length(StateSnapshot layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return 1 + layout.Reals.Values.Sum(a => a.Length) + layout.Integers.Values.Sum(a => a.Length);
    }

    /// <summary>A snapshot with <paramref name="layout"/>'s keys and lengths and the values in <paramref name="values"/>.</summary>
    public static StateSnapshot Unflatten(ReadOnlySpan<double> values, StateSnapshot layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (values.Length != Length(layout))
            throw new InvalidOperationException($"A snapshot of {values.Length} values does not fit this simulation's {Length(layout)}: the processes did not build the same simulation.");
        var snapshot = new StateSnapshot { Step = BitConverter.DoubleToInt64Bits(values[0]) };
        int at = 1;
        foreach (var (key, array) in layout.Reals)
        {
            snapshot.Put(key, values.Slice(at, array.Length));
            at += array.Length;
        }
        foreach (var (key, array) in layout.Integers)
        {
            var bits = new long[array.Length];
            for (int k = 0; k < bits.Length; k++) bits[k] = BitConverter.DoubleToInt64Bits(values[at + k]);
            snapshot.Put(key, bits);
            at += array.Length;
        }
        return snapshot;
    }

    /// <summary>Every process's snapshot, by rank (collective: each process passes its own).</summary>
    public static StateSnapshot[] GatherAll(IProcessGroup processes, StateSnapshot mine)
    {
        ArgumentNullException.ThrowIfNull(processes);
        double[] all = [];
        var counts = new int[processes.Size];
        processes.AllGather(Flatten(mine), ref all, counts);
        var result = new StateSnapshot[processes.Size];
        int at = 0;
        for (int r = 0; r < processes.Size; r++)
        {
            result[r] = Unflatten(all.AsSpan(at, counts[r]), mine);
            at += counts[r];
        }
        return result;
    }

    /// <summary>Process 0's <paramref name="parts"/> (one snapshot per process) handed out: each process gets its own
    /// (collective: process 0 passes every part, the others null; <paramref name="layout"/> is the caller's own snapshot).</summary>
    public static StateSnapshot Scatter(IProcessGroup processes, StateSnapshot[]? parts, StateSnapshot layout)
    {
        ArgumentNullException.ThrowIfNull(processes);
        double[] mine = processes.Rank == 0 ? parts!.SelectMany(Flatten).ToArray() : [];
        double[] all = [];
        var counts = new int[processes.Size];
        processes.AllGather(mine, ref all, counts);
        int length = Length(layout);
        if (counts[0] != length * processes.Size)
            throw new InvalidOperationException($"Process 0 handed out {counts[0]} values for {processes.Size} processes of {length} each.");
        return Unflatten(all.AsSpan(processes.Rank * length, length), layout);
    }

    /// <summary>The keys under which process r's part of a split run's checkpoint is kept beside process 0's own keys.</summary>
    public static string Prefix(int rank) => $"process/{rank}/";

    /// <summary>Process 0's snapshot with every other process's arrays added under <see cref="Prefix"/>: one checkpoint.</summary>
    public static StateSnapshot Merge(StateSnapshot[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var merged = new StateSnapshot { Step = parts[0].Step };
        for (int r = 0; r < parts.Length; r++)
        {
            string prefix = r == 0 ? "" : Prefix(r);
            foreach (var (key, values) in parts[r].Reals) merged.Put(prefix + key, values);
            foreach (var (key, values) in parts[r].Integers) merged.Put(prefix + key, values);
        }
        return merged;
    }

    /// <summary>The parts <see cref="Merge"/> joined, for <paramref name="processes"/> processes.</summary>
    public static StateSnapshot[] Split(StateSnapshot merged, int processes)
    {
        ArgumentNullException.ThrowIfNull(merged);
        var parts = Enumerable.Range(0, processes).Select(_ => new StateSnapshot { Step = merged.Step }).ToArray();
        foreach (var (key, values) in merged.Reals) parts[RankOf(key, processes, out string k)].Put(k, values);
        foreach (var (key, values) in merged.Integers) parts[RankOf(key, processes, out string k)].Put(k, values);
        return parts;
    }

    private static int RankOf(string key, int processes, out string own)
    {
        own = key;
        if (!key.StartsWith("process/", StringComparison.Ordinal)) return 0;
        int slash = key.IndexOf('/', "process/".Length);
        int rank = int.Parse(key.AsSpan("process/".Length, slash - "process/".Length), System.Globalization.CultureInfo.InvariantCulture);
        if (rank < 1 || rank >= processes) throw new InvalidOperationException($"The checkpoint holds a part for process {rank}, beyond the {processes} of this run.");
        own = key[(slash + 1)..];
        return rank;
    }
}
