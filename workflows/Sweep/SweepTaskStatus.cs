using System.Text.Json;

namespace BioSim.Workflows.Sweep;

/// <summary>Where a task stands, as <c>biosim sweep status</c> lists it.</summary>
public enum SweepTaskState
{
    /// <summary>Never started, or its output is gone (deleted, or killed before its first checkpoint): it runs from the start.</summary>
    Missing,

    /// <summary>A process is running it (on this machine: its process is alive; elsewhere: its status file says so).</summary>
    Running,

    /// <summary>Stopped (a signal, a kill, a time limit) with a checkpoint: it continues from there.</summary>
    Stopped,

    /// <summary>Finished with a result.</summary>
    Done,

    /// <summary>Ended with an error (a diverged run, a bad file), named by <see cref="SweepTaskStatus.Detail"/>.</summary>
    Failed,
}

/// <summary>One task's state and its explanation.</summary>
/// <param name="Index">The task number.</param>
/// <param name="Folder">The task folder.</param>
/// <param name="State">Where it stands.</param>
/// <param name="Detail">For failed tasks the error line; for stopped ones where; for running ones the process and host.</param>
public sealed record SweepTaskStatus(int Index, string Folder, SweepTaskState State, string? Detail)
{
    /// <summary>Whether the task needs to run (again): missing or stopped.</summary>
    public bool Unfinished => State is SweepTaskState.Missing or SweepTaskState.Stopped;
}

/// <summary>How one call of <see cref="SweepWorkflow.RunTask"/> ended.</summary>
/// <param name="Index">The task.</param>
/// <param name="State">Done (also when it was done before: <paramref name="Skipped"/>), Failed or Stopped (interrupted).</param>
/// <param name="Detail">The error line of a failed task.</param>
/// <param name="Seconds">Wall time of this call.</param>
/// <param name="Skipped">The task was already done; nothing ran.</param>
/// <param name="ExitCode">What a process running only this task exits with: 0, 1 (diverged), 2 (bad input), 3 (file error), 75 (interrupted).</param>
public sealed record SweepTaskRun(int Index, SweepTaskState State, string? Detail, double Seconds, bool Skipped, int ExitCode);

/// <summary>
/// A task folder's status.json: written when a task starts ("running", with process id and host), and when it ends
/// ("done", "failed" with the error line, "stopped"), replaced atomically (write and rename), so that a SIGKILL leaves
/// either the old or the new one. A "running" file whose process is gone means the task was killed.
/// </summary>
internal sealed record TaskStatusFile(string State, int Pid, string Host, string Updated, string? Error = null, int? ExitCode = null, double? Seconds = null)
{
    public const string FileName = "status.json";

    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static TaskStatusFile? Read(string folder)
    {
        try
        {
            string path = Path.Combine(folder, FileName);
            return File.Exists(path) ? JsonSerializer.Deserialize<TaskStatusFile>(File.ReadAllText(path), Options) : null;
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }

    public void Write(string folder)
    {
        string path = Path.Combine(folder, FileName), temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Options));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Whether the process that wrote a "running" file still runs it: on this host, a live process of biosim's;
    /// on another host (a Slurm node) the file is all there is, so it is believed.</summary>
    public bool Alive()
    {
        if (Host != Environment.MachineName) return true;
        try
        {
            string cmdline = $"/proc/{Pid}/cmdline";
            return File.Exists(cmdline) && File.ReadAllText(cmdline).Contains("biosim", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
