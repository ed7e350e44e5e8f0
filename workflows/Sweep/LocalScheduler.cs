using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace BioSim.Workflows.Sweep;

/// <summary>
/// Runs sweep tasks on this machine with at most a given number at a time. One slot runs tasks in the calling process;
/// each other slot is a worker process, started once (<see cref="Start"/>, before the sweep is even expanded, so that its
/// runtime start-up overlaps the expansion) and running task after task in-process: fed task numbers on its stdin (one
/// per line), answering "N exit-code seconds" on its stdout. Workers are separate processes because each task writes its
/// own HDF5 files and the system libhdf5 is not thread-safe (the calling process does no other HDF5 work while tasks run).
/// When <c>cancel</c> trips (SIGTERM, Ctrl-C of <c>biosim sweep --local</c>) every worker gets SIGTERM: its running task stops
/// at its next safe point with a checkpoint (exit 75), as does the in-process one, and no further task starts.
/// </summary>
public sealed class LocalScheduler : IDisposable
{
    private readonly List<Process> _workers;

    private LocalScheduler(List<Process> workers) => _workers = workers;

    /// <summary>Starts <paramref name="slots"/> − 1 worker processes with <paramref name="worker"/> (stdin and stdout redirected);
    /// they wait for task numbers. Disposing closes their stdin, which ends them.</summary>
    public static LocalScheduler Start(int slots, Func<ProcessStartInfo> worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        var workers = new List<Process>();
        for (int s = 1; s < slots; s++) workers.Add(Process.Start(worker()) ?? throw new InvalidOperationException("cannot start a sweep worker"));
        return new LocalScheduler(workers);
    }

    /// <summary>Slots: the workers and the calling process.</summary>
    public int Slots => _workers.Count + 1;

    /// <summary>Runs <paramref name="tasks"/>: the calling process through <paramref name="inProcess"/> (task → exit code), the workers
    /// through their stdin; <paramref name="finished"/>(task, exit code, seconds) is called as each ends (exit code −1: its worker
    /// died). Returns whether it was interrupted.</summary>
    public bool Run(IReadOnlyList<int> tasks, Func<int, int> inProcess, Action<int, int, double> finished, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(inProcess);
        ArgumentNullException.ThrowIfNull(finished);
        var queue = new ConcurrentQueue<int>(tasks);
        bool interrupted = false;
        using var registration = cancel.Register(() =>
        {
            interrupted = true;
            foreach (var p in _workers) Terminate(p);
        });
        var threads = _workers.Select((process, s) => new Thread(() => Feed(process, queue, finished, cancel)) { IsBackground = true, Name = $"sweep slot {s + 1}" }).ToList();
        foreach (var t in threads) t.Start();
        while (!cancel.IsCancellationRequested && queue.TryDequeue(out int task))
        {
            var clock = Stopwatch.StartNew();
            int code = inProcess(task);
            finished(task, code, clock.Elapsed.TotalSeconds);
            if (code is 75 or 130) break;
        }
        foreach (var t in threads) t.Join();
        return interrupted;
    }

    private static void Feed(Process process, ConcurrentQueue<int> queue, Action<int, int, double> finished, CancellationToken cancel)
    {
        try
        {
            while (!cancel.IsCancellationRequested && queue.TryDequeue(out int task))
            {
                process.StandardInput.WriteLine(task.ToString(CultureInfo.InvariantCulture));
                process.StandardInput.Flush();
                string[] parts = process.StandardOutput.ReadLine()?.Split(' ') ?? [];
                if (parts.Length < 3)
                {
                    finished(task, -1, 0);
                    break;
                }
                int code = int.Parse(parts[1], CultureInfo.InvariantCulture);
                finished(task, code, double.Parse(parts[2], CultureInfo.InvariantCulture));
                if (code is 75 or 130) break;
            }
        }
        catch (IOException)
        {
            // The worker went away (killed); its task is judged from its folder.
        }
        finally
        {
            Close(process);
        }
    }

    private static void Close(Process process)
    {
        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // Already gone.
        }
    }

    /// <summary>SIGTERM to <paramref name="process"/> (by its id, with kill(1)).</summary>
    private static void Terminate(Process process)
    {
        try
        {
            if (process.HasExited) return;
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false });
            kill?.WaitForExit();
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // It ended meanwhile.
        }
    }

    /// <summary>Closes the workers' stdin (they finish and exit) and waits for them.</summary>
    public void Dispose()
    {
        foreach (var p in _workers)
        {
            Close(p);
            p.WaitForExit();
            p.Dispose();
        }
    }
}
