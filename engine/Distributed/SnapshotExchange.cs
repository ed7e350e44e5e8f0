using BioSim.Engine.Simulation;

namespace BioSim.Engine.Distributed;

/// <summary>
/// Moves <see cref="StateSnapshot"/>s between the processes of a split run as flat arrays: the step, then each real array
/// (its length, then its values) in key order, then each integer array (its length, then its values' bits, so 64-bit random
/// stream positions survive exactly). Every process of a split run builds the same simulation, so its snapshot has the same
/// keys everywhere; the lengths may differ (a plastic projection's weights and pending arrivals are those of the synapses
/// the process keeps), which is why each array carries its own.
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
            values[at++] = array.Length;
            array.CopyTo(values, at);
            at += array.Length;
        }
        foreach (var array in snapshot.Integers.Values)
        {
            values[at++] = array.Length;
            foreach (long v in array) values[at++] = BitConverter.Int64BitsToDouble(v);
        }
        return values;
    }

    /// <summary>Values in <see cref="Flatten"/>'s layout: 1 + every array's length + one length per array.</summary>
    public static int Length(StateSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return 1 + snapshot.Reals.Count + snapshot.Reals.Values.Sum(a => a.Length) + snapshot.Integers.Count + snapshot.Integers.Values.Sum(a => a.Length);
    }

    /// <summary>A snapshot with <paramref name="layout"/>'s keys and the arrays in <paramref name="values"/> (each with the length
    /// it carries).</summary>
    public static StateSnapshot Unflatten(ReadOnlySpan<double> values, StateSnapshot layout)
    {
        var snapshot = Read(values, layout, out int used);
        if (used != values.Length)
            throw new InvalidOperationException($"A snapshot of {values.Length} values holds {used} for this simulation's arrays: the processes did not build the same simulation.");
        return snapshot;
    }

    /// <summary>Reads one snapshot from the start of <paramref name="values"/>; <paramref name="used"/> says how many values it took.</summary>
    private static StateSnapshot Read(ReadOnlySpan<double> values, StateSnapshot layout, out int used)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var snapshot = new StateSnapshot { Step = BitConverter.DoubleToInt64Bits(values[0]) };
        int at = 1;
        foreach (string key in layout.Reals.Keys)
        {
            int n = LengthAt(values, at++, key);
            snapshot.Put(key, values.Slice(at, n));
            at += n;
        }
        foreach (string key in layout.Integers.Keys)
        {
            int n = LengthAt(values, at++, key);
            var bits = new long[n];
            for (int k = 0; k < n; k++) bits[k] = BitConverter.DoubleToInt64Bits(values[at + k]);
            snapshot.Put(key, bits);
            at += n;
        }
        used = at;
        return snapshot;
    }

    private static int LengthAt(ReadOnlySpan<double> values, int at, string key)
    {
        if (at >= values.Length || !(values[at] >= 0) || values[at] > values.Length - at - 1 || values[at] != Math.Floor(values[at]))
            throw new InvalidOperationException($"A snapshot's array '{key}' does not fit the values sent: the processes did not build the same simulation.");
        return (int)values[at];
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
        if (processes.Rank == 0 && parts!.Length != processes.Size)
            throw new InvalidOperationException($"Process 0 handed out {parts.Length} parts for {processes.Size} processes.");
        double[] mine = processes.Rank == 0 ? parts!.SelectMany(Flatten).ToArray() : [];
        double[] all = [];
        var counts = new int[processes.Size];
        processes.AllGather(mine, ref all, counts);
        int at = 0;
        for (int r = 0; r < processes.Rank; r++)
        {
            Read(all.AsSpan(at, counts[0] - at), layout, out int used);
            at += used;
        }
        var own = Read(all.AsSpan(at, counts[0] - at), layout, out _);
        return own;
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
