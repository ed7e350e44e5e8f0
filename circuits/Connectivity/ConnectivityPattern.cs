namespace BioSim.Circuits.Connectivity;

/// <summary>
/// Which source connects to which target, in compressed sparse row form: the targets of source
/// <c>i</c> are <c>Targets[RowStart[i]..RowStart[i + 1]]</c>, ascending.
/// </summary>
public sealed class ConnectivityPattern
{
    /// <summary>Takes the arrays as they are (no copy); only the ends of <paramref name="rowStart"/> are checked.</summary>
    /// <param name="rowStart">Row offsets, one more than there are sources: 0 first, the number of synapses last, non-decreasing.</param>
    /// <param name="targets">Target index of each synapse, row by row, ascending within a row, each in [0, <paramref name="targetCount"/>).</param>
    /// <param name="targetCount">Number of neurons in the target population.</param>
    public ConnectivityPattern(int[] rowStart, int[] targets, int targetCount)
        : this(rowStart, targets, targetCount, 0, targetCount)
    {
    }

    /// <summary>The piece of a pattern that holds only the synapses onto targets [<paramref name="targetStart"/>,
    /// <paramref name="targetEnd"/>) (a process's own neurons in a split run); target indices stay those of the whole
    /// population. Takes the arrays as they are; only the ends of <paramref name="rowStart"/> and the range are checked.</summary>
    public ConnectivityPattern(int[] rowStart, int[] targets, int targetCount, int targetStart, int targetEnd)
    {
        if (rowStart.Length == 0 || rowStart[0] != 0 || rowStart[^1] != targets.Length)
        {
            throw new ArgumentException("rowStart must start at 0 and end at the number of synapses.");
        }
        CheckRange(targetCount, targetStart, targetEnd);
        RowStart = rowStart;
        Targets = targets;
        TargetCount = targetCount;
        TargetStart = targetStart;
        TargetEnd = targetEnd;
    }

    /// <summary>Throws unless 0 ≤ <paramref name="targetStart"/> ≤ <paramref name="targetEnd"/> ≤ <paramref name="targetCount"/>.</summary>
    internal static void CheckRange(int targetCount, int targetStart, int targetEnd)
    {
        if (targetStart < 0 || targetStart > targetEnd || targetEnd > targetCount)
        {
            throw new ArgumentException($"target range [{targetStart}, {targetEnd}) is not within the {targetCount} targets.");
        }
    }

    /// <summary>First target whose synapses this pattern holds: 0 unless it is a split run's piece.</summary>
    public int TargetStart { get; }

    /// <summary>End of the targets whose synapses this pattern holds: <see cref="TargetCount"/> unless it is a split run's piece.</summary>
    public int TargetEnd { get; }

    /// <summary>Whether this pattern holds the synapses onto every target (not a piece).</summary>
    public bool IsWhole => TargetStart == 0 && TargetEnd == TargetCount;

    /// <summary>Row offsets: the synapses of source i are [RowStart[i], RowStart[i + 1]); <see cref="SourceCount"/> + 1 entries.</summary>
    public int[] RowStart { get; }

    /// <summary>Target index of each synapse, in row (source) order; the order of a projection's weights and delays.</summary>
    public int[] Targets { get; }

    /// <summary>Number of neurons in the source population.</summary>
    public int SourceCount => RowStart.Length - 1;

    /// <summary>Number of neurons in the target population.</summary>
    public int TargetCount { get; }

    /// <summary>Number of synapses (the length of <see cref="Targets"/>).</summary>
    public int SynapseCount => Targets.Length;

    /// <summary>
    /// Builds a pattern row by row straight into its target array (no list per row), so that building a
    /// projection costs little more memory than the projection itself.
    /// </summary>
    public sealed class RowBuilder
    {
        private readonly int[] _rowStart;
        private int[] _targets;
        private int _count;
        private int _rows;
        private readonly int _targetCount, _targetStart, _targetEnd;

        /// <param name="sourceCount">Number of rows the pattern will have, one per source neuron.</param>
        /// <param name="targetCount">Number of neurons in the target population.</param>
        /// <param name="expectedSynapses">A capacity estimate; the buffer grows by half when it is exceeded.</param>
        public RowBuilder(int sourceCount, int targetCount, long expectedSynapses)
            : this(sourceCount, targetCount, expectedSynapses, 0, targetCount)
        {
        }

