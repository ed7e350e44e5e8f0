using System.Text.Json;
using System.Text.Json.Serialization;
using BioSim.Circuits.Cells;
using BioSim.Circuits.Connectivity;
using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Plugins;
using BioSim.Engine.Random;

namespace BioSim.IO.Experiments;

/// <summary>
/// Reads and validates experiment files (JSON). Every problem is reported as one sentence with the
/// file, the JSON path of the field, the value and what is allowed.
/// </summary>
public sealed class ExperimentReader(Catalogue catalogue)
{
    internal static readonly JsonSerializerOptions ParameterOptions = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
        NumberHandling = JsonNumberHandling.Strict,
    };

    private static readonly string[] TopFields =
        ["name", "description", "seed", "dt", "duration", "threads", "flush_interval", "timing", "populations", "projections", "record"];

    /// <summary>Reads and validates the experiment file at <paramref name="path"/>.</summary>
    public Experiment ReadFile(string path) => Read(JsonFields.ReadText(path, "experiment"), path);

    /// <summary>Reads and validates experiment <paramref name="json"/>; <paramref name="file"/> names it in messages.</summary>
    public Experiment Read(string json, string file = "experiment") => JsonFields.ReadRoot(json, file, TopFields, (f, root) =>
    {
        double dt = f.PositiveNumber(root, "dt", "");
        double duration = f.PositiveNumber(root, "duration", "");
        var populations = ReadPopulations(f, f.Array(root, "populations", ""));
        var names = populations.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var projections = root.TryGetProperty("projections", out _)
            ? ReadProjections(f, f.Array(root, "projections", ""), populations)
            : [];
        var record = root.TryGetProperty("record", out var rec) ? ReadRecord(f, rec, "record", populations, projections) : new RecordSpec(names.ToArray(), []);
        for (int k = 0; k < record.Weights.Count; k++)
        {
            if (record.Weights[k].Matrix is not null) continue;   // a population's own matrix, checked when the model is built
            var weighed = projections.First(p => p.Name == record.Weights[k].Projection);
            if (catalogue.Find<IPopulationModel>(populations.First(p => p.Name == weighed.Source).Model)!.IsCurrentSource)
            {
                throw f.Error($"record.weights[{k}].projection", $"'{weighed.Name}' is the projection of current device '{weighed.Source}': its weights scale a current and never change; record the target's \"I_stim\" instead");
            }
        }
        int threads = root.TryGetProperty("threads", out _) ? f.Integer(root, "threads", "", 1, 1024) : 1;
        double flush = root.TryGetProperty("flush_interval", out _) ? f.PositiveNumber(root, "flush_interval", "") : 100.0;
        var timing = Engine.Simulation.SpikeTiming.Grid;
        if (root.TryGetProperty("timing", out _))
        {
            timing = f.String(root, "timing", "") switch
            {
                "grid" => Engine.Simulation.SpikeTiming.Grid,
                "exact" => Engine.Simulation.SpikeTiming.Exact,
                string other => throw f.Error("timing", $"unknown timing '{other}'; allowed: grid (delays rounded to the step), exact (continuous delays, input at its exact time)"),
            };
        }
        if (timing == Engine.Simulation.SpikeTiming.Exact)
        {
            for (int k = 0; k < projections.Count; k++)
            {
                // A current device's changes are queued by the target itself, so they need no delay.
                if (catalogue.Find<IPopulationModel>(populations.First(p => p.Name == projections[k].Source).Model)!.IsCurrentSource) continue;
                // Spikes are exchanged once per step, so a spike must not arrive within the step it was emitted in (NEST requires the same).
                if (projections[k].Delay.Minimum < dt)
                {
                    throw f.Error($"projections[{k}].delay", $"with \"timing\": \"exact\" every delay must be at least one step (dt = {dt} ms); the smallest possible here is {projections[k].Delay.Minimum} ms");
                }
            }
        }
        if (Math.Abs(duration / dt - Math.Round(duration / dt)) > 1e-9 * (duration / dt))
        {
            throw new ExperimentException(file, "duration", $"{duration} ms is not a whole number of steps of dt = {dt} ms; make it a multiple of dt");
        }
        return new Experiment
        {
            File = file,
            Json = json,
            Name = f.String(root, "name", ""),
            Description = root.TryGetProperty("description", out _) ? f.String(root, "description", "") : "",
            Seed = f.Seed(root, "seed", ""),
            Dt = dt,
            Duration = duration,
            Threads = threads,
            FlushInterval = flush,
            Timing = timing,
            Populations = populations,
            Projections = projections,
            Record = record,
        };
    });

    /// <summary>
    /// Every population names its model; the model declares the record type of its parameters. Most models read it from
    /// <c>"parameters"</c> and take <c>"receptors"</c> and <c>"initial"</c>; a model whose parameters are a
    /// <see cref="CablePopulationParameters"/> reads its cell description from <c>"cell"</c> and <c>"method"</c> instead
    /// (<see cref="ReadCableParameters"/>), the one format this file knows for that type.
    /// </summary>
    private List<PopulationSpec> ReadPopulations(JsonFields f, JsonElement array, string basePath = "populations")
    {
        var list = new List<PopulationSpec>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int index = 0;
        foreach (var el in array.EnumerateArray())
        {
            string path = $"{basePath}[{index++}]";
            f.Object(el, path);
            bool cable = el.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String
                && catalogue.Find<IPopulationModel>(m.GetString()!)?.ParametersType == typeof(CablePopulationParameters);
            bool microcircuit = !cable && el.TryGetProperty("model", out var mm) && mm.ValueKind == JsonValueKind.String
                && catalogue.Find<IPopulationModel>(mm.GetString()!)?.ParametersType == typeof(Circuits.Microcircuit.MicrocircuitParameters);
            f.NoUnknown(el, path, cable ? ["name", "size", "model", "cell", "method"]
                : microcircuit ? ["name", "size", "model", "parameters", "initial", "plasticity", "task"]
                : ["name", "size", "model", "parameters", "receptors", "initial", "integration"]);
            string name = f.String(el, "name", path);
            if (!seen.Add(name)) throw f.Error($"{path}.name", $"'{name}' is used by two populations; names must be unique");
            int size = f.Integer(el, "size", path, 1, int.MaxValue);
            string modelName = f.String(el, "model", path);
            var model = catalogue.Find<IPopulationModel>(modelName)
                ?? throw f.Error($"{path}.model", $"unknown model '{modelName}'; allowed: {string.Join(", ", ModelNames())}");
            if (cable)
            {
                list.Add(new PopulationSpec(name, size, modelName, ReadCableParameters(f, el, path), [], new Dictionary<string, Distribution>()));
                continue;
            }
            if (microcircuit) MovedToTask(f, el, path);
            object parameters = f.Typed(el, "parameters", path, model.ParametersType);
            string? problem = model.Validate(parameters);
            if (problem is not null) throw f.FieldError($"{path}.parameters", problem);
            // A step-current device may name a schedule file: only io reads files, so it is read here.
            if (parameters is Circuits.Stimuli.StepCurrentParameters { file: not null } steps)
            {
                parameters = StepCurrentFileReader.Load(steps, f, $"{path}.parameters");
                problem = model.Validate(parameters);
                if (problem is not null) throw f.FieldError($"{path}.parameters", problem);
            }
            // A spike generator may name a spike file: only io reads files, so its spikes are read here.
            if (parameters is Circuits.Stimuli.SpikeGeneratorParameters generator)
            {
                parameters = generator.file is not null ? SpikeFileReader.Load(generator, size, f, $"{path}.parameters") : generator;
                problem = generator.ValidateFor(size);
                if (problem is not null) throw f.FieldError($"{path}.parameters", problem);
            }

            var receptors = new List<ReceptorSpec>();
            if (el.TryGetProperty("receptors", out var recs))
            {
                int r = 0;
                foreach (var re in f.Array(el, "receptors", path).EnumerateArray())
                {
                    string rp = $"{path}.receptors[{r++}]";
                    f.Object(re, rp);
                    f.NoUnknown(re, rp, ["name", "model", "tau", "E"]);
                    var spec = new ReceptorSpec(
                        f.String(re, "name", rp), f.String(re, "model", rp), f.Number(re, "tau", rp),
                        re.TryGetProperty("E", out _) ? f.Number(re, "E", rp) : null);
                    string? bad = spec.Validate();
                    if (bad is not null) throw f.FieldError(rp, bad);
                    if (!model.ReceptorModels.Contains(spec.Model))
                    {
                        throw f.Error($"{rp}.model", model.ReceptorModels.Count == 0
                            ? $"model '{modelName}' has no receptors (no projection can target it); remove \"receptors\""
                            : $"model '{modelName}' does not take '{spec.Model}' receptors; allowed: {string.Join(", ", model.ReceptorModels)}");
                    }
                    if (receptors.Any(x => x.Name == spec.Name)) throw f.Error($"{rp}.name", $"'{spec.Name}' is used by two receptors of this population");
                    receptors.Add(spec);
                }
            }

            var initial = new Dictionary<string, Distribution>(StringComparer.Ordinal);
            if (el.TryGetProperty("initial", out var init))
            {
                f.Object(init, $"{path}.initial");
                foreach (var prop in init.EnumerateObject()) initial[prop.Name] = f.Distribution(prop.Value, $"{path}.initial.{prop.Name}");
            }
            var (plasticity, plasticityParameters) = microcircuit && el.TryGetProperty("plasticity", out var pl)
                ? ReadMicrocircuitPlasticity(f, pl, $"{path}.plasticity")
                : (null, null);
            Circuits.Microcircuit.MicrocircuitTask? task = null;
            if (microcircuit && el.TryGetProperty("task", out _))
            {
                task = (Circuits.Microcircuit.MicrocircuitTask)f.Typed(el, "task", path, typeof(Circuits.Microcircuit.MicrocircuitTask));
                if (task.Validate() is { } bad) throw f.FieldError($"{path}.task", bad);
            }
            list.Add(new PopulationSpec(name, size, modelName, parameters, receptors, initial)
            {
                Integration = ReadIntegration(f, el, path), Plasticity = plasticity, PlasticityParameters = plasticityParameters, Task = task,
            });
        }
        if (list.Count == 0) throw f.Error(basePath, "at least one population is needed");
        return list;
    }

    /// <summary>
    /// A population's <c>"integration"</c>: absent or <c>{"method": "fixed"}</c> for the model's fixed-step scheme;
    /// <c>{"method": "adaptive", "rtol": r, "atol": a}</c> (rtol in (0, 1), default 1e-6; atol &gt; 0, default 1e-6, in the
    /// units of the state) for each cell's own Dormand-Prince steps between its input events.
    /// </summary>
    private static Engine.Ode.AdaptiveOptions? ReadIntegration(JsonFields f, JsonElement el, string path)
    {
        if (!el.TryGetProperty("integration", out var integration)) return null;
        string ip = $"{path}.integration";
        f.Object(integration, ip);
        f.NoUnknown(integration, ip, ["method", "rtol", "atol"]);
        string method = f.String(integration, "method", ip);
        if (method == "fixed")
        {
            if (integration.TryGetProperty("rtol", out _) || integration.TryGetProperty("atol", out _))
            {
                throw f.Error(ip, "\"rtol\" and \"atol\" apply to \"method\": \"adaptive\" only");
            }
            return null;
        }
        if (method != "adaptive") throw f.Error($"{ip}.method", $"unknown method '{method}'; allowed: adaptive, fixed");
        double rtol = integration.TryGetProperty("rtol", out _) ? f.Number(integration, "rtol", ip) : 1e-6;
        double atol = integration.TryGetProperty("atol", out _) ? f.Number(integration, "atol", ip) : 1e-6;
        if (!(rtol > 0 && rtol < 1)) throw f.Error($"{ip}.rtol", $"must lie in (0, 1), got {rtol}");
        if (!(atol > 0) || double.IsInfinity(atol)) throw f.Error($"{ip}.atol", $"must be positive and finite, got {atol}");
        return new Engine.Ode.AdaptiveOptions { RelativeTolerance = rtol, AbsoluteTolerance = atol };
    }

    /// <summary>The model names, point models first, then multi-compartment cells (each group sorted).</summary>
    private IEnumerable<string> ModelNames() =>
        catalogue.Names<IPopulationModel>().OrderBy(n => catalogue.Find<IPopulationModel>(n)!.Compartmental);

    /// <summary>
    /// The parameters of a population of multi-compartment cells: <c>{"name", "size", "model": "cable", "cell": {…} or "cell.json",
    /// "method": "backward-euler" | "crank-nicolson"}</c>; the cell is read by <see cref="CableCellReader"/> (SWC and
    /// cell files relative to the experiment file), so its errors carry this population's JSON path.
    /// </summary>
    private CablePopulationParameters ReadCableParameters(JsonFields f, JsonElement el, string path)
    {
        var cells = new CableCellReader(catalogue);
        if (!el.TryGetProperty("cell", out var cellElement)) throw f.Error($"{path}.cell", "missing (required); give the cell description (morphology, mechanisms, point_processes) or the path of a cell JSON file");
        Circuits.Cells.CableCell cell;
        if (cellElement.ValueKind == JsonValueKind.String)
        {
            string cellFile = f.String(el, "cell", path);
            if (!Path.IsPathRooted(cellFile)) cellFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(f.File)) ?? "", cellFile);
            if (!File.Exists(cellFile)) throw f.Error($"{path}.cell", $"the cell file '{cellFile}' does not exist");
            try
            {
                cell = cells.ReadFile(cellFile);
            }
            catch (Swc.SwcFormatException e)
            {
                throw f.Error($"{path}.cell", $"{cellFile}: morphology.swc: {e.Message.TrimEnd('.')}");
            }
        }
        else
        {
            f.Object(cellElement, $"{path}.cell");
            cell = cells.Read(cellElement, f.File, $"{path}.cell");
        }
        var method = Engine.Cable.CableMethod.BackwardEuler;
        if (el.TryGetProperty("method", out _))
        {
            method = f.String(el, "method", path) switch
            {
                "backward-euler" => Engine.Cable.CableMethod.BackwardEuler,
                "crank-nicolson" => Engine.Cable.CableMethod.CrankNicolson,
                string other => throw f.Error($"{path}.method", $"unknown method '{other}'; allowed: backward-euler, crank-nicolson"),
            };
        }
        return new CablePopulationParameters(cell, method);
    }

    /// <summary>The names projections may target (the receptors, or a cable cell's synapses), as the model gives them.</summary>
    private IReadOnlyList<string> InputNames(PopulationSpec population) =>
        catalogue.Find<IPopulationModel>(population.Model)!.InputNames(population.Parameters, population.Receptors);

    private List<ProjectionSpec> ReadProjections(JsonFields f, JsonElement array, List<PopulationSpec> populations)
    {
        var list = new List<ProjectionSpec>();
        int index = 0;
        foreach (var el in array.EnumerateArray())
        {
            string path = $"projections[{index++}]";
            f.Object(el, path);
            f.NoUnknown(el, path, ["name", "source", "target", "receptor", "connectivity", "weight", "delay", "plasticity"]);
            string source = f.String(el, "source", path);
            string target = f.String(el, "target", path);
            var src = populations.FirstOrDefault(p => p.Name == source)
                ?? throw f.Error($"{path}.source", $"no population named '{source}'; populations: {string.Join(", ", populations.Select(p => p.Name))}");
            var tgt = populations.FirstOrDefault(p => p.Name == target)
                ?? throw f.Error($"{path}.target", $"no population named '{target}'; populations: {string.Join(", ", populations.Select(p => p.Name))}");
            var srcModel = catalogue.Find<IPopulationModel>(src.Model)!;
            if (srcModel.IsCurrentSource)
            {
                list.Add(ReadCurrentProjection(f, el, path, src, tgt, list));
                continue;
            }
            string receptor = f.String(el, "receptor", path);
            if (!InputNames(tgt).Contains(receptor))
            {
                throw f.Error($"{path}.receptor", $"population '{target}' has no receptor '{receptor}'; it has: {string.Join(", ", InputNames(tgt))}");
            }
            var (ruleName, ruleParameters) = ReadConnectivity(f, el, path, src, tgt, "{\"rule\": \"fixed-probability\", \"p\": 0.02}");
            var weight = f.Distribution(el.TryGetProperty("weight", out var w) ? w : throw f.Error($"{path}.weight", "missing; give a number or a distribution such as {\"normal\": [mean, sd]}"), $"{path}.weight");
            var delay = el.TryGetProperty("delay", out var d) ? f.Distribution(d, $"{path}.delay") : new ConstantDistribution(0);
            if (!(delay.Minimum >= 0)) throw f.Error($"{path}.delay", "delays must be ≥ 0 ms; use a constant or a uniform range with a non-negative lower bound");
            string name = el.TryGetProperty("name", out _) ? f.String(el, "name", path) : $"{source}->{target}:{receptor}";
            if (list.Any(p => p.Name == name)) name = $"{name}#{index - 1}";
            var (plasticity, plasticityParameters) = el.TryGetProperty("plasticity", out var pl)
                ? ReadPlasticity(f, pl, $"{path}.plasticity", weight)
                : (null, null);
            list.Add(new ProjectionSpec(name, source, target, receptor, ruleName, ruleParameters, weight, delay, plasticity, plasticityParameters));
        }
        return list;
    }

    /// <summary>A projection's <c>"connectivity"</c>: the rule's name and its checked parameters for these populations;
    /// <paramref name="example"/> is shown when the field is missing.</summary>
    private (string Rule, object Parameters) ReadConnectivity(JsonFields f, JsonElement el, string path, PopulationSpec src, PopulationSpec tgt, string example)
    {
        var conn = el.TryGetProperty("connectivity", out var c)
            ? c
            : throw f.Error($"{path}.connectivity", $"missing; give e.g. {example}; rules: {string.Join(", ", catalogue.Names<IConnectivityRule>())}");
        f.Object(conn, $"{path}.connectivity");
        string ruleName = f.String(conn, "rule", $"{path}.connectivity");
        var rule = catalogue.Find<IConnectivityRule>(ruleName)
            ?? throw f.Error($"{path}.connectivity.rule", $"unknown rule '{ruleName}'; allowed: {string.Join(", ", catalogue.Names<IConnectivityRule>())}");
        object ruleParameters = f.TypedWithout(conn, $"{path}.connectivity", rule.ParametersType, "rule");
        string? problem = rule.Validate(ruleParameters, src.Size, tgt.Size);
        if (problem is not null) throw f.FieldError($"{path}.connectivity", problem);
        return (ruleName, ruleParameters);
    }

    /// <summary>
    /// A projection from a current device (step-current-generator, noise-generator): <c>"receptor"</c> is optional and, when
    /// given, must be "current"; the target must take current; the weight (a number or a distribution) scales the device's
    /// pA onto each target; the delay (default 0) must be one number of ms; no plasticity.
    /// </summary>
    private ProjectionSpec ReadCurrentProjection(JsonFields f, JsonElement el, string path, PopulationSpec src, PopulationSpec tgt, List<ProjectionSpec> list)
    {
        var tgtModel = catalogue.Find<IPopulationModel>(tgt.Model)!;
        if (!tgtModel.TakesCurrent)
        {
            var takers = catalogue.Names<IPopulationModel>().Where(n => catalogue.Find<IPopulationModel>(n)!.TakesCurrent);
            throw f.Error($"{path}.target", $"population '{tgt.Name}' (model '{tgt.Model}') cannot take the current of device '{src.Name}' ({src.Model}); current devices drive: {string.Join(", ", takers)}");
        }
        if (el.TryGetProperty("receptor", out _) && f.String(el, "receptor", path) != CurrentPort)
        {
            throw f.Error($"{path}.receptor", $"'{src.Name}' is a current device ({src.Model}); its current enters the membrane directly: give \"receptor\": \"{CurrentPort}\" or leave it out");
        }
        if (el.TryGetProperty("plasticity", out _)) throw f.Error($"{path}.plasticity", $"'{src.Name}' is a current device ({src.Model}); its projections carry a current, not synapses a rule could change; remove \"plasticity\"");
        var (ruleName, ruleParameters) = ReadConnectivity(f, el, path, src, tgt, "{\"rule\": \"all-to-all\"}");
        var weight = f.Distribution(el.TryGetProperty("weight", out var w) ? w : throw f.Error($"{path}.weight", "missing; give a number (it scales the device's current, 1 for the current as given) or a distribution"), $"{path}.weight");
        var delay = el.TryGetProperty("delay", out var d) ? f.Distribution(d, $"{path}.delay") : new ConstantDistribution(0);
        if (delay is not ConstantDistribution constant || !(constant.Value >= 0))
        {
            throw f.Error($"{path}.delay", $"a current device's projection takes one delay ≥ 0 ms (a number), got {d.GetRawText()}");
        }
        string name = el.TryGetProperty("name", out _) ? f.String(el, "name", path) : $"{src.Name}->{tgt.Name}:{CurrentPort}";
        if (list.Any(p => p.Name == name)) name = $"{name}#{list.Count}";
        return new ProjectionSpec(name, src.Name, tgt.Name, CurrentPort, ruleName, ruleParameters, weight, delay);
    }

    /// <summary>The receptor name of a current device's projections.</summary>
    private const string CurrentPort = "current";

    /// <summary>
    /// A projection's <c>"plasticity": {"rule": name, parameters…}</c>: the rule from the catalogue, its parameters read into
    /// the rule's record and checked, and the initial weights checked against the rule's bounds.
    /// </summary>
    private (string, object) ReadPlasticity(JsonFields f, JsonElement el, string path, Distribution weight)
    {
        f.Object(el, path);
        var names = catalogue.Names<Circuits.Plasticity.ISynapticRule>();
        if (!el.TryGetProperty("rule", out _)) throw f.Error($"{path}.rule", $"missing; name the rule, e.g. {{\"rule\": \"stdp\", \"w_max\": 1.0}}; rules: {string.Join(", ", names)}");
        string ruleName = f.String(el, "rule", path);
        var rule = catalogue.Find<Circuits.Plasticity.ISynapticRule>(ruleName)
            ?? throw f.Error($"{path}.rule", $"unknown plasticity rule '{ruleName}'; allowed: {string.Join(", ", names)}");
        object parameters = f.TypedWithout(el, path, rule.ParametersType, "rule");
        string? problem = rule.Validate(parameters);
        if (problem is not null) throw f.FieldError(path, problem);
        var (min, max) = rule.WeightBounds(parameters);
        if (weight.Minimum < min || weight.Maximum > max)
        {
            throw f.Error(path.Replace(".plasticity", ".weight", StringComparison.Ordinal),
                $"initial weights can fall outside the rule's bounds [w_min, w_max] = [{min}, {max}] (they range over [{weight.Minimum}, {weight.Maximum}]); choose weights within the bounds");
        }
        return (ruleName, parameters);
    }

    /// <summary>The old spelling of a microcircuit's task, <c>"patterns"</c> and <c>"teacher_scale"</c> among its
    /// <c>"parameters"</c>, refused with the new one (the population's <c>"task"</c>) written out.</summary>
    private static void MovedToTask(JsonFields f, JsonElement el, string path)
    {
        if (!el.TryGetProperty("parameters", out var p) || p.ValueKind != JsonValueKind.Object) return;
        bool hasPatterns = p.TryGetProperty("patterns", out var patterns), hasTeacher = p.TryGetProperty("teacher_scale", out var teacher);
        if (!hasPatterns && !hasTeacher) return;
        string count = hasPatterns ? patterns.GetRawText() : "N";
        string fix = hasTeacher && !(teacher.ValueKind == JsonValueKind.Number && teacher.GetDouble() == 0)
            ? $"\"task\": {{\"type\": \"teacher-student\", \"patterns\": {count}, \"teacher_scale\": {teacher.GetRawText()}}}"
            : $"\"task\": {{\"type\": \"random-patterns\", \"patterns\": {count}}}";
        throw f.Error($"{path}.parameters.{(hasPatterns ? "patterns" : "teacher_scale")}",
            $"the task is no longer among the microcircuit's parameters; remove \"patterns\" and \"teacher_scale\" from \"parameters\" and give the population {fix}");
    }

    /// <summary>A microcircuit's <c>"plasticity": {"rule": name, parameters…}</c>: the rule from the catalogue's
    /// microcircuit rules, its parameters read into the rule's record and checked.</summary>
    private (string?, object?) ReadMicrocircuitPlasticity(JsonFields f, JsonElement el, string path)
    {
        f.Object(el, path);
        var names = catalogue.Names<Circuits.Microcircuit.IMicrocircuitRule>();
        if (!el.TryGetProperty("rule", out _)) throw f.Error($"{path}.rule", $"missing; name the rule, e.g. {{\"rule\": \"dendritic-error\", \"eta_PP\": [0.001]}}; rules: {string.Join(", ", names)}");
        string ruleName = f.String(el, "rule", path);
        var rule = catalogue.Find<Circuits.Microcircuit.IMicrocircuitRule>(ruleName)
            ?? throw f.Error($"{path}.rule", $"unknown microcircuit plasticity rule '{ruleName}'; allowed: {string.Join(", ", names)}");
        object parameters = f.TypedWithout(el, path, rule.ParametersType, "rule");
        string? problem = rule.Validate(parameters);
        if (problem is not null) throw f.FieldError(path, problem);
        return (ruleName, parameters);
    }

    private RecordSpec ReadRecord(JsonFields f, JsonElement rec, string path, List<PopulationSpec> populations, List<ProjectionSpec> projections)
    {
        f.Object(rec, path);
        f.NoUnknown(rec, path, ["spikes", "state", "weights", "compression"]);
        var spikes = new List<string>();
        if (rec.TryGetProperty("spikes", out var s))
        {
            int i = 0;
            foreach (var name in f.Array(rec, "spikes", path).EnumerateArray())
            {
                string p = $"{path}.spikes[{i++}]";
                string pop = name.ValueKind == JsonValueKind.String ? name.GetString()! : throw f.Error(p, "must be a population name");
                if (!populations.Any(x => x.Name == pop)) throw f.Error(p, $"no population named '{pop}'; populations: {string.Join(", ", populations.Select(x => x.Name))}");
                spikes.Add(pop);
            }
        }
        var state = new List<StateProbeSpec>();
        if (rec.TryGetProperty("state", out _))
        {
            int i = 0;
            foreach (var el in f.Array(rec, "state", path).EnumerateArray())
            {
                string p = $"{path}.state[{i++}]";
                f.Object(el, p);
                f.NoUnknown(el, p, ["population", "variable", "node_ids", "every", "sections", "name"]);
                string pop = f.String(el, "population", p);
                var spec = populations.FirstOrDefault(x => x.Name == pop)
                    ?? throw f.Error($"{p}.population", $"no population named '{pop}'; populations: {string.Join(", ", populations.Select(x => x.Name))}");
                List<int>? ids = null;
                if (el.TryGetProperty("node_ids", out var idsEl) && !(idsEl.ValueKind == JsonValueKind.String && idsEl.GetString() == "all"))
                {
                    ids = [];
                    int k = 0;
                    foreach (var id in f.Array(el, "node_ids", p).EnumerateArray())
                    {
                        if (!id.TryGetInt32(out int v) || v < 0 || v >= spec.Size)
                        {
                            throw f.Error($"{p}.node_ids[{k}]", $"must be an integer in [0, {spec.Size - 1}] (population '{pop}' has {spec.Size} neurons), got {id.GetRawText()}");
                        }
                        ids.Add(v);
                        k++;
                    }
                }
                int every = el.TryGetProperty("every", out _) ? f.Integer(el, "every", p, 1, int.MaxValue) : 1;
                List<string>? sections = null;
                if (el.TryGetProperty("sections", out _))
                {
                    var known = catalogue.Find<IPopulationModel>(spec.Model)!.Sections(spec.Parameters)
                        ?? throw f.Error($"{p}.sections", $"only cable populations have sections; '{pop}' is a '{spec.Model}' population");
                    sections = [];
                    int k = 0;
                    foreach (var section in f.Array(el, "sections", p).EnumerateArray())
                    {
                        string? name = section.ValueKind == JsonValueKind.String ? section.GetString() : null;
                        if (name is null || !known.Contains(name))
                        {
                            throw f.Error($"{p}.sections[{k}]", $"the cell of '{pop}' has no section {section.GetRawText()}; it has: {string.Join(", ", known)}");
                        }
                        sections.Add(name);
                        k++;
                    }
                }
                string? reportName = el.TryGetProperty("name", out _) ? f.String(el, "name", p) : null;
                state.Add(new StateProbeSpec(pop, f.String(el, "variable", p), ids, every, sections, reportName));
            }
            // Several variables of one population: each is its own report, "<population>.<variable>" unless named.
            for (int k = 0; k < state.Count; k++)
            {
                var probe = state[k];
                if (probe.Name is null && state.Count(x => x.Population == probe.Population) > 1) state[k] = probe with { Name = $"{probe.Population}.{probe.Variable}" };
            }
            for (int k = 0; k < state.Count; k++)
            {
                string name = state[k].ReportName, p = $"{path}.state[{k}]";
                if (name.Length == 0 || name.Contains('/')) throw f.Error($"{p}.name", $"'{name}' cannot name a report (an HDF5 group under /report): use letters, digits, '.', '_' or '-'");
                int first = state.FindIndex(x => x.ReportName == name);
                if (first < k) throw f.Error(state[k].Name is null ? $"{p}.population" : $"{p}.name", $"report '{name}' is already written by record.state[{first}]; give this one another \"name\"");
            }
        }
        int compression = rec.TryGetProperty("compression", out _) ? f.Integer(rec, "compression", path, 0, 9) : 0;
        var weights = rec.TryGetProperty("weights", out _) ? ReadWeightProbes(f, f.Array(rec, "weights", path), $"{path}.weights", projections, populations) : [];
        return new RecordSpec(spikes, state, compression) { Weights = weights };
    }

    /// <summary><c>"weights": [{"projection": name, "every": steps, "synapses": "all" | [i, …]}]</c>, or for a population that keeps
    /// dense matrices (a microcircuit) <c>{"population": name, "matrix": "W_PP_1_0", …}</c> (the matrix is checked when the model is built).</summary>
    private static List<WeightProbeSpec> ReadWeightProbes(JsonFields f, JsonElement array, string basePath, List<ProjectionSpec> projections, List<PopulationSpec> populations)
    {
        var list = new List<WeightProbeSpec>();
        int i = 0;
        foreach (var el in array.EnumerateArray())
        {
            string p = $"{basePath}[{i++}]";
            f.Object(el, p);
            f.NoUnknown(el, p, ["projection", "population", "matrix", "every", "synapses"]);
            string name;
            string? matrix = null;
            if (el.TryGetProperty("population", out _) || el.TryGetProperty("matrix", out _))
            {
                name = f.String(el, "population", p);
                matrix = f.String(el, "matrix", p);
                if (!populations.Any(x => x.Name == name))
                    throw f.Error($"{p}.population", $"no population named '{name}'; populations: {string.Join(", ", populations.Select(x => x.Name))}");
                if (matrix.Contains('/') || name.Contains('/')) throw f.Error($"{p}.matrix", $"'{name}.{matrix}' contains '/', which cannot name an HDF5 group");
            }
            else
            {
                name = f.String(el, "projection", p);
                if (!projections.Any(x => x.Name == name))
                {
                    throw f.Error($"{p}.projection", $"no projection named '{name}'; projections: {string.Join(", ", projections.Select(x => x.Name))} (name one with \"name\")");
                }
                if (name.Contains('/')) throw f.Error($"{p}.projection", $"'{name}' contains '/', which cannot name an HDF5 group; rename the projection");
            }
            string reportName = matrix is null ? name : $"{name}.{matrix}";
            if (list.Any(x => x.ReportName == reportName)) throw f.Error($"{p}.{(matrix is null ? "projection" : "matrix")}", $"'{reportName}' already has a weight report");
            int? every = el.TryGetProperty("every", out _) ? f.Integer(el, "every", p, 1, int.MaxValue) : null;
            List<int>? synapses = null;
            if (el.TryGetProperty("synapses", out var s) && !(s.ValueKind == JsonValueKind.String && s.GetString() == "all"))
            {
                synapses = [];
                int k = 0;
                foreach (var id in f.Array(el, "synapses", p).EnumerateArray())
                {
                    if (!id.TryGetInt32(out int v) || v < 0) throw f.Error($"{p}.synapses[{k}]", $"must be a synapse index ≥ 0 (CSR order: by source, then target), got {id.GetRawText()}");
                    synapses.Add(v);
                    k++;
                }
                if (synapses.Count == 0) throw f.Error($"{p}.synapses", "is empty; give \"all\" or synapse indices");
            }
            list.Add(new WeightProbeSpec(name, every, synapses, matrix));
        }
        return list;
    }

    internal static string FirstSentence(string message)
    {
        int cut = message.IndexOf(". ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message.TrimEnd('.');
    }
}
