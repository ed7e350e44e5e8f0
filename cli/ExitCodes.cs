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

    /// <summary>Interrupted by SIGTERM or SIGUSR1 (EX_TEMPFAIL): a checkpoint was written and the command can be resumed (a
    /// requeued job continues); the output holds everything up to it.</summary>
    public const int Interrupted = 75;

    /// <summary>Interrupted by Ctrl-C (the shell's 128 + SIGINT); as resumable as <see cref="Interrupted"/>.</summary>
    public const int Cancelled = 130;
}
