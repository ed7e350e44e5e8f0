namespace BioSim.Circuits.Connectivity;

/// <summary>
/// Which source connects to which target, in compressed sparse row form: the targets of source
/// <c>i</c> are <c>Targets[RowStart[i]..RowStart[i + 1]]</c>, ascending.
/// </summary>
public sealed class ConnectivityPattern
{
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

    public int[] RowStart { get; }

    public int[] Targets { get; }

    public int SourceCount => RowStart.Length - 1;

    public int TargetCount { get; }

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

        /// <param name="expectedSynapses">A capacity estimate; the buffer grows by half when it is exceeded.</param>
        public RowBuilder(int sourceCount, int targetCount, long expectedSynapses)
        {
            _rowStart = new int[sourceCount + 1];
            _targets = new int[(int)Math.Clamp(expectedSynapses, 16, Array.MaxLength)];
            _targetCount = targetCount;
        }

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

        public void EndRow() => _rowStart[++_rows] = _count;

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
