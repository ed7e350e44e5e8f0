using System.Runtime.CompilerServices;
namespace BioSim.Engine.Events;

/// <summary>One synaptic event with its exact arrival time: target element, input port (receptor), time (ms) and weight.</summary>
/// <param name="Target">Index of the target element within its population.</param>
/// <param name="Port">Receptor index of the target population.</param>
/// <param name="Time">Absolute arrival time, ms (spike time plus the continuous delay).</param>
/// <param name="Weight">The weight, in the receptor's unit.</param>
/// <param name="Sequence">Position among the events of its step in the order they were added (ties of time keep it).</param>
public readonly record struct TimedEvent(int Target, int Port, double Time, double Weight, int Sequence);

/// <summary>The targets of one queued row (a spike's synapses with one weight and one delay): <paramref name="Count"/> entries of
/// <paramref name="Targets"/> from <paramref name="Start"/>, which the buffer reads when the row's step comes (the array is the
/// projection's own and does not change while the network runs).</summary>
public readonly record struct TimedRow(int[] Targets, int Start, int Count)
{
    /// <summary>The row's targets.</summary>
    public ReadOnlySpan<int> Span => Targets.AsSpan(Start, Count);
}

/// <summary>
/// Synaptic input waiting to arrive at a group of targets at exact (off-grid) times: the exact-timing counterpart of
/// <see cref="DelayRing"/> (NEST's precise-spike buffers, Morrison et al. 2007). One slot per step holds the events
/// that arrive inside that step; when the queue moves to a step, its events are sorted by (target, time, order added),
/// so each target finds its own events contiguous and in time order. The order added is the delivery order, which
/// the simulation keeps independent of the thread count; so is the sort. In linear mode (<see cref="UseLinearResponse"/>)
/// a step is not sorted but handed to the target whole, a spike's row as one entry.
/// </summary>
public sealed class TimedEventBuffer
{
    private readonly TimedEvent[][] _slots;
    private readonly int[] _counts;
    // Linear mode: a row (AddRow) is queued as one entry whose Target is ~(its index in the slot's row table), not one event per
    // synapse; _expanded counts the events a slot stands for (rows counted by their length).
    private readonly TimedRow[][] _rows;
    private readonly int[] _rowCounts;
    private readonly int[] _expanded;
    private int[]? _chainHead;
    private ulong[]? _bits;
    private int[] _next = new int[64];
    private TimedEvent[] _sorted = new TimedEvent[64];
    private int _head;
    private long _step;
    private ILinearTimedInput? _linear;

    /// <param name="targets">Number of target elements.</param>
    /// <param name="ports">Number of input ports (receptors) of each target.</param>
    /// <param name="dt">Step, ms; events are binned into the step whose interval [n dt, (n + 1) dt) holds their time.</param>
    /// <param name="slotCount">Steps held: the longest delay in steps plus three (the step being advanced, the step the
    /// source's spike lies in, and rounding).</param>
    /// <param name="snapshotCapacity">Pending events a snapshot can hold (checkpoint arrays have a fixed length).</param>
    public TimedEventBuffer(int targets, int ports, double dt, int slotCount, int snapshotCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(targets);
        ArgumentOutOfRangeException.ThrowIfLessThan(ports, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotCount, 2);
        if (!(dt > 0)) throw new ArgumentOutOfRangeException(nameof(dt), $"dt must be positive, got {dt}.");
        Targets = targets;
        Ports = ports;
        Dt = dt;
        SlotCount = slotCount;
        SnapshotCapacity = snapshotCapacity;
        _slots = new TimedEvent[slotCount][];
        _rows = new TimedRow[slotCount][];
        for (int k = 0; k < slotCount; k++)
        {
            _slots[k] = new TimedEvent[16];
            _rows[k] = new TimedRow[16];
        }
        _counts = new int[slotCount];
        _rowCounts = new int[slotCount];
        _expanded = new int[slotCount];
    }

    /// <summary>Number of target elements.</summary>
    public int Targets { get; }

    /// <summary>Number of input ports per target.</summary>
    public int Ports { get; }

    /// <summary>Step, ms.</summary>
    public double Dt { get; }

    /// <summary>Steps the queue holds.</summary>
    public int SlotCount { get; }

    /// <summary>Pending events a snapshot holds at most.</summary>
    public int SnapshotCapacity { get; }

    /// <summary>Index of the step whose events are <see cref="Current"/>.</summary>
    public long Step => _step;

    /// <summary>The events arriving during the current step, sorted by (target, time, order added); in linear mode
    /// (<see cref="UseLinearResponse"/>) the entries in the order added, where an entry whose <see cref="TimedEvent.Target"/> is
    /// negative stands for the row ~Target of <see cref="CurrentRows"/> (every target of the row, with the entry's port, time
    /// and weight).</summary>
    public ReadOnlySpan<TimedEvent> Current => _slots[_head].AsSpan(0, _counts[_head]);

    /// <summary>Linear mode: the rows the current step's row entries refer to.</summary>
    public ReadOnlySpan<TimedRow> CurrentRows => _rows[_head].AsSpan(0, _rowCounts[_head]);

