using System.Text.Json.Nodes;

namespace BioSim.Workflows.Sweep;

/// <summary>
/// What a sweep needs to know about one kind of base file (an experiment, a rule comparison, a fit): how to recognise it,
/// where a task's seed goes, which fields name other files (made absolute, since the expanded file lives in the task
/// folder), how its own reader validates it, what its output says about the task, and how to run (or continue) it through
/// its workflow.
/// </summary>
internal interface ISweepTarget
{
    /// <summary>"experiment", "comparison" or "fit": the manifest's <c>kind</c> and the table's.</summary>
    string Kind { get; }

    /// <summary>The expanded base file's name in the task folder.</summary>
    string FileName { get; }

    /// <summary>Whether <paramref name="root"/> is a file of this kind (by its top-level fields).</summary>
    bool Recognises(JsonObject root);

    /// <summary>Where the task's seed goes, as paths (a sweep that sets one of them itself keeps its own values).</summary>
    IReadOnlyList<string> SeedPaths { get; }

    /// <summary>Writes the task's seeds into <paramref name="root"/>; <paramref name="seed"/>(k) is the task's k-th derived seed.</summary>
    void PlaceSeed(JsonObject root, Func<int, ulong> seed);

    /// <summary>Makes the relative file names in <paramref name="root"/> absolute against <paramref name="baseFolder"/>.</summary>
    void Absolutise(JsonObject root, string baseFolder);

    /// <summary>Reads <paramref name="json"/> with the kind's own reader, as the file <paramref name="file"/>.</summary>
    /// <exception cref="IO.Experiments.ExperimentException">What the reader finds wrong.</exception>
    void Validate(string json, string file);

    /// <summary>What the task's output says (from files only, so a killed task is judged correctly).</summary>
    TaskOutput Inspect(string taskFolder);

    /// <summary>Runs the task (continuing from its checkpoint when <see cref="Inspect"/> says it is resumable); returns the
    /// result to store in result.json.</summary>
    JsonObject Run(string taskFolder, SweepTaskContext context);
}

/// <summary>What a task's output files say.</summary>
/// <param name="State">None (no usable output), Resumable (a checkpoint to continue from), Completed or Diverged.</param>
/// <param name="Detail">The diverged message, or where a resumable task stopped.</param>
internal sealed record TaskOutput(TaskOutputState State, string? Detail = null);

/// <summary>See <see cref="TaskOutput"/>.</summary>
internal enum TaskOutputState
{
    None,
    Resumable,
    Completed,
    Diverged,
}

/// <summary>Relative file names to absolute ones.</summary>
internal static class RelativeFiles
{
    /// <summary>Makes <paramref name="obj"/>[<paramref name="key"/>] absolute when it is a relative file name.</summary>
    public static void Absolutise(JsonObject? obj, string key, string baseFolder)
    {
        if (obj?[key] is JsonValue v && v.TryGetValue(out string? name) && name.Length > 0 && !Path.IsPathRooted(name))
            obj[key] = Path.GetFullPath(Path.Combine(baseFolder, name));
    }
}
