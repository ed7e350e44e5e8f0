using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using BioSim.Engine.Numerics;
using BioSim.Engine.Simulation;
using BioSim.IO.Compare;
using BioSim.IO.Experiments;
using BioSim.IO.Hdf5;
using BioSim.IO.Sweeps;
using BioSim.Plasticity.Training;
using BioSim.Workflows.Compare;
using BioSim.Workflows.Fit;
using BioSim.Workflows.Runs;

namespace BioSim.Workflows.Sweep;

/// <summary>
/// Parameter sweeps (<c>biosim sweep</c>): expands a sweep file into tasks and checks them (<see cref="Plan"/>), writes the
/// sweep folder (<see cref="Write"/>), runs one task through the base kind's own workflow — <see cref="ExperimentRunner"/>,
/// <see cref="RuleComparison"/> or <see cref="FitWorkflow"/> — continuing it from its checkpoint when it has one and
/// skipping it when it is done (<see cref="RunTask"/>), says where every task stands from the files in its folder
/// (<see cref="Status(string)"/>), and gathers every task's parameters and results into one table (<see cref="Collect"/>).
/// </summary>
public sealed class SweepWorkflow
{
    /// <summary>The result file in a finished task's folder.</summary>
    public const string ResultFileName = "result.json";

    /// <summary>The task log's file name.</summary>
    public const string LogFileName = "log";

    /// <summary>The task's parameters' file name.</summary>
    public const string ParametersFileName = "parameters.json";

    /// <summary>result.json may hold an infinite loss or a NaN: written as the strings "Infinity", "NaN" (as Python's json reads them back with float()).</summary>
    private static readonly JsonSerializerOptions ResultOptions = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private readonly IReadOnlyList<ISweepTarget> _targets;

    /// <summary>A sweep workflow over the three base kinds (resolved by dependency injection).</summary>
    public SweepWorkflow(ExperimentReader experiments, ExperimentRunner runner, ComparisonReader comparisons, RuleComparison comparison, IMatrixProduct product, FitWorkflow fit) =>
        _targets = [new ExperimentTarget(experiments, runner), new ComparisonTarget(comparisons, comparison, product), new FitTarget(fit)];

    private ISweepTarget Target(SweepManifest manifest) =>
        _targets.FirstOrDefault(t => t.Kind == manifest.Kind) ?? throw new InvalidDataException($"unknown sweep kind '{manifest.Kind}' in {SweepManifest.FileName}");

    /// <summary>Reads the sweep file, expands it and checks every task (paths, value kinds, the base reader); writes nothing.</summary>
    /// <exception cref="ExperimentException">The first problem, naming the sweep file and its field.</exception>
    public SweepPlan Plan(string sweepFile) => SweepExpansion.Expand(SweepReader.ReadFile(sweepFile), _targets);

    /// <summary>The seed of task <paramref name="task"/> (its <paramref name="k"/>-th, for a comparison's seed list) in a sweep with seed <paramref name="sweepSeed"/>.</summary>
    public static ulong TaskSeed(ulong sweepSeed, int task, int k = 0) => SweepExpansion.DeriveSeed(sweepSeed, task, k);