    /// <summary>The slot holding the current step.</summary>
    public int CurrentSlot => _head;

    /// <summary>
    /// Linear mode: from now on each step's entries are handed to <paramref name="target"/> when the step becomes current,
    /// unsorted, a row (<see cref="AddRow"/>) as one entry; the target indexes them as it needs. Call before any event is queued.
    /// </summary>
    public void UseLinearResponse(ILinearTimedInput target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (PendingCount > 0) throw new InvalidOperationException("Linear mode must be chosen before any event is queued.");
        _linear = target;
    }

    /// <summary>Whether the buffer is in linear mode (<see cref="UseLinearResponse"/>).</summary>
    public bool IsLinear => _linear is not null;

    /// <summary>log₂ of the block size by which linear targets group their elements with events (1024, the simulation's chunk).</summary>
    public const int TargetBlockShift = 10;

    /// <summary>Pending events in every slot.</summary>
    public int PendingCount
    {
        get
        {
            int n = 0;
            foreach (int c in _expanded) n += c;
            return n;
        }
    }

    /// <summary>Index in <see cref="Current"/> of the first event whose target is ≥ <paramref name="target"/>.</summary>
    public int FirstOf(int target)
    {
        var events = Current;
        int lo = 0, hi = events.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (events[mid].Target < target) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>
    /// Queues an event arriving at <paramref name="time"/> (ms) for a later step than the current one: the step
    /// ⌊time/dt⌋ (a time that rounds into the current step or earlier goes to the next step, where the target takes
    /// it at the step's start). Throws when the time lies beyond the steps the queue holds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(int target, int port, double time, double weight)
    {
        int s = SlotOf(time, out _);
        ref var slot = ref _slots[s];
        int count = _counts[s];
        if (count == slot.Length) Array.Resize(ref slot, count * 2);
        slot[count] = new TimedEvent(target, port, time, weight, count);
        _counts[s] = count + 1;
        _expanded[s]++;
    }

    /// <summary>Queues one event of weight <paramref name="weight"/> at <paramref name="time"/> for each of the <paramref name="count"/>
    /// targets of <paramref name="targets"/> from <paramref name="start"/> (a spike's row with a uniform weight and delay), as
    /// <see cref="Add"/> does one by one. In linear mode the row is queued as one entry that refers to the array, which must not
    /// change while the row is pending.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddRow(int[] targets, int start, int count, int port, double time, double weight)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (count == 0) return;
        int s = SlotOf(time, out _);
        ref var slot = ref _slots[s];
        int n = _counts[s];
        _expanded[s] += count;
        if (_linear is not null)
        {
            ref var rows = ref _rows[s];
            int r = _rowCounts[s];
            if (r == rows.Length) Array.Resize(ref rows, 2 * r);
            rows[r] = new TimedRow(targets, start, count);
            _rowCounts[s] = r + 1;
            if (n == slot.Length) Array.Resize(ref slot, 2 * n);
            slot[n] = new TimedEvent(~r, port, time, weight, n);
            _counts[s] = n + 1;
            return;
        }
        if (n + count > slot.Length) Array.Resize(ref slot, Math.Max(2 * slot.Length, n + count));
        var events = slot.AsSpan(n, count);
        for (int k = 0; k < count; k++) events[k] = new TimedEvent(targets[start + k], port, time, weight, n + k);
        _counts[s] = n + count;
    }

    /// <summary>
    /// Queues <paramref name="events"/> (their <see cref="TimedEvent.Sequence"/> ignored) into the current step, which has not
    /// been advanced yet, and sorts it again: for input a population knows before its first step (a current device's changes
    /// inside step 0), since <see cref="Add"/> only reaches later steps.
    /// </summary>
    public void AddToCurrent(IReadOnlyList<TimedEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0) return;
        ref var slot = ref _slots[_head];
        int count = _counts[_head];
        if (count + events.Count > slot.Length) Array.Resize(ref slot, Math.Max(2 * slot.Length, count + events.Count));
        for (int k = 0; k < events.Count; k++)
        {
            var e = events[k];
            slot[count + k] = e with { Sequence = count + k };
        }
        _counts[_head] = count + events.Count;
        _expanded[_head] += events.Count;
        _linear?.ClearAccumulated(); // the current step is handed over again, whole
        Arrange();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int SlotOf(double time, out long ahead)
    {
        long n = (long)Math.Floor(time / Dt);
        ahead = n - _step;
        if (ahead < 1) ahead = 1;
        if (ahead >= SlotCount)
        {
            throw new InvalidOperationException($"An event at t = {time} ms lies {ahead} steps ahead; this buffer holds {SlotCount - 1} (the delays were not prepared for it).");
        }
        int s = _head + (int)ahead;
        return s >= SlotCount ? s - SlotCount : s;
    }

    /// <summary>Drops the current step's events, moves to the next step and sorts its events.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Advance()
    {
        _counts[_head] = 0;
        _rowCounts[_head] = 0;
        _expanded[_head] = 0;
        _head = _head + 1 == SlotCount ? 0 : _head + 1;
        _step++;
        Arrange();
    }

