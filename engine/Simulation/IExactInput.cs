using BioSim.Engine.Events;

namespace BioSim.Engine.Simulation;

/// <summary>A population that can take synaptic input at exact times inside a step (<see cref="SpikeTiming.Exact"/>).</summary>
public interface IExactInput
{
    /// <summary>The queue of timed events feeding every receptor (null until <see cref="EnableExactInput"/>).</summary>
    TimedEventBuffer? TimedInput { get; }

    /// <summary>Creates the timed-event queue for step <paramref name="dt"/> (ms), holding <paramref name="slotCount"/> steps;
    /// from then on the population takes its input from it at the events' times.</summary>
    void EnableExactInput(double dt, int slotCount);
}
