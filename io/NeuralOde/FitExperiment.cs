using System.Text.Json;
using BioSim.Engine.NeuralOde;
using BioSim.Engine.Ode;
using BioSim.IO.Experiments;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;
using BioSim.Plasticity.NeuralOde;

namespace BioSim.IO.NeuralOde;

/// <summary>
/// A fitting experiment for <c>biosim fit</c>: which trajectories, which model (a fit model's name, e.g. "mlp" or
/// "rate-circuit"), solver, gradient method (by name) and training settings. Keys are snake_case, read through the same
/// <see cref="JsonFields"/> as every other BioSim file; the names of the model and the gradient method are resolved by
/// the fit workflow through the catalogue. The trajectories come from one of three sources:
/// <list type="bullet">
/// <item>BioSim state reports: <c>"data": {"file": "run.h5", "populations": ["trial0", …]}</c>, one population per
/// trajectory, elements = state components, times in ms;</item>
/// <item>any HDF5 datasets: <c>"data": {"file": "x.h5", "trajectories": [{"states": "/a/x", "time": "/a/t",
/// "input": "/a/u", "input_time": "/a/tu"}]}</c>, states frames × d (or 1-D for d = 1), time 1-D, input frames × m
/// (or 1-D) sampled at <c>input_time</c> (default: <c>time</c>), linearly interpolated; an input drives a rate circuit's
/// U u(t) term;</item>
/// <item>generated: <c>"data": {"generate": "spiral" | "lotka-volterra", "trajectories": 12, "held_out": 4,
/// "samples": 25, "duration": 6.283, "noise": 0.02, "seed": 2}</c> (<see cref="GeneratedData"/>).</item>
/// </list>
/// </summary>
/// <example>
/// { "data": { "file": "traces.h5", "populations": ["trial0", "trial1"] },
///   "model": { "type": "rate-circuit", "min_tau": 0.05 },       // or { "type": "mlp", "hidden": [32], "activation": "tanh", "time_input": false }
///   "solver": { "method": "rk4", "step": 0.05 },              // or { "method": "dopri5", "rtol": 1e-6 }
///   "gradient": "symplectic-adjoint",                          // backprop | checkpoint | symplectic-adjoint | continuous-adjoint | …
///   "training": { "iterations": 2000, "learning_rate": 0.1, "final_learning_rate": 0.001, "batch": 12, "window": 5, "seed": 1 } }
/// </example>
/// <param name="File">The fit file (for errors and relative data paths).</param>
/// <param name="DataSpec">The <c>data</c> object, read by <see cref="LoadData"/>.</param>
/// <param name="ModelType">The fit model's name (<c>model.type</c>).</param>
/// <param name="Model">The model settings (hidden layers, activation, time input, min τ; the seed is the training seed).</param>
/// <param name="Solver">The forward solver.</param>
/// <param name="Gradient">The gradient method's name.</param>
/// <param name="Iterations">Optimiser steps.</param>
/// <param name="LearningRate">Adam's rate at the first step.</param>
/// <param name="FinalLearningRate">Adam's rate at the last step (geometric decay in between).</param>
/// <param name="Batch">Windows per step.</param>
/// <param name="Window">Observations per window.</param>
/// <param name="Seed">Seed of the data order and of the initial parameters.</param>
public sealed record FitExperiment(string File, JsonElement DataSpec, string ModelType, FitModelSettings Model, SolverSettings Solver, string Gradient,
    int Iterations, double LearningRate, double FinalLearningRate, int Batch, int Window, ulong Seed)
{
    private static readonly string[] TopFields = ["data", "model", "solver", "gradient", "training"];
    private static readonly string[] ModelFields = ["type", "hidden", "activation", "time_input", "min_tau"];
    private static readonly string[] SolverFields = ["method", "step", "rtol"];
    private static readonly string[] TrainingFields = ["iterations", "learning_rate", "final_learning_rate", "batch", "window", "seed"];

    /// <summary>Reads and validates a fit experiment; errors name the file, the JSON path, the value and the allowed values.</summary>
    public static FitExperiment Read(string path) => Parse(JsonFields.ReadText(path, "fit"), path);

    /// <summary>Reads and validates fit <paramref name="text"/> as if it were the file at <paramref name="path"/> (which names it in
    /// messages and locates a relative data file), without reading that file (a sweep checks its expanded files before writing them).</summary>
    public static FitExperiment Parse(string text, string path)
    {
        using var document = JsonFields.Parse(text, path);
        JsonElement root = document.RootElement;
        var f = new JsonFields(path);
        f.Object(root, "$");
        f.NoUnknownSnakeCase(root, "$", TopFields);
        JsonElement data = f.Required(root, "data", "$"), model = f.Required(root, "model", "$");
        f.Object(data, "$.data");
        f.Object(model, "$.model");
        int sources = (data.TryGetProperty("populations", out _) ? 1 : 0) + (data.TryGetProperty("trajectories", out JsonElement tj) && tj.ValueKind == JsonValueKind.Array ? 1 : 0)
            + (data.TryGetProperty("generate", out _) ? 1 : 0);
        if (sources != 1)
            throw f.Error("$.data", "give exactly one of populations (BioSim reports in file), trajectories (HDF5 dataset paths in file) or generate (spiral, lotka-volterra)");
        if (!data.TryGetProperty("generate", out _)) f.NoUnknownSnakeCase(data, "$.data", ["file", "populations", "trajectories"]);

        f.NoUnknownSnakeCase(model, "$.model", ModelFields);
        string type = f.String(model, "type", "$.model");
        int[] hidden = [32];
        if (model.TryGetProperty("hidden", out _))
        {
            JsonElement h = f.Array(model, "hidden", "$.model");
            hidden = new int[h.GetArrayLength()];
            for (int i = 0; i < hidden.Length; i++)
            {
                if (!h[i].TryGetInt32(out hidden[i]) || hidden[i] < 1) throw f.Error($"$.model.hidden[{i}]", $"must be a positive integer (a layer width), got {JsonFields.Kind(h[i])}");
            }
        }
        string activation = f.String(model, "activation", "$.model", "tanh");
        using var empty = JsonDocument.Parse("{}");
        JsonElement training = root.TryGetProperty("training", out JsonElement tr) ? tr : empty.RootElement;
        f.Object(training, "$.training");
        f.NoUnknownSnakeCase(training, "$.training", TrainingFields);
        ulong seed = f.Seed(training, "seed", "$.training", 1);
        var settings = new FitModelSettings
        {
            Hidden = hidden,
            Activation = activation,
            TimeInput = f.Boolean(model, "time_input", "$.model", false),
            MinTau = f.PositiveNumber(model, "min_tau", "$.model", 1e-3),
            Seed = seed,
        };
        string gradient = f.String(root, "gradient", "$", "symplectic-adjoint");
        return new FitExperiment(path, data.Clone(), type, settings, ReadSolver(f, root), gradient,
            f.Integer(training, "iterations", "$.training", 1, int.MaxValue, 1000),
            f.PositiveNumber(training, "learning_rate", "$.training", 0.05), f.PositiveNumber(training, "final_learning_rate", "$.training", 0.001),
            f.Integer(training, "batch", "$.training", 1, int.MaxValue, 8), f.Integer(training, "window", "$.training", 1, int.MaxValue, 5), seed);
    }

    private static SolverSettings ReadSolver(JsonFields f, JsonElement root)
    {
        if (!root.TryGetProperty("solver", out JsonElement s)) return SolverSettings.Fixed(ButcherTableau.RK4, 0.05);
        f.Object(s, "$.solver");
        f.NoUnknownSnakeCase(s, "$.solver", SolverFields);
        string method = f.String(s, "method", "$.solver", "rk4");
        ButcherTableau tableau = ButcherTableau.All.FirstOrDefault(t => t.Name == method)
            ?? throw f.Error("$.solver.method", $"unknown method '{method}'; known: {string.Join(", ", ButcherTableau.All.Select(t => t.Name))}");
        if (s.TryGetProperty("step", out _)) return SolverSettings.Fixed(tableau, f.PositiveNumber(s, "step", "$.solver"));
        if (s.TryGetProperty("rtol", out _)) return SolverSettings.WithTolerance(tableau, f.PositiveNumber(s, "rtol", "$.solver"));
        throw f.Error("$.solver", "give either step (fixed steps) or rtol (adaptive steps)");
    }

    /// <summary>Loads (or generates) the trajectories. Errors name this file, the JSON path, the HDF5 file and the dataset.</summary>
    public FitData LoadData()
    {
        JsonElement data = DataSpec;
        if (data.TryGetProperty("generate", out _)) return GeneratedData.Generate(File, data);
        string dataFile = new JsonFields(File).String(data, "file", "$.data");
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
        if (list.GetArrayLength() == 0) throw new ExperimentException(File, "$.data.trajectories", "must be a non-empty array of {states, time[, input, input_time]} dataset paths");
        var f = new JsonFields(File);
        var result = new List<Trace>();
        int index = 0;
        foreach (JsonElement item in list.EnumerateArray())
        {
            string at = $"$.data.trajectories[{index}]";
            if (item.ValueKind != JsonValueKind.Object) throw new ExperimentException(File, at, "must be an object {states, time[, input, input_time]}");
            f.NoUnknownSnakeCase(item, at, ["states", "time", "input", "input_time"]);
            string statesPath = f.String(item, "states", at), timePath = f.String(item, "time", at);
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
                string inputPath = f.String(item, "input", at);
                int count;
                (input, count, m) = Matrix(h5, dataFile, inputPath, $"{at}.input");
                if (item.TryGetProperty("input_time", out _))
                {
                    string inputTimePath = f.String(item, "input_time", at);
                    (inputTimes, int n, int c) = Matrix(h5, dataFile, inputTimePath, $"{at}.input_time");
                    if (c != 1 || n != count)
                        throw new ExperimentException(File, $"{at}.input_time", $"'{inputTimePath}' in {dataFile} has {n} × {c} values; expected one time per sample of '{inputPath}' ({count})");
                    CheckTimes(inputTimes, $"{at}.input_time", inputTimePath, dataFile);
                }
                else
                {
                    if (count != frames)
                        throw new ExperimentException(File, $"{at}.input", $"'{inputPath}' in {dataFile} has {count} samples but '{statesPath}' has {frames} frames; give input_time when the input has its own times");
                    inputTimes = times;
                }
                foreach (double v in input)
                {
                    if (!double.IsFinite(v)) throw new ExperimentException(File, $"{at}.input", $"'{inputPath}' in {dataFile} holds {v}; inputs must be finite");
                }
            }
            else if (item.TryGetProperty("input_time", out _))
            {
                throw new ExperimentException(File, $"{at}.input_time", "needs input (the dataset it gives the times of)");
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
}
