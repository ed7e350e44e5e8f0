namespace BioSim.Engine.Simulation;

/// <summary>How spikes travel from source to target (an experiment's <c>"timing"</c>).</summary>
public enum SpikeTiming
{
    /// <summary>Delays rounded to whole steps (round(d/dt)); input is taken at the start of the step it arrives in.</summary>
    Grid,

    /// <summary>
    /// Continuous delays: a spike at t_s with delay d arrives at t_s + d, and the target integrates exactly up to that
    /// time inside the step (NEST's precise-spike models, Morrison et al. 2007). Every delay must be at least one step.
    /// </summary>
    Exact,
}
