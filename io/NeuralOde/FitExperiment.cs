using System.Text.Json;
using BioSim.Engine.NeuralOde;
using BioSim.Engine.Ode;
using BioSim.IO.Experiments;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;

namespace BioSim.IO.NeuralOde;

/// <summary>
/// One trajectory to fit or to evaluate on: sample times, states (frames × d), optionally the input u(t) it was
/// driven by (its own sample times, frames × m), and for generated data the noise-free states.
/// </summary>
/// <param name="Name">Population, dataset path or "spiral[3]".</param>
/// <param name="Times">Sample times (increasing).</param>
/// <param name="States">Observed states, row-major frames × <paramref name="Dimension"/>.</param>
/// <param name="Dimension">State dimension d.</param>
/// <param name="InputTimes">Sample times of the input, or null for an undriven trajectory.</param>
/// <param name="Input">Input samples, row-major (InputTimes.Length × <paramref name="Inputs"/>), or null.</param>
/// <param name="Inputs">Number of input channels m (0 without input).</param>
/// <param name="Truth">Noise-free states at <paramref name="Times"/> (generated data), or null.</param>
public sealed record Trace(string Name, double[] Times, double[] States, int Dimension, double[]? InputTimes = null, double[]? Input = null,
    int Inputs = 0, double[]? Truth = null);

/// <summary>The trajectories of a fit: those to train on and those held out (evaluated on, never trained on).</summary>
public sealed record FitData(IReadOnlyList<Trace> Train, IReadOnlyList<Trace> HeldOut);

