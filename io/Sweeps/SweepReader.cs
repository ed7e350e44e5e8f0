using System.Text.Json;
using System.Text.Json.Nodes;
using BioSim.IO.Experiments;

namespace BioSim.IO.Sweeps;

/// <summary>
/// Reads sweep files (JSON, comments allowed):
/// <code>
/// { "name": "cuba-inhibition", "base": "cuba.json", "seed": 7, "threads": 1,
///   "grid": { "projections[2].weight": [-3, -6, -9], "projections[3].weight": [-3, -6, -9] },
///   "list": [ { "populations[0].parameters.tau_m": 10 }, { "populations[0].parameters.tau_m": 20 } ],
///   "slurm": { "time": "01:00:00", "mem": "2G", "partition": "short", "signal_seconds": 120 } }
/// </code>
/// Every problem is an <see cref="ExperimentException"/> naming the sweep file and the field. Whether the paths exist in the
/// base file and the values suit it is checked when the tasks are expanded (<c>SweepExpansion</c> in workflows).
/// </summary>
public static class SweepReader
{
    private static readonly JsonDocumentOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
    private static readonly string[] TopFields = ["name", "description", "base", "seed", "threads", "parallel", "checkpoint_every", "grid", "list", "slurm"];
    private static readonly string[] SlurmFields = ["time", "mem", "partition", "account", "signal_seconds", "options", "setup"];

    /// <summary>Parses JSON text with the options of every BioSim file (comments and trailing commas allowed).</summary>
    /// <exception cref="ExperimentException">Not valid JSON (file, line and byte).</exception>
    public static JsonNode ParseNode(string json, string file)
    {
        try
        {
            return JsonNode.Parse(json, documentOptions: Options) ?? throw new ExperimentException(file, "", "the file holds null; expected a JSON object");
        }
        catch (JsonException e)
        {
            throw new ExperimentException(file, "", $"not valid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}");
        }
    }

