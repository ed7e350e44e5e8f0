namespace BioSim.Cli;

/// <summary>Exit codes of <c>biosim</c>, documented in the README so that scripts can rely on them.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The run started but stopped: numerical blow-up (the output holds everything up to the last step).</summary>
    public const int RunFailed = 1;

    /// <summary>Bad input: command-line usage, or an experiment file that is not valid (the message names file and field).</summary>
    public const int BadInput = 2;

    /// <summary>A file could not be read or written (missing input, unwritable output, not an HDF5 file).</summary>
    public const int IoError = 3;

    /// <summary>Interrupted (Ctrl-C / SIGTERM); the output holds every completed block.</summary>
    public const int Cancelled = 130;
}
