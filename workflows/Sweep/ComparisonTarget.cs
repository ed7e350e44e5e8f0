using System.Text.Json.Nodes;
using BioSim.Engine.Numerics;
using BioSim.IO.Compare;
using BioSim.IO.Hdf5;
using BioSim.Workflows.Compare;
using MathNet.Numerics.Statistics;

namespace BioSim.Workflows.Sweep;

/// <summary>
/// A rule comparison as a sweep's base (<c>biosim compare</c>): the task's seeds replace the <c>seeds</c> list (as many
/// derived seeds as the base lists); the output is the task folder's <c>out/</c> (curves.h5, summary.md, checkpoints/),
/// run and continued through <see cref="RuleComparison"/> as <c>biosim compare … --resume</c> does. The result holds, per
/// rule label, the mean over seeds of the final test accuracy, test loss and training loss, and the diverged runs.
/// </summary>
internal sealed class ComparisonTarget(ComparisonReader reader, RuleComparison comparison, IMatrixProduct product) : ISweepTarget
{
    public const string OutputName = "out";

    public string Kind => "comparison";

    public string FileName => "comparison.json";

    public IReadOnlyList<string> SeedPaths { get; } = ["seeds"];

    public bool Recognises(JsonObject root) => root.ContainsKey("rules") && root.ContainsKey("task");

    public void PlaceSeed(JsonObject root, Func<int, ulong> seed)
    {
        int count = root["seeds"] is JsonArray seeds && seeds.Count > 0 ? seeds.Count : 1;
        root["seeds"] = new JsonArray([.. Enumerable.Range(0, count).Select(k => (JsonNode)JsonValue.Create(seed(k)))]);
    }

    public void Absolutise(JsonObject root, string baseFolder)
    {
        // Comparison tasks read their data from installed packages: no file names to resolve.
    }

    public void Validate(string json, string file) => reader.Read(json, file);

    public TaskOutput Inspect(string taskFolder)
    {
        string folder = Path.Combine(taskFolder, OutputName), curves = Path.Combine(folder, RuleComparison.CurvesFileName);
        string checkpoints = Path.Combine(folder, "checkpoints");
        bool hasCheckpoints = Directory.Exists(checkpoints) && Directory.GetFiles(checkpoints, "*.h5").Length > 0;
        if (File.Exists(curves))
        {
            try
            {
                using var file = Hdf5File.OpenReadOnly(curves);
                if (file.HasAttribute("status") && RunStatus.Parse(file.GetStringAttribute("status")).State is RunState.Completed or RunState.CompletedWithDivergedRuns)
                    return new TaskOutput(TaskOutputState.Completed);
            }
            catch (Exception e) when (e is Hdf5Exception or IOException or FormatException)
            {
                // A curves file cut by a kill: the checkpoints decide.
            }
        }
        return hasCheckpoints ? new TaskOutput(TaskOutputState.Resumable, "run checkpoints") : new TaskOutput(TaskOutputState.None);
    }

    public JsonObject Run(string taskFolder, SweepTaskContext context)
    {
        string file = Path.Combine(taskFolder, FileName), output = Path.Combine(taskFolder, OutputName);
        var experiment = reader.ReadFile(file) with { File = file, CheckpointSeconds = context.CheckpointEvery?.TotalSeconds ?? 30 };
        MatrixProducts.SetThreads(product, context.Threads);
        bool resume = Inspect(taskFolder).State == TaskOutputState.Resumable;
        if (resume) context.Log.WriteLine($"continuing the comparison in {output} from its run checkpoints");
        var result = comparison.Run(experiment, output, resume, overwrite: !resume, new LogComparisonProgress(context.Log), context.Cancellation);
        var rules = new JsonObject();
        foreach (var group in result.Runs.GroupBy(r => r.Label))
        {
            var finished = group.Where(r => !r.Diverged && r.Epochs.Count > 0).ToList();
            rules[group.Key] = new JsonObject
            {
                ["rule"] = group.First().Rule,
                ["seeds"] = group.Count(),
                ["diverged"] = group.Count(r => r.Diverged),
                ["test_accuracy"] = Mean(finished.Select(r => r.Epochs[^1].TestAccuracy)),
                ["test_accuracy_sd"] = finished.Count > 1 ? finished.Select(r => r.Epochs[^1].TestAccuracy).StandardDeviation() : null,
                ["test_loss"] = Mean(finished.Select(r => r.Epochs[^1].TestLoss)),
                ["train_loss"] = Mean(finished.Select(r => r.Epochs[^1].TrainLoss)),
            };
        }
        return new JsonObject
        {
            ["status"] = (result.AnyDiverged ? RunStatus.CompletedWithDivergedRuns : RunStatus.Completed).ToString(),
            ["epochs"] = experiment.Epochs,
            ["rules"] = rules,
        };
    }

    /// <summary>The mean (MathNet's), or null (JSON null) without values.</summary>
    private static double? Mean(IEnumerable<double> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? null : list.Mean();
    }

    private sealed class LogComparisonProgress(TextWriter log) : IComparisonProgress
    {
        public void RunStarted(RunRecord run, int firstEpoch) { log.WriteLine($"{run.Label}, seed {run.Seed}: from epoch {firstEpoch}"); log.Flush(); }

        public void Batch(RunRecord run, int epoch, int batch, double loss)
        {
        }

        public void EpochCompleted(RunRecord run)
        {
            var e = run.Epochs[^1];
            log.WriteLine(System.FormattableString.Invariant($"{run.Label}, seed {run.Seed}: epoch {e.Epoch}, test accuracy {e.TestAccuracy:0.####}, test loss {e.TestLoss:G4}"));
            log.Flush();
        }

        public void RunFinished(RunRecord run) { log.WriteLine($"{run.Label}, seed {run.Seed}: {run.Status}"); log.Flush(); }
    }
}
