namespace BioSim.Workflows.Sweep;

/// <summary>How a sweep task runs: threads, checkpoint cadence, where its log goes, and the signals' requests.</summary>
public sealed record SweepTaskContext
{
    /// <summary>Worker threads of the task (results do not depend on them).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Wall time between checkpoints, or null for the workflow's default.</summary>
    public TimeSpan? CheckpointEvery { get; init; }

    /// <summary>The task's log (its folder's <c>log</c>; also stderr under Slurm).</summary>
    public required TextWriter Log { get; init; }

    /// <summary>Stops the task at its next safe point after a checkpoint (SIGTERM, Ctrl-C, SIGUSR1 in Slurm).</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>A checkpoint without stopping (SIGUSR1 outside Slurm).</summary>
    public CheckpointRequest? CheckpointNow { get; init; }
}
