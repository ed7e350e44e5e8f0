namespace BioSim.Engine.Events;

/// <summary>
/// A target whose state responds linearly to timed input between threshold events (LIF with exponential current
/// synapses): the effect of an event at the end of its step is its weight times a kernel of the time left in the step.
/// A <see cref="TimedEventBuffer"/> in linear mode hands every event to it as it is queued, so the target sums each
/// step's effects in delivery order (thread-independent) and needs the events one by one, in time order, only for the
/// few neurons that fire or leave refractoriness in the step (<see cref="TimedEventBuffer.EventsOf"/>). This is NEST's
/// iaf_psc_exp_ps idea taken one step further: no per-step sort of all events.
/// </summary>
public interface ILinearTimedInput
{
    /// <summary>Adds the end-of-step effect of one event of weight <paramref name="weight"/> on port <paramref name="port"/>
    /// to each of <paramref name="targets"/>, arriving <paramref name="remaining"/> ms (in [0, dt]) before the end of the
    /// step held in slot <paramref name="slot"/> of the buffer.</summary>
    void Accumulate(int slot, ReadOnlySpan<int> targets, int port, double remaining, double weight);

    /// <summary>Forgets every accumulated effect (the buffer is about to replay its pending events after a restore).</summary>
    void ClearAccumulated();
}
