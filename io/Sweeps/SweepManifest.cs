using System.Text.Json;

namespace BioSim.IO.Sweeps;

/// <summary>
/// DIR/manifest.json: what <c>biosim sweep</c> wrote into a sweep folder, so that <c>status</c>, <c>resubmit</c>,
/// <c>collect</c> and every task (<c>biosim sweep task DIR N</c>) work from the folder alone. Task N lives in
/// DIR/task-NNNN/ (<see cref="Width"/> digits) with the expanded base file, parameters.json, its output, log and status.json.
/// </summary>
public sealed record SweepManifest
{
    /// <summary>The manifest's file name in the sweep folder.</summary>
    public const string FileName = "manifest.json";

    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>The sweep's name.</summary>
    public required string Name { get; init; }

    /// <summary>The sweep file (absolute) it was written from.</summary>
    public required string SweepFile { get; init; }

    /// <summary>The base file (absolute).</summary>
    public required string BaseFile { get; init; }

    /// <summary>"experiment", "comparison" or "fit".</summary>
    public required string Kind { get; init; }

    /// <summary>The expanded base file's name in each task folder.</summary>
    public required string TaskFile { get; init; }

    /// <summary>Number of tasks (0 … Tasks − 1).</summary>
    public required int Tasks { get; init; }

    /// <summary>Digits of the task folders' numbers (at least 4).</summary>
    public required int Width { get; init; }

    /// <summary>The swept parameters' paths, in table order.</summary>
    public required IReadOnlyList<string> Parameters { get; init; }

    /// <summary>Worker threads per task.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Tasks at a time asked for (--parallel or the sweep file's), or null for the default.</summary>
    public int? Parallel { get; init; }

    /// <summary>Wall-time seconds between checkpoints of a task, or null for the workflow's default.</summary>
    public double? CheckpointSeconds { get; init; }

    /// <summary>"local" or "slurm": how the sweep was started (resubmit does the same).</summary>
    public string Mode { get; init; } = "local";

    /// <summary>The command job scripts call ("biosim" on PATH by default).</summary>
    public string Biosim { get; init; } = "biosim";

    /// <summary>The job array's resources.</summary>
    public SlurmSettings Slurm { get; init; } = new();

    /// <summary>The folder name of task <paramref name="index"/>: task-0007.</summary>
    public string TaskFolderName(int index) => "task-" + index.ToString("D" + Width, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Writes the manifest into <paramref name="directory"/>.</summary>
    public void Write(string directory) =>
        File.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(this, Options));

    /// <summary>Reads the manifest of the sweep folder <paramref name="directory"/>.</summary>
    /// <exception cref="IOException">The folder or its manifest is missing or unreadable (the message says what to give).</exception>
    public static SweepManifest Read(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!Directory.Exists(directory)) throw new IOException($"{directory}: no such folder; give the -o folder of a biosim sweep");
        if (!File.Exists(path)) throw new IOException($"{directory}: not a sweep folder (no {FileName}); give the -o folder of a biosim sweep");
        try
        {
            return JsonSerializer.Deserialize<SweepManifest>(File.ReadAllText(path), Options) ?? throw new InvalidDataException($"{path}: empty manifest");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a sweep manifest ({e.Message})", e);
        }
    }
}
