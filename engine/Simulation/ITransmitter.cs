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
}
