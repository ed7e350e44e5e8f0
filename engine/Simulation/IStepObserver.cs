using BioSim.Engine.Events;

namespace BioSim.Engine.Simulation;

/// <summary>Something the simulation calls after every step: probes and recorders.</summary>
public interface IStepObserver
{
    /// <summary>Called after the step ending at <paramref name="t"/>; <paramref name="spikes"/> holds each population's spikes of that step, time-sorted.</summary>
    void AfterStep(double t, IReadOnlyList<SpikeList> spikes);
}
