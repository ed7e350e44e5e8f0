namespace BioSim.Workflows.Runs;

/// <summary>The output of a run already exists and overwriting was not asked for: nothing was touched. The message says what
/// the file holds and how to continue it (resume) or replace it (--force).</summary>
public sealed class OutputExistsException : IOException
{
    /// <summary>An exception with <paramref name="message"/>.</summary>
    public OutputExistsException(string message) : base(message)
    {
    }

    /// <summary>An exception with no message.</summary>
    public OutputExistsException()
    {
    }

    /// <summary>An exception with <paramref name="message"/> caused by <paramref name="inner"/>.</summary>
    public OutputExistsException(string message, Exception inner) : base(message, inner)
    {
    }
}
