namespace BioSim.Engine.Events;

/// <summary>
/// A target whose state responds linearly to timed input between threshold events (LIF with exponential current
/// synapses): the effect of an event at the end of its step is its weight times a kernel of the time left in the step.
/// A <see cref="TimedEventBuffer"/> in linear mode hands each step's events to it when the step becomes current, in the
/// order they were queued, so the target sums their effects in delivery order (thread-independent) into one accumulator (not
/// one per pending step: the accumulator stays small enough to stay in cache), and needs the events one by one, in time
/// order, only for the few neurons that fire or leave refractoriness in the step (it indexes them as it sums them).
/// This is NEST's iaf_psc_exp_ps idea taken one step further: no per-step sort of all events.
/// </summary>
public interface ILinearTimedInput
{
    /// <summary>Adds the end-of-step effects of the current step's <paramref name="events"/>, in their order, to an accumulator
    /// the target has cleared after its previous step: an event at time t has dt − clamp(t − <paramref name="stepStart"/>, 0, dt)
    /// ms of the step left (one queued into a step it rounds before is taken at the step's start). An event whose target is
    /// negative stands for every target of <paramref name="rows"/>[~target], in the row's order, with the event's port, time
    /// and weight.</summary>
    void AccumulateStep(ReadOnlySpan<TimedEvent> events, ReadOnlySpan<TimedRow> rows, double stepStart, double dt);

    /// <summary>Forgets every accumulated effect (the buffer is about to hand over its current step again, after a restore).</summary>
    void ClearAccumulated();
}
