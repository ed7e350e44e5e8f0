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