    /// <summary>Reads and checks the sweep file at <paramref name="path"/>.</summary>
    public static SweepDefinition ReadFile(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{path}: cannot read the sweep file ({e.Message.TrimEnd('.')}); check the path and permissions", e);
        }
        return Read(json, path);
    }

    /// <summary>Reads and checks sweep <paramref name="json"/>; <paramref name="file"/> names it in messages and locates the base file.</summary>
    public static SweepDefinition Read(string json, string file)
    {
        if (ParseNode(json, file) is not JsonObject root) throw new ExperimentException(file, "", "must be a JSON object");
        foreach (var (key, _) in root)
            if (!TopFields.Contains(key)) throw new ExperimentException(file, key, $"unknown field; allowed: {string.Join(", ", TopFields)}");
        string baseText = String(root, "base", file) ?? throw new ExperimentException(file, "base", "missing (required); give the experiment, comparison or fit file to sweep, relative to the sweep file");
        string folder = Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".";
        string basePath = Path.IsPathRooted(baseText) ? baseText : Path.GetFullPath(Path.Combine(folder, baseText));
        if (!File.Exists(basePath)) throw new ExperimentException(file, "base", $"'{baseText}' does not exist (looked for {basePath}); give the base file relative to the sweep file");

        ulong? seed = 1;
        if (root["seed"] is { } s)
        {
            if (s.GetValueKind() == JsonValueKind.String && s.GetValue<string>() == "base") seed = null;
            else if (s.GetValueKind() == JsonValueKind.Number && s.AsValue().TryGetValue(out ulong u)) seed = u;
            else throw new ExperimentException(file, "seed", $"must be a non-negative integer (each task's seed is derived from it) or \"base\" (every task keeps the base file's seeds), got {s.ToJsonString()}");
        }
        var grid = new List<SweepAxis>();
        if (root["grid"] is { } g)
        {
            if (g is not JsonObject gridObject) throw new ExperimentException(file, "grid", $"must be an object of \"path\": [values], got {SweepPath.Kind(g)}");
            foreach (var (key, values) in gridObject)
            {
                var path = ParsePath(key, file, $"grid.{key}");
                if (values is not JsonArray array || array.Count == 0)
                    throw new ExperimentException(file, $"grid.{key}", $"must be a non-empty array of the values the field takes, got {(values is JsonArray ? "an empty array" : SweepPath.Kind(values))}");
                if (grid.Any(a => a.Path.Text == path.Text)) throw new ExperimentException(file, $"grid.{key}", $"the grid names {path.Text} twice");
                grid.Add(new SweepAxis(path, [.. array]));
            }
        }
        var list = new List<IReadOnlyList<SweepSetting>>();
        if (root["list"] is { } l)
        {
            if (l is not JsonArray listArray) throw new ExperimentException(file, "list", $"must be an array of parameter sets ({{\"path\": value, …}}), got {SweepPath.Kind(l)}");
            for (int i = 0; i < listArray.Count; i++)
            {
                if (listArray[i] is not JsonObject set || set.Count == 0) throw new ExperimentException(file, $"list[{i}]", "must be a non-empty object of \"path\": value");
                var settings = new List<SweepSetting>();
                foreach (var (key, value) in set)
                {
                    var path = ParsePath(key, file, $"list[{i}].{key}");
                    if (grid.Any(a => a.Path.Text == path.Text)) throw new ExperimentException(file, $"list[{i}].{key}", $"{path.Text} is also a grid axis; give it in one of grid and list");
                    settings.Add(new SweepSetting(path, value, $"list[{i}].{key}"));
                }
                list.Add(settings);
            }
        }
        if (grid.Count == 0 && list.Count == 0) throw new ExperimentException(file, "", "give a \"grid\" (path: [values]) or a \"list\" of parameter sets, or both");

        return new SweepDefinition
        {
            File = file,
            Json = json,
            Name = String(root, "name", file) ?? System.IO.Path.GetFileNameWithoutExtension(file),
            BaseFile = basePath,
            Seed = seed,
            Threads = Integer(root, "threads", file, "a positive integer (threads per task)") ?? 1,
            Parallel = Integer(root, "parallel", file, "a positive integer (tasks at a time)"),
            CheckpointSeconds = root["checkpoint_every"] is { } c
                ? c.GetValueKind() == JsonValueKind.Number && c.GetValue<double>() >= 0 ? c.GetValue<double>() : throw new ExperimentException(file, "checkpoint_every", $"must be a number of seconds ≥ 0, got {c.ToJsonString()}")
                : null,
            Grid = grid,
            List = list,
            Slurm = root["slurm"] is { } slurm ? ReadSlurm(slurm, file) : new SlurmSettings(),
        };
    }

    private static SlurmSettings ReadSlurm(JsonNode node, string file)
    {
        if (node is not JsonObject slurm) throw new ExperimentException(file, "slurm", $"must be an object, got {SweepPath.Kind(node)}");
        foreach (var (key, _) in slurm)
            if (!SlurmFields.Contains(key)) throw new ExperimentException(file, $"slurm.{key}", $"unknown field; allowed: {string.Join(", ", SlurmFields)}");
        return new SlurmSettings
        {
            Time = String(slurm, "time", file, "slurm."),
            Mem = String(slurm, "mem", file, "slurm."),
            Partition = String(slurm, "partition", file, "slurm."),
            Account = String(slurm, "account", file, "slurm."),
            SignalSeconds = Integer(slurm, "signal_seconds", file, "a positive number of seconds", "slurm.") ?? 120,
            Options = Strings(slurm, "options", file),
            Setup = Strings(slurm, "setup", file),
        };
    }

    private static SweepPath ParsePath(string key, string file, string field)
    {
        try
        {
            return SweepPath.Parse(key);
        }
        catch (FormatException e)
        {
            throw new ExperimentException(file, field, $"not a path into the base file: {e.Message}; write keys with dots and indices in brackets, as projections[2].weight");
        }
    }

    private static string? String(JsonObject obj, string name, string file, string prefix = "")
    {
        if (obj[name] is not { } v) return null;
        if (v.GetValueKind() != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetValue<string>()))
            throw new ExperimentException(file, prefix + name, $"must be a non-empty string, got {SweepPath.Kind(v)}");
        string text = v.GetValue<string>();
        if (text.Any(char.IsWhiteSpace) && prefix.Length > 0) throw new ExperimentException(file, prefix + name, $"'{text}' holds white space, which an #SBATCH line cannot carry");
        return text;
    }

    private static int? Integer(JsonObject obj, string name, string file, string what, string prefix = "")
    {
        if (obj[name] is not { } v) return null;
        return v.GetValueKind() == JsonValueKind.Number && v.AsValue().TryGetValue(out int x) && x >= 1
            ? x : throw new ExperimentException(file, prefix + name, $"must be {what}, got {v.ToJsonString()}");
    }

    private static string[] Strings(JsonObject obj, string name, string file)
    {
        if (obj[name] is not { } v) return [];
        if (v is not JsonArray array || array.Any(e => e?.GetValueKind() != JsonValueKind.String))
            throw new ExperimentException(file, $"slurm.{name}", "must be an array of strings");
        return [.. array.Select(e => e!.GetValue<string>())];
    }
}
