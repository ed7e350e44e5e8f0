using BioSim.Engine.Events;

namespace BioSim.Engine.Simulation;

/// <summary>Sends the spikes of one population to the input rings of another (a projection).</summary>
public interface ITransmitter
{
    /// <summary>Name of the source population.</summary>
    string Source { get; }

    /// <summary>Largest delay in steps (for sizing the target rings).</summary>
    int MaxDelaySteps(double dt);

    /// <summary>Prepares delay steps for the step size.</summary>
    void Prepare(double dt);

    /// <summary>Delivers the spikes emitted by the source in the current step.</summary>
    void Transmit(SpikeList spikes);

    /// <summary>The target population's name, or null when the transmitter does not name one (it is then never split by
    /// target range).</summary>
    string? TargetName => null;

    /// <summary>Whether <see cref="TransmitRange"/> may be used in grid timing (prepared with <see cref="Prepare"/>): each
    /// target then receives its inputs in exactly the order <see cref="Transmit"/> would add them, so splitting the
    /// delivery by target range over threads never changes a sum.</summary>
    bool CanTransmitByTargetRange => false;

    /// <summary>The synaptic deliveries <see cref="Transmit"/> makes for <paramref name="spikes"/> (used to decide whether
    /// spreading the delivery over threads pays); 0 when unknown.</summary>
    long Deliveries(SpikeList spikes) => 0;

    /// <summary>Delivers the spikes of the current step, like <see cref="Transmit"/>, to the targets in
    /// [<paramref name="start"/>, <paramref name="end"/>) only. Called for disjoint ranges in parallel when
    /// <see cref="CanTransmitByTargetRange"/>.</summary>
    void TransmitRange(SpikeList spikes, int start, int end) =>
        throw new NotSupportedException($"{GetType().Name} cannot deliver by target range.");

    /// <summary>Drops every synapse whose target lies outside [<paramref name="start"/>, <paramref name="end"/>): a process of a
    /// split run keeps only the synapses onto its own neurons (called before <see cref="Prepare"/>). A transmitter that
    /// cannot keeps them all (the default), which is also correct: it then delivers into neurons no one reads here.</summary>
    void KeepOnlyTargets(int start, int end)
    {
    }

    /// <summary>Shortest delay in steps of <paramref name="dt"/> (ms), rounded as <see cref="Prepare"/> rounds (a split run exchanges
    /// spikes once per this many steps); 0 when unknown, which makes a split run exchange every step.</summary>
    int MinDelaySteps(double dt) => 0;

    /// <summary>Shortest delay, ms (with exact timing, a split run exchanges spikes once per whole steps of it); 0 when unknown.</summary>
    double MinDelayMs => 0;

    /// <summary>Longest delay, ms (sizes the timed-event queues of <see cref="SpikeTiming.Exact"/>).</summary>
    double MaxDelayMs => throw new NotSupportedException($"{GetType().Name} does not support exact spike timing.");

    /// <summary>Prepares exact-time delivery for step <paramref name="dt"/> (ms): continuous delays, each at least one step,
    /// into the target's <see cref="IExactInput.TimedInput"/>; a transmitter that cannot throws.</summary>
    void PrepareExact(double dt) => throw new NotSupportedException($"{GetType().Name} does not support exact spike timing.");

    /// <summary>The target population's name when the transmitter runs a plasticity rule that needs the target's spikes
    /// (the simulation then calls <see cref="Learn"/> every step); null for a static transmitter.</summary>
    string? LearnsFrom => null;

    /// <summary>Runs the transmitter's plasticity over step <paramref name="step"/>, after delivery: <paramref name="pre"/>
    /// are the source's spikes of the step, <paramref name="post"/> the target's.</summary>
    void Learn(SpikeList pre, SpikeList post, long step)
    {
    }
}
