using System.Text.Json.Nodes;

namespace BioSim.IO.Sweeps;

/// <summary>
/// A parameter sweep (<c>biosim sweep</c>), as <see cref="SweepReader"/> reads it: a base file (an experiment, a rule
/// comparison or a fit) and the parameter sets to run it with. The tasks are the cartesian product of
/// <see cref="List"/> (outer; one entry when absent) and <see cref="Grid"/> (inner; its first axis varies slowest, its
/// last fastest, as nested loops in the file's order).
/// </summary>
public sealed record SweepDefinition
{
    /// <summary>The sweep file (for messages).</summary>
    public required string File { get; init; }

    /// <summary>The sweep file's JSON as written.</summary>
    public required string Json { get; init; }

    /// <summary>"name" (default: the sweep file's name without extension).</summary>
    public required string Name { get; init; }

    /// <summary>"base": the base file's absolute path (written relative to the sweep file).</summary>
    public required string BaseFile { get; init; }

    /// <summary>"seed": the sweep's seed, from which every task's seed is derived; null for <c>"seed": "base"</c> (every task keeps
    /// the base file's seeds). Default 1.</summary>
    public ulong? Seed { get; init; } = 1;

    /// <summary>"threads": worker threads per task (default 1).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>"parallel": tasks at a time (--local: default cores / threads; --slurm: the array's %K, default all).</summary>
    public int? Parallel { get; init; }

    /// <summary>"checkpoint_every": wall-time seconds between a task's checkpoints (default: the workflow's own).</summary>
    public double? CheckpointSeconds { get; init; }

    /// <summary>"grid": axes of the cartesian product, in the file's order.</summary>
    public required IReadOnlyList<SweepAxis> Grid { get; init; }

    /// <summary>"list": parameter sets, each a list of (path, value) set together.</summary>
    public required IReadOnlyList<IReadOnlyList<SweepSetting>> List { get; init; }

    /// <summary>"slurm": resources of the job array.</summary>
    public SlurmSettings Slurm { get; init; } = new();
}

/// <summary>One axis of a sweep's grid: a path into the base file and the values it takes.</summary>
/// <param name="Path">The field.</param>
/// <param name="Values">Its values, in order.</param>
public sealed record SweepAxis(SweepPath Path, IReadOnlyList<JsonNode?> Values);

/// <summary>One parameter of a task: a path into the base file and its value there.</summary>
/// <param name="Path">The field.</param>
/// <param name="Value">The value it is set to.</param>
/// <param name="Source">Where the sweep file gives it (<c>grid.projections[2].weight[1]</c>, <c>list[3].lr</c>), for messages.</param>
public sealed record SweepSetting(SweepPath Path, JsonNode? Value, string Source);

/// <summary>The "slurm" object of a sweep file: what the job array asks for (each also an option of <c>biosim sweep --slurm</c>).</summary>
public sealed record SlurmSettings
{
    /// <summary>"time": the time limit per task (sbatch --time, e.g. "02:00:00"); null: the partition's default.</summary>
    public string? Time { get; init; }

    /// <summary>"mem": memory per task (sbatch --mem, e.g. "4G").</summary>
    public string? Mem { get; init; }

    /// <summary>"partition" (sbatch --partition).</summary>
    public string? Partition { get; init; }

    /// <summary>"account" (sbatch --account).</summary>
    public string? Account { get; init; }

    /// <summary>"signal_seconds": SIGUSR1 this many seconds before the time limit (sbatch --signal=B:USR1@s): checkpoint and
    /// requeue. Default 120.</summary>
    public int SignalSeconds { get; init; } = 120;

    /// <summary>"options": further sbatch options, one per entry ("--qos=long"), written as #SBATCH lines.</summary>
    public IReadOnlyList<string> Options { get; init; } = [];

    /// <summary>"setup": shell lines run before biosim starts ("module load dotnet").</summary>
    public IReadOnlyList<string> Setup { get; init; } = [];
}