        /// <summary>A builder of the piece of a pattern onto targets [<paramref name="targetStart"/>, <paramref name="targetEnd"/>)
        /// (the caller adds only those).</summary>
        public RowBuilder(int sourceCount, int targetCount, long expectedSynapses, int targetStart, int targetEnd)
        {
            CheckRange(targetCount, targetStart, targetEnd);
            _rowStart = new int[sourceCount + 1];
            _targets = new int[(int)Math.Clamp(expectedSynapses, 16, Array.MaxLength)];
            _targetCount = targetCount;
            _targetStart = targetStart;
            _targetEnd = targetEnd;
        }

        /// <summary>Appends a synapse to <paramref name="target"/> to the current row; rows must list targets in ascending order.</summary>
        public void Add(int target)
        {
            if (_count == _targets.Length)
            {
                if (_count == Array.MaxLength) throw new InvalidOperationException($"More than {Array.MaxLength} synapses in one projection.");
                Array.Resize(ref _targets, (int)Math.Min(Array.MaxLength, _targets.Length + (long)_targets.Length / 2 + 16));
            }
            _targets[_count++] = target;
        }

        /// <summary>Removes <paramref name="target"/> from the current row if it is there (e.g. an autapse that is not allowed).</summary>
        public void RemoveFromRow(int target)
        {
            for (int k = _rowStart[_rows]; k < _count; k++)
            {
                if (_targets[k] != target) continue;
                Array.Copy(_targets, k + 1, _targets, k, _count - k - 1);
                _count--;
                return;
            }
        }

        /// <summary>Closes the current row (source); the next <see cref="Add"/> starts the next one.</summary>
        public void EndRow() => _rowStart[++_rows] = _count;

        /// <summary>The pattern, once every source's row has been ended; the target buffer is trimmed to the synapse count.</summary>
        public ConnectivityPattern Build()
        {
            if (_rows != _rowStart.Length - 1) throw new InvalidOperationException($"{_rows} rows ended, {_rowStart.Length - 1} expected.");
            if (_targets.Length != _count) Array.Resize(ref _targets, _count);
            return new ConnectivityPattern(_rowStart, _targets, _targetCount, _targetStart, _targetEnd);
        }
    }

    /// <summary>Builds the CSR form (by source) from one list of sources per target, keeping targets ascending in each row.</summary>
    public static ConnectivityPattern FromColumns(IReadOnlyList<int[]> sourcesOfTarget, int sourceCount)
    {
        long total = 0;
        foreach (var column in sourcesOfTarget) total += column.Length;
        if (total > Array.MaxLength) throw new InvalidOperationException($"More than {Array.MaxLength} synapses in one projection.");
        var flat = new int[total];
        int at = 0;
        foreach (var column in sourcesOfTarget)
        {
            column.CopyTo(flat, at);
            at += column.Length;
        }
        var lengths = new int[sourcesOfTarget.Count];
        for (int j = 0; j < lengths.Length; j++) lengths[j] = sourcesOfTarget[j].Length;
        return FromColumns(flat, 0, sourceCount, lengths.Length, 0, lengths.Length, lengths);
    }

    /// <summary>
    /// Builds the CSR form (by source) of the synapses onto targets [<paramref name="targetStart"/>, <paramref name="targetEnd"/>)
    /// from their sources, column after column: target <c>targetStart + c</c>'s sources are
    /// <c>sources[c·perTarget .. (c + 1)·perTarget)</c> (or <paramref name="columnLengths"/>[c] of them, in order, when given).
    /// Targets come out ascending in each row, and each row lists a target's repeated source as often as it was drawn.
    /// </summary>
    internal static ConnectivityPattern FromColumns(int[] sources, int perTarget, int sourceCount, int targetCount, int targetStart, int targetEnd,
        int[]? columnLengths = null)
    {
        var rowStart = new int[sourceCount + 1];
        foreach (int src in sources) rowStart[src + 1]++;
        for (int i = 0; i < sourceCount; i++) rowStart[i + 1] += rowStart[i];
        var fill = rowStart[..^1];
        var targets = new int[sources.Length];
        int k = 0;
        for (int j = targetStart; j < targetEnd; j++)
        {
            int end = k + (columnLengths is null ? perTarget : columnLengths[j - targetStart]);
            for (; k < end; k++) targets[fill[sources[k]]++] = j;
        }
        return new ConnectivityPattern(rowStart, targets, targetCount, targetStart, targetEnd);
    }
}
