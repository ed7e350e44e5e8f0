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
    {
        if (rowStart.Length == 0 || rowStart[0] != 0 || rowStart[^1] != targets.Length)
        {
            throw new ArgumentException("rowStart must start at 0 and end at the number of synapses.");
        }
        RowStart = rowStart;
        Targets = targets;
        TargetCount = targetCount;
    }

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
        private readonly int _targetCount;

        /// <param name="sourceCount">Number of rows the pattern will have, one per source neuron.</param>
        /// <param name="targetCount">Number of neurons in the target population.</param>
        /// <param name="expectedSynapses">A capacity estimate; the buffer grows by half when it is exceeded.</param>
        public RowBuilder(int sourceCount, int targetCount, long expectedSynapses)
        {
            _rowStart = new int[sourceCount + 1];
            _targets = new int[(int)Math.Clamp(expectedSynapses, 16, Array.MaxLength)];
            _targetCount = targetCount;
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
            return new ConnectivityPattern(_rowStart, _targets, _targetCount);
        }
    }

    /// <summary>Builds the CSR form (by source) from one list of sources per target, keeping targets ascending in each row.</summary>
    public static ConnectivityPattern FromColumns(IReadOnlyList<int[]> sourcesOfTarget, int sourceCount)
    {
        var rowStart = new int[sourceCount + 1];
        long total = 0;
        foreach (var column in sourcesOfTarget)
        {
            foreach (int src in column) rowStart[src + 1]++;
            total += column.Length;
        }
        if (total > Array.MaxLength) throw new InvalidOperationException($"More than {Array.MaxLength} synapses in one projection.");
        for (int i = 0; i < sourceCount; i++) rowStart[i + 1] += rowStart[i];
        var fill = rowStart[..^1].ToArray();
        var targets = new int[total];
        for (int j = 0; j < sourcesOfTarget.Count; j++)
        {
            foreach (int src in sourcesOfTarget[j]) targets[fill[src]++] = j;
        }
        return new ConnectivityPattern(rowStart, targets, sourcesOfTarget.Count);
    }
}
