namespace BioSim.Workflows;

/// <summary>Where a run (a simulation, one rule × seed of a comparison, a fit) stands.</summary>
public enum RunState
{
    /// <summary>Started and not finished (also what a killed run's file says).</summary>
    Running,

    /// <summary>Reached its end.</summary>
    Completed,

    /// <summary>Reached its end, but some of its parts diverged (a comparison with diverged runs).</summary>
    CompletedWithDivergedRuns,

    /// <summary>Stopped by SIGTERM or Ctrl-C after writing a checkpoint; it can be resumed.</summary>
    Cancelled,

    /// <summary>Stopped on numerical blow-up; the detail says where and when. It cannot be resumed.</summary>
    Diverged,
}
