namespace BioSim.Engine.Simulation;

/// <summary>
/// An observer of a split run (<see cref="Simulator"/> over several processes) that samples this process's own state:
/// called after every step as soon as this process has advanced it, while <see cref="IStepObserver.AfterStep"/> comes with
/// the whole network's spikes only at the end of the step's communication interval. With one process it is not called
/// (<see cref="IStepObserver.AfterStep"/> follows every step at once).
/// </summary>
public interface ILocalStepObserver
{
    /// <summary>Called after this process advanced its neurons through step <paramref name="stepIndex"/> − 1 (the simulator's
    /// <see cref="Simulator.StepIndex"/> is now <paramref name="stepIndex"/>).</summary>
    void AfterLocalStep(long stepIndex);
}
