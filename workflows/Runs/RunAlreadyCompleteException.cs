namespace BioSim.Workflows.Runs;

/// <summary><see cref="ExperimentRunner.Resume"/> was asked to continue a run that reached its end: nothing was simulated and
/// nothing written. Scripts that resume whatever they find (a requeued job) treat it as success.</summary>
public sealed class RunAlreadyCompleteException : Exception
{
    /// <summary>An exception with <paramref name="message"/>.</summary>
    public RunAlreadyCompleteException(string message) : base(message)
    {
    }

    /// <summary>An exception with no message.</summary>
    public RunAlreadyCompleteException()
    {
    }

    /// <summary>An exception with <paramref name="message"/> caused by <paramref name="inner"/>.</summary>
    public RunAlreadyCompleteException(string message, Exception inner) : base(message, inner)
    {
    }
}
