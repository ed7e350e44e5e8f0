using System.Text.Json;
using BioSim.Engine.NeuralOde;
using BioSim.Engine.Ode;
using BioSim.IO.Experiments;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;

namespace BioSim.IO.NeuralOde;

/// <summary>
/// A fitting experiment for <c>biosim fit</c>: which traces (SONATA state reports in an HDF5 file, one
/// population per trajectory, elements = state components), which model (an MLP or a rate circuit), solver,
/// gradient method and training settings. Times are in the report's units (ms for BioSim reports).
/// </summary>
/// <example>
/// { "data": { "file": "traces.h5", "populations": ["trial0", "trial1"] },
///   "model": { "type": "rate-circuit" },                       // or { "type": "mlp", "hidden": [32], "activation": "tanh", "timeInput": false }
///   "solver": { "method": "rk4", "step": 0.05 },              // or { "method": "dopri5", "rtol": 1e-6 }
///   "gradient": "symplectic-adjoint",                          // backprop | checkpoint | symplectic-adjoint | continuous-adjoint
///   "training": { "iterations": 2000, "learningRate": 0.1, "finalLearningRate": 0.001, "batch": 12, "window": 5, "seed": 1 } }
/// </example>
public sealed record FitExperiment(string File, string DataFile, IReadOnlyList<string> Populations, string ModelType,
    IReadOnlyList<int> Hidden, Activation Activation, bool TimeInput, SolverSettings Solver, string Gradient,
    int Iterations, double LearningRate, double FinalLearningRate, int Batch, int Window, int Seed)
{
    /// <summary>The gradient methods by name; the error for an unknown name lists them.</summary>
    public static IReadOnlyDictionary<string, Func<IGradientMethod>> GradientMethods { get; } = new Dictionary<string, Func<IGradientMethod>>
    {
        ["backprop"] = () => new BackpropThroughSolver(),
        ["checkpoint"] = () => new CheckpointedBackprop(),
        ["symplectic-adjoint"] = () => new SymplecticAdjoint(),
        ["continuous-adjoint"] = () => new ContinuousAdjoint(),
    };

    /// <summary>Reads and validates a fit experiment; errors name the file, the JSON path and the allowed values.</summary>
    public static FitExperiment Read(string path)
    {
        string text = System.IO.File.ReadAllText(path);
        using var document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        JsonElement root = document.RootElement;
        string file = path;
        JsonElement Object(JsonElement parent, string name, string at)
        {
            if (!parent.TryGetProperty(name, out JsonElement e) || e.ValueKind != JsonValueKind.Object)
                throw new ExperimentException(file, $"{at}.{name}", "must be an object");
            return e;
        }
        JsonElement data = Object(root, "data", "$"), model = Object(root, "model", "$");
        string dataFile = String(file, data, "file", "$.data", null);
        if (!Path.IsPathRooted(dataFile)) dataFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", dataFile);
        if (!data.TryGetProperty("populations", out JsonElement pops) || pops.ValueKind != JsonValueKind.Array || pops.GetArrayLength() == 0)
            throw new ExperimentException(file, "$.data.populations", "must be a non-empty array of report population names (one trajectory each)");
        string[] populations = [.. pops.EnumerateArray().Select(p => p.GetString() ?? "")];

        string type = String(file, model, "type", "$.model", null);
        if (type is not ("mlp" or "rate-circuit"))
            throw new ExperimentException(file, "$.model.type", $"unknown model '{type}'; known: mlp, rate-circuit");
        int[] hidden = model.TryGetProperty("hidden", out JsonElement h) ? [.. h.EnumerateArray().Select(x => x.GetInt32())] : [32];
        string activationName = model.TryGetProperty("activation", out JsonElement a) ? a.GetString() ?? "" : "tanh";
        Activation activation = activationName switch
        {
            "tanh" => Activation.Tanh,
            "softplus" => Activation.Softplus,
            _ => throw new ExperimentException(file, "$.model.activation", $"unknown activation '{activationName}'; known: tanh, softplus"),
        };
        bool timeInput = model.TryGetProperty("timeInput", out JsonElement ti) && ti.GetBoolean();

        SolverSettings solver = SolverSettings.Fixed(ButcherTableau.RK4, 0.05);
        if (root.TryGetProperty("solver", out JsonElement s))
        {
            string method = String(file, s, "method", "$.solver", "rk4");
            ButcherTableau tableau = ButcherTableau.All.FirstOrDefault(t => t.Name == method)
                ?? throw new ExperimentException(file, "$.solver.method", $"unknown method '{method}'; known: {string.Join(", ", ButcherTableau.All.Select(t => t.Name))}");
            if (s.TryGetProperty("step", out JsonElement step)) solver = SolverSettings.Fixed(tableau, Positive(file, step, "$.solver.step"));
            else if (s.TryGetProperty("rtol", out JsonElement rtol)) solver = SolverSettings.WithTolerance(tableau, Positive(file, rtol, "$.solver.rtol"));
            else throw new ExperimentException(file, "$.solver", "give either step (fixed steps) or rtol (adaptive steps)");
        }
        string gradient = root.TryGetProperty("gradient", out JsonElement g) ? g.GetString() ?? "" : "symplectic-adjoint";
        if (!GradientMethods.ContainsKey(gradient))
            throw new ExperimentException(file, "$.gradient", $"unknown gradient method '{gradient}'; known: {string.Join(", ", GradientMethods.Keys)}");

        JsonElement training = root.TryGetProperty("training", out JsonElement tr) ? tr : default;
        double Number(string name, double fallback) =>
            training.ValueKind == JsonValueKind.Object && training.TryGetProperty(name, out JsonElement v) ? Positive(file, v, $"$.training.{name}") : fallback;
        return new FitExperiment(file, dataFile, populations, type, hidden, activation, timeInput, solver, gradient,
            (int)Number("iterations", 1000), Number("learningRate", 0.05), Number("finalLearningRate", 0.001),
            (int)Number("batch", 8), (int)Number("window", 5), (int)Number("seed", 1));
    }

    /// <summary>The trajectories: for each population, its times and states (frames × elements).</summary>
    public IReadOnlyList<(double[] Times, double[] States, int Dimension)> LoadTraces()
    {
        if (!System.IO.File.Exists(DataFile)) throw new FileNotFoundException($"{File}: $.data.file: {DataFile} does not exist");
        using var h5 = Hdf5File.OpenReadOnly(DataFile);
        var reports = SonataFileReader.ReadReports(h5);
        var result = new List<(double[], double[], int)>();
        foreach (string population in Populations)
        {
            StateReport report = reports.FirstOrDefault(r => r.Population == population)
                ?? throw new ExperimentException(File, "$.data.populations", $"{DataFile} has no report for population '{population}'; it has: {string.Join(", ", reports.Select(r => r.Population))}");
            double[] times = new double[report.Frames];
            for (int f = 0; f < report.Frames; f++) times[f] = report.StartMs + f * report.DtMs;
            if (result.Count > 0 && report.Elements != result[0].Item3)
                throw new ExperimentException(File, "$.data.populations", $"population '{population}' has {report.Elements} elements, '{Populations[0]}' has {result[0].Item3}; all trajectories must have the same dimension");
            result.Add((times, report.Data, report.Elements));
        }
        return result;
    }

    private static string String(string file, JsonElement parent, string name, string at, string? fallback)
    {
        if (parent.TryGetProperty(name, out JsonElement e) && e.ValueKind == JsonValueKind.String) return e.GetString()!;
        return fallback ?? throw new ExperimentException(file, $"{at}.{name}", "is required (a string)");
    }

    private static double Positive(string file, JsonElement value, string at)
    {
        if (value.ValueKind != JsonValueKind.Number || !(value.GetDouble() > 0))
            throw new ExperimentException(file, at, $"must be a positive number, not {value}");
        return value.GetDouble();
    }
}
