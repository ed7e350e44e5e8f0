namespace BioSim.Workflows;

/// <summary>
/// A request, from another thread (a signal handler), for a checkpoint at the next point the workflow can take one (a run's
/// next block end), without stopping: what SIGUSR1 asks of a run outside a Slurm job. Requests made before the checkpoint is
/// taken collapse into one.
/// </summary>
public sealed class CheckpointRequest
{
    private int _pending;

    /// <summary>Asks for a checkpoint at the next opportunity.</summary>
    public void Request() => Interlocked.Exchange(ref _pending, 1);

    /// <summary>Whether a checkpoint was asked for since the last call (and clears the request).</summary>
    public bool Take() => Interlocked.Exchange(ref _pending, 0) == 1;
}