    /// <summary>
    /// Writes the sweep folder <paramref name="directory"/>: sweep.json (the sweep file), manifest.json, and per task
    /// task-NNNN/ with the expanded base file and parameters.json. An existing folder is refused unless
    /// <paramref name="overwrite"/> (a sweep folder is emptied of its tasks; another folder is never touched) or
    /// <paramref name="resume"/> (it must hold this very sweep: its tasks keep their outputs).
    /// </summary>
    /// <exception cref="OutputExistsException">The folder exists and neither flag allows it, or it holds another sweep.</exception>
#pragma warning disable CA1822 // an instance method like the workflow's others, so that callers hold one object
    public SweepManifest Write(SweepPlan plan, string directory, SweepManifest settings, bool overwrite, bool resume)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(settings);
        int width = Math.Max(4, (plan.Tasks.Count - 1).ToString(CultureInfo.InvariantCulture).Length);
        var manifest = settings with
        {
            Name = plan.Definition.Name,
            SweepFile = Path.GetFullPath(plan.Definition.File),
            BaseFile = plan.Definition.BaseFile,
            Kind = plan.Kind,
            TaskFile = plan.TaskFile,
            Tasks = plan.Tasks.Count,
            Width = width,
            Parameters = plan.Parameters,
        };
        if (Directory.Exists(directory) || File.Exists(directory))
        {
            if (File.Exists(directory)) throw new OutputExistsException($"{directory} is a file; give a folder for the sweep");
            bool isSweep = File.Exists(Path.Combine(directory, SweepManifest.FileName));
            if (resume)
            {
                if (!isSweep && Directory.EnumerateFileSystemEntries(directory).Any())
                    throw new OutputExistsException($"{directory} exists and holds no sweep (no {SweepManifest.FileName}); choose another -o folder");
                if (isSweep) CheckSame(plan, directory, SweepManifest.Read(directory));
            }
            else if (!overwrite)
            {
                throw new OutputExistsException(isSweep
                    ? $"{directory} holds a sweep: continue it with --resume (or biosim sweep resubmit {directory}), or pass --force to replace it"
                    : $"{directory} exists; pass --force to write the sweep into it or choose another -o folder");
            }
            else if (isSweep)
            {
                var old = SweepManifest.Read(directory);
                for (int i = 0; i < old.Tasks; i++)
                {
                    string folder = Path.Combine(directory, old.TaskFolderName(i));
                    if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
                }
                foreach (string f in new[] { SweepManifest.FileName, "sweep.json", "sweep.sbatch", "sweep.h5", "sweep.csv", "sweep.png" })
                    File.Delete(Path.Combine(directory, f));
            }
            else if (Directory.EnumerateFileSystemEntries(directory).Any())
            {
                throw new OutputExistsException($"{directory} holds files but no sweep; --force replaces only a sweep folder: choose an empty or new -o folder");
            }
        }
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "sweep.json"), plan.Definition.Json);
        foreach (var task in plan.Tasks)
        {
            string folder = Path.Combine(directory, manifest.TaskFolderName(task.Index));
            Directory.CreateDirectory(folder);
            string file = Path.Combine(folder, plan.TaskFile);
            if (!File.Exists(file)) File.WriteAllText(file, task.Json);
            var parameters = new JsonObject();
            foreach (var s in task.Settings) parameters[s.Path.Text] = s.Value?.DeepClone();
            File.WriteAllText(Path.Combine(folder, ParametersFileName), new JsonObject
            {
                ["task"] = task.Index,
                ["seed"] = task.Seed,
                ["parameters"] = parameters,
            }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        manifest.Write(directory);
        return manifest;
    }
#pragma warning restore CA1822

    private static void CheckSame(SweepPlan plan, string directory, SweepManifest old)
    {
        string different = $"{directory} holds another sweep ({old.SweepFile}, {old.Tasks} tasks)";
        if (old.Tasks != plan.Tasks.Count || old.Kind != plan.Kind) throw new OutputExistsException($"{different}; give another -o folder, or --force to replace it");
        foreach (var task in plan.Tasks)
        {
            string file = Path.Combine(directory, old.TaskFolderName(task.Index), plan.TaskFile);
            if (File.Exists(file) && File.ReadAllText(file) != task.Json)
                throw new OutputExistsException($"{different}: task {task.Index}'s {plan.TaskFile} differs from this sweep file's; give another -o folder, or --force to replace it");
        }
    }

    /// <summary>Every task's state, from the files in its folder (status.json, the output's own status, checkpoints).</summary>
    public IReadOnlyList<SweepTaskStatus> Status(string directory)
    {
        var manifest = SweepManifest.Read(directory);
        var target = Target(manifest);
        return [.. Enumerable.Range(0, manifest.Tasks).Select(i => TaskStatus(directory, manifest, target, i))];
    }

    private static SweepTaskStatus TaskStatus(string directory, SweepManifest manifest, ISweepTarget target, int index, bool ignoreRunning = false)
    {
        string folder = Path.Combine(directory, manifest.TaskFolderName(index));
        var file = TaskStatusFile.Read(folder);
        if (!ignoreRunning && file is { State: "running" } && file.Alive())
            return new SweepTaskStatus(index, folder, SweepTaskState.Running, $"process {file.Pid} on {file.Host} since {file.Updated}");
        var output = target.Inspect(folder);
        if (output.State == TaskOutputState.Completed && File.Exists(Path.Combine(folder, ResultFileName)))
            return new SweepTaskStatus(index, folder, SweepTaskState.Done, null);
        if (file is { State: "failed" }) return new SweepTaskStatus(index, folder, SweepTaskState.Failed, file.Error);
        if (output.State == TaskOutputState.Diverged) return new SweepTaskStatus(index, folder, SweepTaskState.Failed, "diverged: " + output.Detail);
        if (output.State == TaskOutputState.Resumable)
            return new SweepTaskStatus(index, folder, SweepTaskState.Stopped, file is { State: "running" } ? $"killed; {output.Detail}" : output.Detail);
        return new SweepTaskStatus(index, folder, SweepTaskState.Missing, file switch
        {
            null => null,
            { State: "done" } => "its output is gone",
            { State: "running" } => "killed before its first checkpoint",
            _ => $"{file.State} without a usable output",
        });
    }

    /// <summary>
    /// Runs task <paramref name="index"/> of the sweep in <paramref name="directory"/> in this process: skipped when done,
    /// continued from its checkpoint when stopped, else started; its log goes to <paramref name="context"/>'s writer, its
    /// state to status.json and its result to result.json.
    /// </summary>
    public SweepTaskRun RunTask(string directory, int index, SweepTaskContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var manifest = SweepManifest.Read(directory);
        if (index < 0 || index >= manifest.Tasks) throw new ArgumentOutOfRangeException(nameof(index), index, $"{directory} has tasks 0 to {manifest.Tasks - 1}");
        var target = Target(manifest);
        string folder = Path.Combine(directory, manifest.TaskFolderName(index));
        var clock = Stopwatch.StartNew();
        var before = TaskStatus(directory, manifest, target, index);
        if (before.State == SweepTaskState.Done) return new SweepTaskRun(index, SweepTaskState.Done, null, 0, Skipped: true, 0);
        // Only a live process on this machine is a duplicate: a requeued Slurm task finds the "running" file its earlier
        // run on another node left, and must take over.
        if (before.State == SweepTaskState.Running && TaskStatusFile.Read(folder) is { } running && running.Host == Environment.MachineName && running.Pid != Environment.ProcessId)
            return new SweepTaskRun(index, SweepTaskState.Running, $"task {index} is already running ({before.Detail})", 0, Skipped: true, 0);
        if (before.State == SweepTaskState.Running) before = TaskStatus(directory, manifest, target, index, ignoreRunning: true);
        string now = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        new TaskStatusFile("running", Environment.ProcessId, Environment.MachineName, now).Write(folder);
        File.Delete(Path.Combine(folder, ResultFileName));
        context.Log.WriteLine($"{now} task {index} of {manifest.Name} on {Environment.MachineName} (process {Environment.ProcessId}), {context.Threads} threads: {before.State.ToString().ToLowerInvariant()}{(before.Detail is null ? "" : $" ({before.Detail})")}");
        context.Log.Flush();
        try
        {
            var result = target.Run(folder, context);
            result["seconds"] = clock.Elapsed.TotalSeconds;
            File.WriteAllText(Path.Combine(folder, ResultFileName), result.ToJsonString(ResultOptions));
            End(folder, "done", null, 0, clock);
            context.Log.WriteLine($"done in {clock.Elapsed.TotalSeconds:0.00} s");
            return new SweepTaskRun(index, SweepTaskState.Done, null, clock.Elapsed.TotalSeconds, Skipped: false, 0);
        }
        catch (OperationCanceledException)
        {
            End(folder, "stopped", "interrupted with a checkpoint", 75, clock);
            context.Log.WriteLine("interrupted; the task continues from its checkpoint when it runs again");
            return new SweepTaskRun(index, SweepTaskState.Stopped, "interrupted", clock.Elapsed.TotalSeconds, Skipped: false, 75);
        }
        catch (Exception e) when (ExitCodeOf(e) is int code)
        {
            string line = e is TrainingDivergedException ? $"training diverged: {e.Message}" : e.Message;
            line = line.Split('\n')[0];
            End(folder, "failed", line, code, clock);
            context.Log.WriteLine($"error: {line}");
            return new SweepTaskRun(index, SweepTaskState.Failed, line, clock.Elapsed.TotalSeconds, Skipped: false, code);
        }
        finally
        {
            context.Log.Flush();
        }
    }

    private static void End(string folder, string state, string? error, int code, Stopwatch clock) =>
        new TaskStatusFile(state, Environment.ProcessId, Environment.MachineName, DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), error, code,
            clock.Elapsed.TotalSeconds).Write(folder);

    /// <summary>The exit code of a task that failed with <paramref name="e"/> (as biosim run/compare/fit would exit), or null for
    /// an exception that is a bug and should surface.</summary>
    private static int? ExitCodeOf(Exception e) => e switch
    {
        SimulationDivergedException or TrainingDivergedException => 1,
        ExperimentException or InvalidDataException or OutputExistsException => 2,
        Hdf5Exception or IOException or UnauthorizedAccessException or DllNotFoundException => 3,
        _ => null,
    };

    /// <summary>
    /// The sweep's table: per task its number, state, seed, parameters (numbers where every value is one, else JSON text),
    /// the numbers of its result.json (nested names joined by dots: rate_hz, populations.exc.rate_hz, rules.backprop.test_accuracy,
    /// final_loss; empty for unfinished tasks) and the error of a failed task; written to DIR/sweep.csv and DIR/sweep.h5.
    /// </summary>
    public IReadOnlyList<SweepColumn> Collect(string directory)
    {
        var manifest = SweepManifest.Read(directory);
        var status = Status(directory);
        int n = manifest.Tasks;
        var columns = new List<SweepColumn>
        {
            new("task", [.. Enumerable.Range(0, n).Select(i => (double)i)], null),
            new("state", null, [.. status.Select(s => s.State.ToString().ToLowerInvariant())]),
        };
        var parameters = new JsonObject[n];
        var seeds = new double[n];
        for (int i = 0; i < n; i++)
        {
            var p = JsonNode.Parse(File.ReadAllText(Path.Combine(status[i].Folder, ParametersFileName)))!.AsObject();
            parameters[i] = p["parameters"]!.AsObject();
            seeds[i] = p["seed"] is JsonValue s ? s.GetValue<double>() : double.NaN;
        }
        columns.Add(new("seed", seeds, null));
        foreach (string path in manifest.Parameters)
        {
            var values = parameters.Select(p => p[path]).ToArray();
            columns.Add(values.All(v => v?.GetValueKind() == JsonValueKind.Number)
                ? new SweepColumn(path, [.. values.Select(v => v!.GetValue<double>())], null)
                : new SweepColumn(path, null, [.. values.Select(v => v is JsonValue t && t.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : v?.ToJsonString() ?? "")]));
        }
        var metrics = new List<string>();
        var rows = new Dictionary<string, double>[n];
        for (int i = 0; i < n; i++)
        {
            rows[i] = [];
            string result = Path.Combine(status[i].Folder, ResultFileName);
            if (status[i].State == SweepTaskState.Done && File.Exists(result)) Flatten(JsonNode.Parse(File.ReadAllText(result)), "", rows[i], metrics);
        }
        foreach (string m in metrics)
        {
            // A result named like a parameter (a comparison's "epochs") is told apart by a prefix.
            string name = columns.Any(c => c.Name == m) ? "result." + m : m;
            columns.Add(new(name, [.. rows.Select(r => r.TryGetValue(m, out double v) ? v : double.NaN)], null));
        }
        columns.Add(new("error", null, [.. status.Select(s => s.State == SweepTaskState.Failed ? s.Detail ?? "" : "")]));
        SweepTable.Write(Path.Combine(directory, "sweep.csv"), Path.Combine(directory, "sweep.h5"), columns, new Dictionary<string, string>
        {
            ["sweep_name"] = manifest.Name,
            ["sweep_file"] = manifest.SweepFile,
            ["base_file"] = manifest.BaseFile,
            ["kind"] = manifest.Kind,
            ["sweep"] = File.ReadAllText(Path.Combine(directory, "sweep.json")),
            ["biosim_version"] = ExperimentRunner.SoftwareVersion,
        });
        return columns;
    }

    private static void Flatten(JsonNode? node, string prefix, Dictionary<string, double> row, List<string> names)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj) Flatten(value, prefix.Length == 0 ? key : $"{prefix}.{key}", row, names);
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                if (!names.Contains(prefix)) names.Add(prefix);
                row[prefix] = v.GetValue<double>();
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is "NaN" or "Infinity" or "-Infinity":
                if (!names.Contains(prefix)) names.Add(prefix);
                row[prefix] = double.Parse(v.GetValue<string>(), CultureInfo.InvariantCulture);
                break;
            default:
                break;
        }
    }
}
