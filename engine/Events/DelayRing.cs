using System.Runtime.CompilerServices;

namespace BioSim.Engine.Events;

/// <summary>
/// Synaptic input waiting to arrive at a group of targets: a ring of delay slots, one slot per time
/// step, each holding the summed input for every target (the fixed-step spike queue). An event sent
/// with delay <c>d</c> steps during step <c>n</c> is applied at the start of step <c>n + 1 + d</c>.
/// Sums are formed in delivery order, which the simulation keeps independent of the thread count.
/// </summary>
public sealed class DelayRing
{
    private readonly double[] _slots;
    private readonly bool[] _written;
    private int _head;

    /// <param name="targets">Number of target elements (neurons).</param>
    /// <param name="maxDelaySteps">Largest delay, in steps, this ring must hold.</param>
    public DelayRing(int targets, int maxDelaySteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(targets);
        ArgumentOutOfRangeException.ThrowIfNegative(maxDelaySteps);
        Targets = targets;
        // The slot being consumed plus one per step of delay: delay d lands d + 1 slots ahead.
        SlotCount = maxDelaySteps + 2;
        _slots = new double[(long)SlotCount * targets];
        _written = new bool[SlotCount];
    }

    /// <summary>Number of target elements (neurons): the length of every slot.</summary>
    public int Targets { get; }

    /// <summary>Slots in the ring: the largest delay in steps plus two (the slot being consumed, and a delay of d
    /// steps lands d + 1 slots ahead).</summary>
    public int SlotCount { get; }

    /// <summary>The input that arrives at the start of the current step (read, then <see cref="Advance"/>).</summary>
    /// <remarks>Writing into it injects input for the current step, so taking it marks the slot as written.</remarks>
    public Span<double> Current
    {
        get
        {
            _written[_head] = true;
            return _slots.AsSpan(_head * Targets, Targets);
        }
    }

    /// <summary>The current slot for the model that consumes it, without marking it as written.</summary>
    public Span<double> PeekCurrent() => _slots.AsSpan(_head * Targets, Targets);

    /// <summary>False when nothing was sent to (or taken as <see cref="Current"/> from) the current slot: it is all zero.</summary>
    public bool CurrentHasInput => _written[_head];

    /// <summary>The slot that arrives <paramref name="delaySteps"/> steps after the next one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Span<double> Slot(int delaySteps)
    {
        if ((uint)delaySteps > (uint)(SlotCount - 2))
        {
            throw new ArgumentOutOfRangeException(nameof(delaySteps), $"Delay of {delaySteps} steps exceeds this ring's maximum of {SlotCount - 2}.");
        }
        int s = _head + 1 + delaySteps;
        if (s >= SlotCount) s -= SlotCount;
        _written[s] = true;
        return _slots.AsSpan(s * Targets, Targets);
    }

    /// <summary>Moves the ring's reference step <paramref name="steps"/> steps back (negative: forward) without touching any slot, so
    /// that <see cref="Slot"/>(d) then addresses the slot that input sent with delay d that many steps ago lands in. A split run
    /// (<see cref="Simulation.Simulator"/>) delivers the spikes of a communication interval at its end this way, into the same
    /// slots as if each had been delivered in its own step; it moves the ring back by the same amount before the next step.</summary>
    public void Rewind(int steps)
    {
        int s = (_head - steps) % SlotCount;
        _head = s < 0 ? s + SlotCount : s;
    }

    /// <summary>Moves to the next step, clearing the slot just consumed unless the reader already zeroed it
    /// while reading (<paramref name="alreadyCleared"/>), which saves a pass over memory.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Advance(bool alreadyCleared = false)
    {
        if (!alreadyCleared && _written[_head]) PeekCurrent().Clear();
        _written[_head] = false;
        _head = _head + 1 == SlotCount ? 0 : _head + 1;
    }

    /// <summary>Copies the whole ring (pending input) into <paramref name="destination"/>, oldest slot first.</summary>
    public void Save(Span<double> destination)
    {
        for (int k = 0; k < SlotCount; k++)
        {
            int s = (_head + k) % SlotCount;
            _slots.AsSpan(s * Targets, Targets).CopyTo(destination.Slice(k * Targets, Targets));
        }
    }

    /// <summary>Restores pending input saved by <see cref="Save"/>.</summary>
    public void Load(ReadOnlySpan<double> source)
    {
        source.Slice(0, _slots.Length).CopyTo(_slots);
        _head = 0;
        // Conservatively treat every restored slot as written: skipping is only an optimisation.
        _written.AsSpan().Fill(true);
    }

    /// <summary>Values that <see cref="Save"/> writes and <see cref="Load"/> reads: <see cref="SlotCount"/> × <see cref="Targets"/>.</summary>
    public int StateLength => _slots.Length;
}
