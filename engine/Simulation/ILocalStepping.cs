using BioSim.Engine.Ode;

namespace BioSim.Engine.Simulation;

/// <summary>
/// A population whose cells can each take their own adaptive Runge-Kutta steps between their input events and the step
/// boundaries (an experiment's per-population <c>"integration": {"method": "adaptive", "rtol", "atol"}</c>), instead of
/// the model's fixed-step scheme. Spikes are then located on the steps' dense output.
/// </summary>
public interface ILocalStepping
{
    /// <summary>True once <see cref="UseLocalSteps"/> was called.</summary>
    bool UsesLocalSteps { get; }

    /// <summary>Switches every cell to its own adaptive steps with <paramref name="options"/> (rtol, atol, step limits);
    /// call before the first step. The per-cell step sizes and step counts become part of the checkpointed state.</summary>
    void UseLocalSteps(AdaptiveOptions options);

    /// <summary>Accepted adaptive steps of all cells so far (0 with the fixed-step scheme).</summary>
    long LocalStepsTaken { get; }
}
