using System.Globalization;
using System.Text.Json.Nodes;
using BioSim.IO.Experiments;
using BioSim.IO.Hdf5;
using BioSim.IO.Runs;
using BioSim.Workflows.Runs;

namespace BioSim.Workflows.Sweep;

/// <summary>
/// An experiment as a sweep's base (<c>biosim run</c>): the task's seed is the top-level <c>seed</c>; spike files
/// (<c>populations[i].parameters.file</c>) and cell files (<c>populations[i].cell</c>) are made absolute; the output is
/// the task folder's <c>out.h5</c>, run and resumed through <see cref="ExperimentRunner"/> exactly as <c>biosim run</c> and
/// <c>biosim resume</c> do, so a task's file equals <c>biosim run experiment.json -o out.h5</c>'s bit for bit.
/// </summary>
internal sealed class ExperimentTarget(ExperimentReader reader, ExperimentRunner runner) : ISweepTarget
{
    public const string OutputName = "out.h5";

    public string Kind => "experiment";

    public string FileName => "experiment.json";

    public IReadOnlyList<string> SeedPaths { get; } = ["seed"];

    public bool Recognises(JsonObject root) => root.ContainsKey("populations");

    public void PlaceSeed(JsonObject root, Func<int, ulong> seed) => root["seed"] = seed(0);

    public void Absolutise(JsonObject root, string baseFolder)
    {
        if (root["populations"] is not JsonArray populations) return;
        foreach (var p in populations.OfType<JsonObject>())
        {
            RelativeFiles.Absolutise(p, "cell", baseFolder);
            RelativeFiles.Absolutise(p["parameters"] as JsonObject, "file", baseFolder);
        }
    }

    public void Validate(string json, string file) => reader.Read(json, file);

    public TaskOutput Inspect(string taskFolder)
    {
        string output = Path.Combine(taskFolder, OutputName);
        if (!File.Exists(output)) return new TaskOutput(TaskOutputState.None);
        try
        {
            using var file = Hdf5File.OpenReadOnly(output);
            if (!file.HasAttribute("status")) return new TaskOutput(TaskOutputState.None);
            var status = RunStatus.Parse(file.GetStringAttribute("status"));
            if (status.State == RunState.Completed) return new TaskOutput(TaskOutputState.Completed);
            if (status.Diverged) return new TaskOutput(TaskOutputState.Diverged, status.Detail);
            return RunCheckpoints.ReadLatest(file) is { } checkpoint
                ? new TaskOutput(TaskOutputState.Resumable, string.Create(CultureInfo.InvariantCulture, $"checkpoint at t = {checkpoint.TimeMs:0.###} ms"))
                : new TaskOutput(TaskOutputState.None);
        }
        catch (Exception e) when (e is Hdf5Exception or IOException or InvalidDataException or FormatException)
        {
            return new TaskOutput(TaskOutputState.None);
        }
    }

    public JsonObject Run(string taskFolder, SweepTaskContext context)
    {
        string output = Path.Combine(taskFolder, OutputName);
        double nextLog = 0;
        var progress = new LogProgress<RunProgress>(p =>
        {
            if (p.TimeMs < nextLog) return;
            nextLog = p.TimeMs + p.DurationMs / 10;
            context.Log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"t = {p.TimeMs:0.#} / {p.DurationMs:0.#} ms, {p.Spikes} spikes, {p.Elapsed.TotalSeconds:0.00} s"));
            context.Log.Flush();
        });
        RunSummary? summary = null;
        if (Inspect(taskFolder) is { State: TaskOutputState.Resumable } stopped)
        {
            context.Log.WriteLine($"resuming {output} from its {stopped.Detail}");
            try
            {
                summary = runner.Resume(output, progress, context.Threads, context.CheckpointEvery, context.CheckpointNow, context.Cancellation);
            }
            catch (InvalidDataException e)
            {
                // A checkpoint of another build cannot continue bit for bit: the task starts again.
                context.Log.WriteLine($"cannot resume ({e.Message}); starting over");
            }
        }
        if (summary is null)
        {
            var spec = reader.ReadFile(Path.Combine(taskFolder, FileName));
            summary = runner.Run(spec, output, progress, context.Threads, context.CheckpointEvery, overwrite: true, context.CheckpointNow, context.Cancellation);
        }
        var populations = new JsonObject();
        foreach (var p in summary.Populations)
            populations[p.Name] = new JsonObject { ["size"] = p.Size, ["spikes"] = p.Spikes, ["rate_hz"] = p.MeanRateHz };
        return new JsonObject
        {
            ["status"] = summary.Status.ToString(),
            ["simulated_ms"] = summary.SimulatedMs,
            ["neurons"] = summary.Neurons,
            ["synapses"] = summary.Synapses,
            ["spikes"] = summary.Spikes,
            ["rate_hz"] = summary.MeanRateHz,
            ["populations"] = populations,
            ["build_s"] = summary.BuildTime.TotalSeconds,
            ["simulation_s"] = summary.SimulationTime.TotalSeconds,
        };
    }
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread (lines in a task's log stay in order).</summary>
internal sealed class LogProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