/// <summary>
/// A fitting experiment for <c>biosim fit</c>: which trajectories, which model (an MLP or a rate circuit), solver,
/// gradient method and training settings. The trajectories come from one of three sources:
/// <list type="bullet">
/// <item>BioSim state reports: <c>"data": {"file": "run.h5", "populations": ["trial0", …]}</c>, one population per
/// trajectory, elements = state components, times in ms;</item>
/// <item>any HDF5 datasets: <c>"data": {"file": "x.h5", "trajectories": [{"states": "/a/x", "time": "/a/t",
/// "input": "/a/u", "inputTime": "/a/tu"}]}</c>, states frames × d (or 1-D for d = 1), time 1-D, input frames × m
/// (or 1-D) sampled at <c>inputTime</c> (default: <c>time</c>), linearly interpolated; an input drives a rate circuit's
/// U u(t) term;</item>
/// <item>generated: <c>"data": {"generate": "spiral" | "lotka-volterra", "trajectories": 12, "heldOut": 4,
/// "samples": 25, "duration": 6.283, "noise": 0.02, "seed": 2}</c> (<see cref="GeneratedData"/>).</item>
/// </list>
/// </summary>
/// <example>
/// { "data": { "file": "traces.h5", "populations": ["trial0", "trial1"] },
///   "model": { "type": "rate-circuit" },                       // or { "type": "mlp", "hidden": [32], "activation": "tanh", "timeInput": false }
///   "solver": { "method": "rk4", "step": 0.05 },              // or { "method": "dopri5", "rtol": 1e-6 }
///   "gradient": "symplectic-adjoint",                          // backprop | checkpoint | symplectic-adjoint | continuous-adjoint
///   "training": { "iterations": 2000, "learningRate": 0.1, "finalLearningRate": 0.001, "batch": 12, "window": 5, "seed": 1 } }
/// </example>
public sealed record FitExperiment(string File, JsonElement DataSpec, string ModelType,
    IReadOnlyList<int> Hidden, Activation Activation, bool TimeInput, SolverSettings Solver, string Gradient,
    int Iterations, double LearningRate, double FinalLearningRate, int Batch, int Window, int Seed, double MinTau)
{
    /// <summary>The gradient methods by name; the error for an unknown name lists them.</summary>
    public static IReadOnlyDictionary<string, Func<IGradientMethod>> GradientMethods { get; } = new Dictionary<string, Func<IGradientMethod>>
    {
        ["backprop"] = () => new BackpropThroughSolver(),
        ["checkpoint"] = () => new CheckpointedBackprop(),
        ["symplectic-adjoint"] = () => new SymplecticAdjoint(),
        ["continuous-adjoint"] = () => new ContinuousAdjoint(),
    };

    private static readonly string[] TopFields = ["data", "model", "solver", "gradient", "training"];

    /// <summary>Reads and validates a fit experiment; errors name the file, the JSON path and the allowed values.</summary>
    public static FitExperiment Read(string path)
    {
        string text = System.IO.File.ReadAllText(path);
        using var document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        JsonElement root = document.RootElement;
        string file = path;
        if (root.ValueKind != JsonValueKind.Object) throw new ExperimentException(file, "$", "a fit experiment is a JSON object");
        foreach (JsonProperty p in root.EnumerateObject())
        {
            if (!TopFields.Contains(p.Name)) throw new ExperimentException(file, $"$.{p.Name}", $"unknown field; allowed: {string.Join(", ", TopFields)}");
        }
        JsonElement data = Object(file, root, "data", "$"), model = Object(file, root, "model", "$");
        int sources = (data.TryGetProperty("populations", out _) ? 1 : 0) + (data.TryGetProperty("trajectories", out JsonElement tj) && tj.ValueKind == JsonValueKind.Array ? 1 : 0)
            + (data.TryGetProperty("generate", out _) ? 1 : 0);
        if (sources != 1)
            throw new ExperimentException(file, "$.data", "give exactly one of populations (BioSim reports in file), trajectories (HDF5 dataset paths in file) or generate (spiral, lotka-volterra)");

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
        double minTau = model.TryGetProperty("minTau", out JsonElement mt) ? Positive(file, mt, "$.model.minTau") : 1e-3;

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
        return new FitExperiment(file, data.Clone(), type, hidden, activation, timeInput, solver, gradient,
            (int)Number("iterations", 1000), Number("learningRate", 0.05), Number("finalLearningRate", 0.001),
            (int)Number("batch", 8), (int)Number("window", 5), (int)Number("seed", 1), minTau);
    }

    /// <summary>Loads (or generates) the trajectories. Errors name this file, the JSON path, the HDF5 file and the dataset.</summary>
    public FitData LoadData()
    {
        JsonElement data = DataSpec;
        if (data.TryGetProperty("generate", out _)) return GeneratedData.Generate(File, data);
        string dataFile = String(File, data, "file", "$.data", null);
        if (!Path.IsPathRooted(dataFile)) dataFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(File)) ?? ".", dataFile);
        if (!System.IO.File.Exists(dataFile)) throw new ExperimentException(File, "$.data.file", $"{dataFile} does not exist");
        using var h5 = Hdf5File.OpenReadOnly(dataFile);
        var traces = data.TryGetProperty("populations", out JsonElement pops) ? Reports(h5, dataFile, pops) : Datasets(h5, dataFile, data.GetProperty("trajectories"));
        for (int i = 1; i < traces.Count; i++)
        {
            if (traces[i].Dimension != traces[0].Dimension)
                throw new ExperimentException(File, "$.data", $"trajectory '{traces[i].Name}' has {traces[i].Dimension} state components, '{traces[0].Name}' has {traces[0].Dimension}; all trajectories must have the same dimension");
            if (traces[i].Inputs != traces[0].Inputs)
                throw new ExperimentException(File, "$.data.trajectories", $"trajectory '{traces[i].Name}' has {traces[i].Inputs} input channels, '{traces[0].Name}' has {traces[0].Inputs}; give every trajectory the same inputs");
        }
        return new FitData(traces, []);
    }

    private List<Trace> Reports(Hdf5File h5, string dataFile, JsonElement pops)
    {
        if (pops.ValueKind != JsonValueKind.Array || pops.GetArrayLength() == 0)
            throw new ExperimentException(File, "$.data.populations", "must be a non-empty array of report population names (one trajectory each)");
        var reports = SonataFileReader.ReadReports(h5);
        var result = new List<Trace>();
        int index = 0;
        foreach (JsonElement p in pops.EnumerateArray())
        {
            string population = p.GetString() ?? "";
            StateReport report = reports.FirstOrDefault(r => r.Population == population)
                ?? throw new ExperimentException(File, $"$.data.populations[{index}]", $"{dataFile} has no report for population '{population}'; it has: {string.Join(", ", reports.Select(r => r.Population))}");
            double[] times = new double[report.Frames];
            for (int f = 0; f < report.Frames; f++) times[f] = report.StartMs + f * report.DtMs;
            if (report.Frames < 2) throw new ExperimentException(File, $"$.data.populations[{index}]", $"the report of '{population}' in {dataFile} has {report.Frames} frame(s); a fit needs at least 2");
            result.Add(new Trace(population, times, report.Data, report.Elements));
            index++;
        }
        return result;
    }

    private List<Trace> Datasets(Hdf5File h5, string dataFile, JsonElement list)
    {
        if (list.GetArrayLength() == 0) throw new ExperimentException(File, "$.data.trajectories", "must be a non-empty array of {states, time[, input, inputTime]} dataset paths");
        var result = new List<Trace>();
        int index = 0;
        foreach (JsonElement item in list.EnumerateArray())
        {
            string at = $"$.data.trajectories[{index}]";
            if (item.ValueKind != JsonValueKind.Object) throw new ExperimentException(File, at, "must be an object {states, time[, input, inputTime]}");
            foreach (JsonProperty p in item.EnumerateObject())
            {
                if (p.Name is not ("states" or "time" or "input" or "inputTime"))
                    throw new ExperimentException(File, $"{at}.{p.Name}", "unknown field; allowed: states, time, input, inputTime");
            }
            string statesPath = String(File, item, "states", at, null), timePath = String(File, item, "time", at, null);
            var (states, frames, d) = Matrix(h5, dataFile, statesPath, $"{at}.states");
            var (times, timeCount, timeColumns) = Matrix(h5, dataFile, timePath, $"{at}.time");
            if (timeColumns != 1 || timeCount != frames)
                throw new ExperimentException(File, $"{at}.time", $"'{timePath}' in {dataFile} has {timeCount} × {timeColumns} values; expected one time per frame of '{statesPath}' ({frames})");
            CheckTimes(times, $"{at}.time", timePath, dataFile);
            if (frames < 2) throw new ExperimentException(File, $"{at}.states", $"'{statesPath}' in {dataFile} has {frames} frame(s); a fit needs at least 2");
            foreach (double v in states)
            {
                if (!double.IsFinite(v)) throw new ExperimentException(File, $"{at}.states", $"'{statesPath}' in {dataFile} holds {v}; states must be finite");
            }
            double[]? inputTimes = null, input = null;
            int m = 0;
            if (item.TryGetProperty("input", out _))
            {
                string inputPath = String(File, item, "input", at, null);
                int count;
                (input, count, m) = Matrix(h5, dataFile, inputPath, $"{at}.input");
                if (item.TryGetProperty("inputTime", out _))
                {
                    string inputTimePath = String(File, item, "inputTime", at, null);
                    (inputTimes, int n, int c) = Matrix(h5, dataFile, inputTimePath, $"{at}.inputTime");
                    if (c != 1 || n != count)
                        throw new ExperimentException(File, $"{at}.inputTime", $"'{inputTimePath}' in {dataFile} has {n} × {c} values; expected one time per sample of '{inputPath}' ({count})");
                    CheckTimes(inputTimes, $"{at}.inputTime", inputTimePath, dataFile);
                }
                else
                {
                    if (count != frames)
                        throw new ExperimentException(File, $"{at}.input", $"'{inputPath}' in {dataFile} has {count} samples but '{statesPath}' has {frames} frames; give inputTime when the input has its own times");
                    inputTimes = times;
                }
                foreach (double v in input)
                {
                    if (!double.IsFinite(v)) throw new ExperimentException(File, $"{at}.input", $"'{inputPath}' in {dataFile} holds {v}; inputs must be finite");
                }
            }
            else if (item.TryGetProperty("inputTime", out _))
            {
                throw new ExperimentException(File, $"{at}.inputTime", "needs input (the dataset it gives the times of)");
            }
            result.Add(new Trace(statesPath, times, states, d, inputTimes, input, m));
            index++;
        }
        return result;
    }

    /// <summary>A 1-D (n × 1) or 2-D (n × columns) dataset as doubles; a missing path names the file, the path and what is there.</summary>
    private (double[] Values, int Rows, int Columns) Matrix(Hdf5File h5, string dataFile, string path, string at)
    {
        if (!h5.Exists(path) || h5.GetKind(path) != Hdf5ObjectKind.Dataset)
        {
            string parent = path.Contains('/', StringComparison.Ordinal) ? path[..path.LastIndexOf('/')] : "";
            string here = parent.Length == 0 ? "/" : parent;
            string members = h5.Exists(here) && h5.GetKind(here) == Hdf5ObjectKind.Group ? string.Join(", ", h5.ListMembers(here)) : "(no such group)";
            throw new ExperimentException(File, at, $"{dataFile} has no dataset '{path}'; {here} holds: {members}");
        }
        using Hdf5Dataset dataset = h5.OpenDataset(path);
        long[] shape = dataset.Shape;
        if (shape.Length is 0 or > 2) throw new ExperimentException(File, at, $"'{path}' in {dataFile} has {shape.Length} dimensions; expected 1 (n) or 2 (n × columns)");
        return (dataset.Read<double>(), (int)shape[0], shape.Length == 2 ? (int)shape[1] : 1);
    }

    private void CheckTimes(double[] times, string at, string path, string dataFile)
    {
        for (int i = 0; i < times.Length; i++)
        {
            if (!double.IsFinite(times[i]) || (i > 0 && !(times[i] > times[i - 1])))
                throw new ExperimentException(File, at, $"'{path}' in {dataFile} must be finite and strictly increasing: element {i} is {times[i]}");
        }
    }

    internal static JsonElement Object(string file, JsonElement parent, string name, string at)
    {
        if (!parent.TryGetProperty(name, out JsonElement e) || e.ValueKind != JsonValueKind.Object)
            throw new ExperimentException(file, $"{at}.{name}", "must be an object");
        return e;
    }

    internal static string String(string file, JsonElement parent, string name, string at, string? fallback)
    {
        if (parent.TryGetProperty(name, out JsonElement e) && e.ValueKind == JsonValueKind.String) return e.GetString()!;
        return fallback ?? throw new ExperimentException(file, $"{at}.{name}", "is required (a string)");
    }

    internal static double Positive(string file, JsonElement value, string at)
    {
        if (value.ValueKind != JsonValueKind.Number || !(value.GetDouble() > 0))
            throw new ExperimentException(file, at, $"must be a positive number, not {value}");
        return value.GetDouble();
    }
}
