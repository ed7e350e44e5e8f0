using System.Text.Json;
using System.Text.Json.Nodes;
using BioSim.Engine.Random;
using BioSim.IO.Experiments;
using BioSim.IO.Sweeps;

namespace BioSim.Workflows.Sweep;

/// <summary>
/// Expands a sweep into its tasks and checks each before anything is written: every path must exist in the base file,
/// every value must have the JSON kind of the value it replaces, and every expanded file must pass the base kind's own
/// reader. Each failure is one <see cref="ExperimentException"/> naming the sweep file and the field of the sweep file.
/// </summary>
internal static class SweepExpansion
{
    /// <summary>
    /// Task <paramref name="task"/>'s <paramref name="k"/>-th seed from the sweep's seed: the top 32 bits of word
    /// <paramref name="k"/> of the Philox stream (sweep seed, "sweep", "task-seed") for element <paramref name="task"/>
    /// (<see cref="RandomStream.ForElement"/>). 32 bits, so that every JSON reader (h5py, JavaScript) keeps it exactly.
    /// </summary>
    public static ulong DeriveSeed(ulong sweepSeed, int task, int k)
    {
        var stream = new RandomStream(sweepSeed, "sweep", "task-seed").ForElement((uint)task);
        stream.Position = (ulong)k;
        return stream.NextUInt64() >> 32;
    }

