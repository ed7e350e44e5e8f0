using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace BioSim.Workflows.Sweep;

/// <summary>
/// Runs sweep tasks on this machine with at most a given number at a time: one worker process per slot (each started
/// once, running task after task in-process, so a task costs no start-up of its own), fed task numbers on its stdin
/// (one per line) and answering "N exit-code seconds" on its stdout. Workers are separate processes because each task
/// writes its own HDF5 files and the system libhdf5 is not thread-safe. When <c>cancel</c> trips (SIGTERM, Ctrl-C of
/// <c>biosim sweep --local</c>) every worker gets SIGTERM: its running task stops at its next safe point with a checkpoint
/// (exit 75), and no further task starts.
/// </summary>
public static class LocalScheduler
{
    /// <summary>Runs <paramref name="tasks"/> on <paramref name="slots"/> workers started by <paramref name="worker"/>
    /// (stdin and stdout redirected); <paramref name="finished"/>(task, exit code, seconds) is called as each ends (exit code −1:
    /// its worker died). Returns whether it was interrupted.</summary>
    public static bool Run(IReadOnlyList<int> tasks, int slots, Func<ProcessStartInfo> worker, Action<int, int, double> finished, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(worker);
        ArgumentNullException.ThrowIfNull(finished);
        var queue = new ConcurrentQueue<int>(tasks);
        var running = new ConcurrentDictionary<int, Process>();
        bool interrupted = false;
        using var registration = cancel.Register(() =>
        {
            interrupted = true;
            foreach (var p in running.Values) Terminate(p);
        });
        var threads = new List<Thread>();
        for (int s = 0; s < Math.Min(slots, tasks.Count); s++)
        {
            var thread = new Thread(() =>
            {
                using var process = Process.Start(worker()) ?? throw new InvalidOperationException("cannot start a sweep worker");
                running[process.Id] = process;
                if (cancel.IsCancellationRequested) Terminate(process);
                try
                {
                    while (!cancel.IsCancellationRequested && queue.TryDequeue(out int task))
                    {
                        process.StandardInput.WriteLine(task.ToString(CultureInfo.InvariantCulture));
                        process.StandardInput.Flush();
                        string? line = process.StandardOutput.ReadLine();
                        string[] parts = line?.Split(' ') ?? [];
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
                    try
                    {
                        process.StandardInput.Close();
                    }
                    catch (IOException)
                    {
                        // Already gone.
                    }
                    process.WaitForExit();
                    running.TryRemove(process.Id, out _);
                }
            }) { IsBackground = true, Name = $"sweep slot {s}" };
            thread.Start();
            threads.Add(thread);
        }
        foreach (var t in threads) t.Join();
        return interrupted;
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
}
