using System.Runtime.InteropServices;
using ShellProgressBar;

namespace BioSim.Cli.Terminal;

/// <summary>
/// What every long-running command (run, resume, compare, fit) needs from the console, in one place: the worker
/// threads (the option, else <c>SLURM_CPUS_PER_TASK</c>, checked), a cancellation token that SIGTERM (a cluster
/// scheduler stopping the job) and Ctrl-C trip instead of killing the process, whether to draw a progress bar or
/// write plain log lines, and a progress adapter that reports on the calling thread.
/// </summary>
/// <remarks>
/// Use it as
/// <code>
/// using var session = CommandSession.Start(result.GetValue(threads), result.GetValue(quiet));
/// if (session.DrawsBar)
/// {
///     using var bar = CommandSession.NewBar("training");
///     workflow.Run(..., CommandSession.Progress&lt;P&gt;(p =&gt; bar.Tick(...)), session.Cancellation);
/// }
/// else workflow.Run(..., CommandSession.Progress&lt;P&gt;(p =&gt; Console.Error.WriteLine(...)), session.Cancellation);
/// </code>
/// and let <see cref="Program.Guard"/> turn a <see cref="UsageException"/> (a bad option) into exit code 2 and the
/// <see cref="OperationCanceledException"/> of a stopped workflow into 130. Disposing the session unhooks the signals.
/// </remarks>
internal sealed class CommandSession : IDisposable
{
    /// <summary>Narrower terminals get log lines: ShellProgressBar needs room for its bar and message.</summary>
    private const int LeastBarWidth = 60;

    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration _sigterm;

    private CommandSession(int? threads, bool quiet)
    {
        Threads = threads;
        Quiet = quiet;
        Console.CancelKeyPress += OnCancelKeyPress;
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; _cancel.Cancel(); });
    }

    /// <summary>
    /// Resolves and checks the threads (<paramref name="threads"/>, else <c>SLURM_CPUS_PER_TASK</c> when it is a
    /// positive number, else null: the workflow's own default) and starts listening for SIGTERM and Ctrl-C.
    /// </summary>
    /// <exception cref="UsageException">The resolved thread count is below 1.</exception>
    public static CommandSession Start(int? threads, bool quiet)
    {
        if (threads is null && int.TryParse(Environment.GetEnvironmentVariable("SLURM_CPUS_PER_TASK"), out int slurm) && slurm > 0) threads = slurm;
        AtLeastOne("--threads", threads);
        return new CommandSession(threads, quiet);
    }

    /// <summary>The worker threads asked for (by option or by Slurm), or null to leave the choice to the workflow.</summary>
    public int? Threads { get; }

    /// <summary>Whether the user asked for no progress output.</summary>
    public bool Quiet { get; }

    /// <summary>Tripped by SIGTERM or Ctrl-C (the process keeps running so that the workflow can write a checkpoint).</summary>
    public CancellationToken Cancellation => _cancel.Token;

    /// <summary>A progress bar, not log lines: not quiet, stdout and stderr both a terminal, and the terminal wide enough.</summary>
    public bool DrawsBar => !Quiet && !Console.IsErrorRedirected && !Console.IsOutputRedirected && TerminalWidth() >= LeastBarWidth;

    /// <summary>The terminal's width in columns, or 0 when there is none.</summary>
    public static int TerminalWidth()
    {
        try
        {
            return Console.WindowWidth;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>A bar of 1000 ticks labelled <paramref name="label"/> that disappears when disposed; call only when <see cref="DrawsBar"/>.</summary>
    public static ProgressBar NewBar(string label) =>
        new(1000, label, new ProgressBarOptions { ProgressCharacter = '─', CollapseWhenFinished = true, DisplayTimeInRealTime = false });

    /// <summary>
    /// An <see cref="IProgress{T}"/> that calls <paramref name="report"/> on the reporting thread
    /// (<see cref="Progress{T}"/> would post to the thread pool and reorder lines).
    /// </summary>
    public static IProgress<T> Progress<T>(Action<T> report) => new SynchronousProgress<T>(report);

    /// <summary>Checks an option that counts something (threads, epochs).</summary>
    /// <exception cref="UsageException"><paramref name="value"/> is below 1.</exception>
    public static void AtLeastOne(string option, int? value)
    {
        if (value is < 1) throw new UsageException($"{option} must be at least 1, got {value}");
    }

    /// <summary>Checks an option that is a wall time in seconds.</summary>
    /// <exception cref="UsageException"><paramref name="value"/> is negative or not finite.</exception>
    public static void Seconds(string option, double? value)
    {
        if (value is { } v && !(v >= 0 && double.IsFinite(v))) throw new UsageException($"{option} must be a number of seconds ≥ 0, got {v}");
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _sigterm.Dispose();
        _cancel.Dispose();
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        _cancel.Cancel();
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
