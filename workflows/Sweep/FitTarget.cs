using System.Globalization;
using System.Text.Json.Nodes;
using BioSim.IO.NeuralOde;
using BioSim.Workflows.Fit;

namespace BioSim.Workflows.Sweep;

/// <summary>
/// A fit as a sweep's base (<c>biosim fit</c>): the task's seed is <c>training.seed</c> (initial parameters and data
/// order; generated data keep <c>data.seed</c>, which a grid can vary); <c>data.file</c> is made absolute; the output is
/// the task folder's <c>out/</c> (parameters.json, loss.csv, checkpoint.h5 while unfinished), run and continued through
/// <see cref="FitWorkflow"/> as <c>biosim fit … --resume</c> does. The result holds the final loss and the trajectory errors.
/// </summary>
internal sealed class FitTarget(FitWorkflow workflow) : ISweepTarget
{
    public const string OutputName = "out";

    public string Kind => "fit";

    public string FileName => "fit.json";

    public IReadOnlyList<string> SeedPaths { get; } = ["training.seed"];

    public bool Recognises(JsonObject root) => root.ContainsKey("data") && root.ContainsKey("model");

    public void PlaceSeed(JsonObject root, Func<int, ulong> seed)
    {
        if (root["training"] is not JsonObject training) root["training"] = training = [];
        training["seed"] = seed(0);
    }

    public void Absolutise(JsonObject root, string baseFolder) => RelativeFiles.Absolutise(root["data"] as JsonObject, "file", baseFolder);

    public void Validate(string json, string file) => FitExperiment.Parse(json, file);

    public TaskOutput Inspect(string taskFolder)
    {
        string folder = Path.Combine(taskFolder, OutputName);
        if (File.Exists(Path.Combine(folder, FitCheckpoint.FileName))) return new TaskOutput(TaskOutputState.Resumable, "fit checkpoint");
        return File.Exists(Path.Combine(folder, "parameters.json")) ? new TaskOutput(TaskOutputState.Completed) : new TaskOutput(TaskOutputState.None);
    }

    public JsonObject Run(string taskFolder, SweepTaskContext context)
    {
        string output = Path.Combine(taskFolder, OutputName);
        var experiment = FitExperiment.Read(Path.Combine(taskFolder, FileName));
        bool resume = Inspect(taskFolder).State == TaskOutputState.Resumable;
        if (resume) context.Log.WriteLine($"continuing the fit in {output} from its checkpoint");
        long logEvery = Math.Max(1, experiment.Iterations / 10);
        var fit = workflow.Run(experiment, output, (step, loss) =>
        {
            if (step % logEvery != 0) return;
            context.Log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fit step {step}/{experiment.Iterations}: loss {loss:G4}"));
            context.Log.Flush();
        }, overwrite: !resume, resume, context.CheckpointEvery, context.Cancellation);
        return new JsonObject
        {
            ["status"] = "completed",
            ["steps"] = fit.LossCurve.Count,
            ["final_loss"] = fit.LossCurve[^1],
            ["trajectory_mse"] = fit.TrajectoryMse,
            ["held_out_mse"] = fit.HeldOutMse,
            ["parameters"] = fit.Field.ParameterCount,
        };
    }
}