    public static SweepPlan Expand(SweepDefinition sweep, IReadOnlyList<ISweepTarget> targets)
    {
        string baseText;
        try
        {
            baseText = File.ReadAllText(sweep.BaseFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{sweep.BaseFile}: cannot read the sweep's base file ({e.Message.TrimEnd('.')})", e);
        }
        if (SweepReader.ParseNode(baseText, sweep.BaseFile) is not JsonObject baseRoot)
            throw new ExperimentException(sweep.File, "base", $"{sweep.BaseFile} is not a JSON object");
        var matching = targets.Where(t => t.Recognises(baseRoot)).ToList();
        if (matching.Count != 1)
            throw new ExperimentException(sweep.File, "base", $"{sweep.BaseFile} is {(matching.Count == 0 ? "none" : "more than one")} of an experiment (\"populations\"), a comparison (\"task\" and \"rules\") and a fit (\"data\" and \"model\")");
        var target = matching[0];
        target.Absolutise(baseRoot, Path.GetDirectoryName(sweep.BaseFile) ?? ".");
        string baseName = Path.GetFileName(sweep.BaseFile);

        // Every path exists in the base file, and every value has the kind of the one it replaces.
        var all = sweep.Grid.SelectMany(a => a.Values.Select((v, i) => new SweepSetting(a.Path, v, $"grid.{a.Path.Text}[{i}]")))
            .Concat(sweep.List.SelectMany(s => s));
        foreach (var setting in all)
        {
            var existing = setting.Path.Find(baseRoot, out string? problem);
            // An optional field the base file leaves out (its last key, in an object that exists) may be set: the base
            // reader below then refuses a key that is not a field of its kind (a typo) with the list of allowed ones.
            if (existing is null && setting.Path.IsAbsentKeyOfExistingObject(baseRoot)) continue;
            if (existing is null) throw new ExperimentException(sweep.File, Field(setting.Source), $"{setting.Path.Text} is not a field of {baseName}: {problem}");
            if (!SameKind(existing, setting.Value))
                throw new ExperimentException(sweep.File, setting.Source,
                    $"{Show(setting.Value)} is {SweepPath.Kind(setting.Value)}, but {setting.Path.Text} in {baseName} is {SweepPath.Kind(existing)} ({Show(existing)})");
        }

        var lists = sweep.List.Count > 0 ? sweep.List : [[]];
        long count = lists.Count * sweep.Grid.Aggregate(1L, (n, a) => n * a.Values.Count);
        if (count > 1_000_000) throw new ExperimentException(sweep.File, "grid", $"{count} tasks; a sweep holds at most 1000000");
        var tasks = new List<SweepTask>((int)count);
        var parameters = sweep.List.SelectMany(l => l.Select(s => s.Path.Text)).Distinct().Concat(sweep.Grid.Select(a => a.Path.Text)).ToList();
        int[] position = new int[sweep.Grid.Count];
        foreach (var set in lists)
        {
            Array.Clear(position);
            while (true)
            {
                var settings = set.Concat(sweep.Grid.Select((a, k) => new SweepSetting(a.Path, a.Values[position[k]], $"grid.{a.Path.Text}[{position[k]}]"))).ToList();
                tasks.Add(Task(sweep, target, baseRoot, tasks.Count, settings));
                int axis = sweep.Grid.Count - 1;
                while (axis >= 0 && ++position[axis] == sweep.Grid[axis].Values.Count) position[axis--] = 0;
                if (axis < 0) break;
            }
        }
        return new SweepPlan(sweep, target.Kind, target.FileName, parameters, tasks);
    }

    private static SweepTask Task(SweepDefinition sweep, ISweepTarget target, JsonObject baseRoot, int index, List<SweepSetting> settings)
    {
        var root = baseRoot.DeepClone().AsObject();
        bool seedSwept = settings.Any(s => target.SeedPaths.Any(p => s.Path.Text == p || s.Path.Text.StartsWith(p + "[", StringComparison.Ordinal)));
        ulong? seed = null;
        if (sweep.Seed is { } sweepSeed && !seedSwept)
        {
            target.PlaceSeed(root, k => DeriveSeed(sweepSeed, index, k));
            seed = DeriveSeed(sweepSeed, index, 0);
        }
        foreach (var s in settings) s.Path.Set(root, s.Value);
        string json = root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        // The base kind's own reader, on the file as the task will hold it.
        string file = $"{Path.GetFileName(sweep.BaseFile)} (task {index}: {Describe(settings)})";
        try
        {
            target.Validate(json, file);
        }
        catch (ExperimentException e)
        {
            var culprit = settings.FirstOrDefault(s => Matches(e.FieldPath, s.Path.Text));
            throw culprit is not null
                ? new ExperimentException(sweep.File, culprit.Source, $"{Show(culprit.Value)} is not a valid {culprit.Path.Text} of {Path.GetFileName(sweep.BaseFile)}: {e.Problem}")
                : new ExperimentException(sweep.File, "", $"task {index} ({Describe(settings)}) gives an invalid {Path.GetFileName(sweep.BaseFile)}: {e.Message}");
        }
        return new SweepTask(index, settings, seed, json);
    }

    /// <summary>Whether a reader's error path (with or without "$.") is at or inside the swept <paramref name="path"/>.</summary>
    private static bool Matches(string errorPath, string path)
    {
        string p = errorPath.StartsWith("$.", StringComparison.Ordinal) ? errorPath[2..] : errorPath;
        return p == path || p.StartsWith(path + ".", StringComparison.Ordinal) || p.StartsWith(path + "[", StringComparison.Ordinal);
    }

    public static string Describe(IEnumerable<SweepSetting> settings) => string.Join(", ", settings.Select(s => $"{s.Path.Text} = {Show(s.Value)}"));

    private static string Show(JsonNode? value) => value?.ToJsonString() ?? "null";

    /// <summary>The sweep-file field of a grid value (grid.path) without its index, or the list entry's field.</summary>
    private static string Field(string source) => source.StartsWith("grid.", StringComparison.Ordinal) && source.EndsWith(']') ? source[..source.LastIndexOf('[')] : source;

    private static bool SameKind(JsonNode existing, JsonNode? value)
    {
        var a = existing.GetValueKind();
        var b = value?.GetValueKind() ?? JsonValueKind.Null;
        static bool Boolean(JsonValueKind k) => k is JsonValueKind.True or JsonValueKind.False;
        return a == b || (Boolean(a) && Boolean(b));
    }
}
