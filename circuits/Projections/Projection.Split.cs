namespace BioSim.Circuits.Projections;

/// <summary>
/// A projection in a run split over processes, built from the start with only the synapses onto one process's own neurons
/// (a piece of the connectivity pattern, <see cref="Connectivity.ConnectivityPattern.TargetStart"/>): it is told where its
/// synapses lie in the whole projection and the whole projection's delays, which the process never holds, so that it
/// reports what the whole projection would (synapse count, delays that set the rings and the communication interval) and
/// a split run's writer can place each synapse in the whole projection's order.
/// </summary>
public sealed partial class Projection
{
    private (int Start, int End)? _piece;
    private (double Min, double Max)? _wholeDelayMs;

    /// <summary>
    /// Declares this projection one process's piece of a split run's projection: it holds exactly the whole projection's
    /// synapses onto targets [<paramref name="start"/>, <paramref name="end"/>), in the whole projection's row order (as a
    /// connectivity rule builds a piece). The whole projection has <paramref name="wholeCount"/> synapses; the first synapse
    /// this projection keeps in row i is synapse <paramref name="firstInWhole"/>[i] of the whole projection (CSR order), and
    /// the row's others follow it; the whole projection's delays lie in [<paramref name="minDelayMs"/>,
    /// <paramref name="maxDelayMs"/>]. Call before the simulation is built; its <see cref="KeepOnlyTargets"/> with this range
    /// then keeps everything.
    /// </summary>
    public void HoldPiece(int start, int end, int wholeCount, int[] firstInWhole, double minDelayMs, double maxDelayMs)
    {
        if (_piece is not null || _wholeCount >= 0) throw new InvalidOperationException($"Projection '{Name}' already holds a piece of a split projection.");
        if (start < 0 || start > end || end > Target.Size) throw new ArgumentException($"Projection '{Name}': targets [{start}, {end}) are not within population '{Target.Name}' of {Target.Size}.");
        if (firstInWhole.Length != _rowStart.Length - 1) throw new ArgumentException($"Projection '{Name}': {firstInWhole.Length} row offsets for {_rowStart.Length - 1} rows.");
        if (wholeCount < _targets.Length) throw new ArgumentException($"Projection '{Name}': a whole of {wholeCount} synapses cannot hold this piece's {_targets.Length}.");
        foreach (int target in _targets)
        {
            if (target < start || target >= end) throw new ArgumentException($"Projection '{Name}': a synapse onto target {target} lies outside the piece [{start}, {end}).");
        }
        _piece = (start, end);
        _wholeCount = wholeCount;
        _rowFirstKept = firstInWhole;
        _wholeDelayMs = (minDelayMs, maxDelayMs);
    }

    /// <summary>Whether this projection was built as the piece onto targets [<paramref name="start"/>, <paramref name="end"/>)
    /// (<see cref="HoldPiece"/>); a piece asked for another range throws.</summary>
    private bool IsPieceFor(int start, int end)
    {
        if (_piece is not { } piece) return false;
        if (piece != (start, end)) throw new InvalidOperationException($"Projection '{Name}' holds the synapses onto targets [{piece.Start}, {piece.End}), not [{start}, {end}).");
        return true;
    }

    /// <summary>Remembers the whole projection's shortest and longest delay before <see cref="KeepOnlyTargets"/> drops synapses,
    /// so that the delays it reports stay the whole projection's (the same on every process).</summary>
    private void RememberWholeDelays() => _wholeDelayMs ??= (MinDelayMs, MaxDelayMs);

    /// <summary>The delay (ms) of synapse <paramref name="k"/> (CSR order).</summary>
    public double Delay(int k) => _delaysMs is null ? _delay : _delaysMs[k];
}
