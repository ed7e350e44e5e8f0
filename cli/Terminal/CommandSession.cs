using System.Runtime.InteropServices;
using BioSim.Workflows;
using ShellProgressBar;

namespace BioSim.Cli.Terminal;

/// <summary>
/// What every long-running command (run, resume, compare, fit) needs from the console, in one place: the worker
/// threads (the option, else <c>SLURM_CPUS_PER_TASK</c>, checked), the signal contract, whether to draw a progress bar or
/// write plain log lines, and a progress adapter that reports on the calling thread.
/// </summary>
/// <remarks>
/// The signal contract (what a cluster user can rely on):
/// <list type="bullet">
/// <item>SIGTERM (scancel, preemption, time limit): the workflow stops at its next safe point, writes a checkpoint, flushes
/// and closes its files, and the command exits with <see cref="ExitCodes.Interrupted"/> (75, EX_TEMPFAIL: "interrupted,
/// resumable"). The job is never requeued on SIGTERM: it may be a user's scancel.</item>
/// <item>SIGUSR1 (sent ahead of the time limit with <c>sbatch --signal=B:USR1@seconds</c>): inside a Slurm job, the same as
/// SIGTERM and then <c>scontrol requeue</c> of the job itself, so that it continues from the checkpoint; outside Slurm, a
/// checkpoint at the next safe point without stopping.</item>
/// <item>Ctrl-C (SIGINT): as SIGTERM, with the shell's exit code 130.</item>
/// </list>
/// </remarks>
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
/// catch the <see cref="OperationCanceledException"/> of a stopped workflow and return <see cref="Interrupted(string)"/>, and let
/// <see cref="Program.Guard"/> turn a <see cref="UsageException"/> (a bad option) into exit code 2. Disposing the session
/// unhooks the signals.
/// </remarks>
internal sealed class CommandSession : IDisposable
{
    /// <summary>Narrower terminals get log lines: ShellProgressBar needs room for its bar and message.</summary>
    private const int LeastBarWidth = 60;

    /// <summary>SIGUSR1's number on Linux (PosixSignal names only the portable signals; raw numbers are accepted).</summary>
    private const PosixSignal SigUsr1 = (PosixSignal)10;

    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration _sigterm;
    private readonly PosixSignalRegistration? _sigusr1;
    private int _exitCode = ExitCodes.Interrupted;
    private bool _requeue;

    private CommandSession(int? threads, bool quiet)
    {
        Threads = threads;
        Quiet = quiet;
        Console.CancelKeyPress += OnCancelKeyPress;
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; Trip(); });
        if (OperatingSystem.IsLinux()) _sigusr1 = PosixSignalRegistration.Create(SigUsr1, OnUsr1);
    }

    /// <summary>Trips the cancellation. A signal can arrive after the command has ended and disposed it (under mpiexec, Hydra
    /// sends SIGTERM to the other processes when the first exits, and a handler already dispatched may run after Dispose):
    /// then there is nothing left to stop, and the late signal must not end the process with an exception.</summary>
    private void Trip()
    {
        try
        {
            _cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>The Slurm job that SIGUSR1 requeues: the array task (<c>ARRAYJOB_TASK</c>) or the job, or null outside Slurm.</summary>
    public static string? SlurmJob()
    {
        string? array = Environment.GetEnvironmentVariable("SLURM_ARRAY_JOB_ID"), task = Environment.GetEnvironmentVariable("SLURM_ARRAY_TASK_ID");
        if (!string.IsNullOrEmpty(array) && !string.IsNullOrEmpty(task)) return $"{array}_{task}";
        string? job = Environment.GetEnvironmentVariable("SLURM_JOB_ID");
        return string.IsNullOrEmpty(job) ? null : job;
    }

    /// <summary>Asked for by SIGUSR1 outside a Slurm job: a checkpoint at the workflow's next safe point, without stopping.</summary>
    public CheckpointRequest CheckpointNow { get; } = new();

    private void OnUsr1(PosixSignalContext context)
    {
        context.Cancel = true;
        if (SlurmJob() is null)
        {
            CheckpointNow.Request();
            return;
        }
        _requeue = true;
        Trip();
    }

    /// <summary>
    /// What a command returns when its workflow stopped on a signal (after the workflow wrote its checkpoint): prints
    /// <paramref name="message"/> (what was kept and how to continue), requeues the Slurm job when SIGUSR1 asked for it,
    /// and gives 75 (SIGTERM, SIGUSR1) or 130 (Ctrl-C).
    /// </summary>
    public int Interrupted(string message)
    {
        Program.Fail($"interrupted; {message}", _exitCode);
        if (_requeue && SlurmJob() is { } job) Requeue(job);
        return _exitCode;
    }

    private static void Requeue(string job)
    {
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("scontrol", ["requeue", job])
            {
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Console.Error.WriteLine(process.ExitCode == 0
                ? $"biosim: requeued Slurm job {job}; it continues from the checkpoint when it starts again"
                : $"biosim: error: scontrol requeue {job} failed ({error.Trim()}); requeue it by hand or resubmit");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.Error.WriteLine($"biosim: error: cannot run scontrol to requeue Slurm job {job} ({e.Message}); requeue it by hand or resubmit");
        }
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
        _sigusr1?.Dispose();
        _cancel.Dispose();
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        _exitCode = ExitCodes.Cancelled;
        Trip();
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