    /// <summary>Makes the current step's events ready to be taken: sorted, or handed to the linear target in linear mode.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Arrange()
    {
        if (_linear is null)
        {
            SortCurrent();
            return;
        }
        _linear.AccumulateStep(Current, CurrentRows, _step * Dt, Dt);
    }

    private void SortCurrent()
    {
        int count = _counts[_head];
        if (count < 2) return;
        var events = _slots[_head].AsSpan(0, count);
        // Grouped by target without a comparison sort: each target's events are chained (newest first) and the targets
        // marked in a bitmap, whose scan gives them in ascending order; each target's few events are then put in order
        // of (time, order added). O(events + targets/64) a step.
        if (_chainHead is null)
        {
            _chainHead = new int[Targets];
            Array.Fill(_chainHead, -1);
            _bits = new ulong[(Targets + 63) / 64];
        }
        if (_next.Length < count) _next = new int[Math.Max(count, 2 * _next.Length)];
        if (_sorted.Length < count) _sorted = new TimedEvent[Math.Max(count, 2 * _sorted.Length)];
        for (int e = 0; e < count; e++)
        {
            int target = events[e].Target;
            _next[e] = _chainHead[target];
            _chainHead[target] = e;
            _bits![target >> 6] |= 1UL << target;
        }
        var sorted = _sorted.AsSpan(0, count);
        int w = 0;
        for (int word = 0; word < _bits!.Length; word++)
        {
            ulong bits = _bits[word];
            if (bits == 0) continue;
            _bits[word] = 0;
            while (bits != 0)
            {
                int target = (word << 6) + System.Numerics.BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                int start = w;
                for (int e = _chainHead[target]; e >= 0; e = _next[e])
                {
                    // Insertion by (time, order added): the chain runs newest first, so most events go to the front.
                    var x = events[e];
                    int b = w - 1;
                    while (b >= start && (sorted[b].Time > x.Time || (sorted[b].Time == x.Time && sorted[b].Sequence > x.Sequence)))
                    {
                        sorted[b + 1] = sorted[b];
                        b--;
                    }
                    sorted[b + 1] = x;
                    w++;
                }
                _chainHead[target] = -1;
            }
        }
        // The grouped copy becomes the slot's storage (and the old storage the next scratch): no copy back.
        (_slots[_head], _sorted) = (_sorted, _slots[_head]);
    }

    /// <summary>Values <see cref="Save"/> writes: the step, the count, and five values per event up to <see cref="SnapshotCapacity"/>.</summary>
    public int StateLength => 2 + 5 * SnapshotCapacity;

    /// <summary>
    /// Writes the pending events (slot by slot from the current one, each slot in its stored order) into
    /// <paramref name="destination"/> of length <see cref="StateLength"/>: step, count, then per event its slot offset,
    /// target, port, time and weight (integers stored exactly as doubles). Throws when more events are pending than the
    /// snapshot holds.
    /// </summary>
    public void Save(Span<double> destination)
    {
        int pending = PendingCount;
        if (pending > SnapshotCapacity)
        {
            throw new InvalidOperationException($"{pending} timed synaptic events are pending, more than the {SnapshotCapacity} a checkpoint of this population holds.");
        }
        destination.Clear();
        destination[0] = _step;
        destination[1] = pending;
        int w = 2;
        for (int k = 0; k < SlotCount; k++)
        {
            int s = (_head + k) % SlotCount;
            for (int e = 0; e < _counts[s]; e++)
            {
                var ev = _slots[s][e];
                if (ev.Target >= 0)
                {
                    Write(destination, ref w, k, ev.Target, ev);
                    continue;
                }
                foreach (int target in _rows[s][~ev.Target].Span) Write(destination, ref w, k, target, ev);
            }
        }
    }

    private static void Write(Span<double> destination, ref int w, int slotOffset, int target, in TimedEvent ev)
    {
        destination[w++] = slotOffset;
        destination[w++] = target;
        destination[w++] = ev.Port;
        destination[w++] = ev.Time;
        destination[w++] = ev.Weight;
    }

    /// <summary>Restores what <see cref="Save"/> wrote (the current slot in its sorted order, the others in the order added).</summary>
    public void Load(ReadOnlySpan<double> source)
    {
        Array.Clear(_counts);
        Array.Clear(_rowCounts);
        Array.Clear(_expanded);
        _head = 0;
        _step = (long)source[0];
        int pending = (int)source[1];
        int r = 2;
        for (int e = 0; e < pending; e++)
        {
            int s = (int)source[r];
            ref var slot = ref _slots[s];
            int count = _counts[s];
            if (count == slot.Length) Array.Resize(ref slot, count * 2);
            slot[count] = new TimedEvent((int)source[r + 1], (int)source[r + 2], source[r + 3], source[r + 4], count);
            _counts[s] = count + 1;
            _expanded[s]++;
            r += 5;
        }
        if (_linear is null) return;
        // Linear mode: the target's accumulated effects are those of the current step's events, summed in the order they were
        // added (which Save kept, as the current step is not sorted in this mode): handing them over again gives the same bits.
        _linear.ClearAccumulated();
        Arrange();
    }
}
