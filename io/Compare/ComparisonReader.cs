using System.Reflection;
using System.Text.Json;
using BioSim.Engine.Plugins;
using BioSim.IO.Experiments;
using BioSim.Plasticity;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Training;

namespace BioSim.IO.Compare;

/// <summary>
/// Reads and validates rule-comparison files (JSON with comments and trailing commas). Every problem is
/// one <see cref="ExperimentException"/> naming the file, the JSON path, the value and what is allowed.
/// </summary>
/// <example>
/// { "name": "fashion", "seeds": [1, 2, 3], "epochs": 5, "batch": 32, "lr": 0.01,
///   "task": { "type": "fashion-mnist" },                // or { "type": "teacher-student", "teacher": "linear", "inputs": 30, "outputs": 10, ... }
///   "architecture": { "layers": [256, 256, 10], "activation": "tanh", "output_activation": "identity", "loss": "softmax-cross-entropy" },
///   "optimiser": { "type": "sgd", "momentum": 0.9 },
///   "rules": ["backprop", { "name": "feedback-alignment", "options": { "feedback": { "uniform": [-0.5, 0.5] } } }],
///   "alignment": true,
///   "lr_schedule": [{"from_epoch": 1, "factor_per_epoch": 0.95}, {"from_epoch": 21, "factor_per_epoch": 0.9}, {"from_epoch": 26, "factor_per_epoch": 0.8}] }
/// </example>
/// <remarks>
/// "lr_schedule" (optional) multiplies every learning rate during 1-based epoch E by f^(E − 1), f the
/// "factor_per_epoch" of the last segment whose "from_epoch" ≤ E (the first segment starts at epoch 1, the last one
/// lasts for ever; <see cref="LearningRateSchedule"/>). The example is the official Supervised-CorInfoMax schedule,
/// 0.95^e for e &lt; 20, 0.9^e for e &lt; 25, 0.8^e after (e = E − 1). "Every rate" means the optimiser's "lr" for rules
/// whose updates the optimiser applies, and the rule's own RateScale for rules that apply rates themselves
/// (correlative infomax: forward and feedback rates), through <see cref="Trainer.ScaleRates"/>.
/// A rule's entry may override the architecture's "init" and "output_l2" for that rule alone. The Song, Xu &amp; Lafferty
/// setting uses the teacher-student fields "unit_norm_inputs" and "target_rms" and the architecture's "output_scale"
/// (a number or "1/sqrt(n_in)") and "output_l2".
/// </remarks>
public sealed class ComparisonReader(Catalogue catalogue)
{
    private static readonly string[] TopFields =
        ["name", "description", "task", "architecture", "optimiser", "lr", "batch", "epochs", "seeds", "rules", "alignment", "divergence_loss", "precision", "lr_schedule"];

    /// <summary>Reads and validates the comparison file at <paramref name="path"/>.</summary>
    public ComparisonExperiment ReadFile(string path) => Read(JsonFields.ReadText(path, "comparison"), path);

    /// <summary>Reads and validates comparison <paramref name="json"/>; <paramref name="file"/> names it in messages and gives
    /// the default name.</summary>
    public ComparisonExperiment Read(string json, string file = "comparison") => JsonFields.ReadRoot(json, file, TopFields, (f, root) =>
    {
        bool float32 = false;
        if (root.TryGetProperty("precision", out var precision))
        {
            string? value = precision.ValueKind == JsonValueKind.String ? precision.GetString() : null;
            if (value == "float32") float32 = true;
            else if (value != "float64") throw f.Error("precision", $"got {JsonFields.Kind(precision)}; allowed: float64, float32");
        }
        var task = ReadTask(f, f.Required(root, "task", ""));
        var architecture = ReadArchitecture(f, f.Required(root, "architecture", ""), task);
        double lr = f.PositiveNumber(root, "lr", "");
        var optimiser = ReadOptimiser(f, f.Required(root, "optimiser", ""), lr);
        int batch = f.Integer(root, "batch", "", 1, 1 << 20);
        int epochs = f.Integer(root, "epochs", "", 1, 100_000);
        var schedule = root.TryGetProperty("lr_schedule", out var sched) ? ReadSchedule(f, sched) : null;
        var seeds = new List<ulong>();
        int i = 0;
        foreach (var s in f.Array(root, "seeds", "").EnumerateArray())
        {
            string p = $"seeds[{i++}]";
            if (s.ValueKind != JsonValueKind.Number || !s.TryGetUInt64(out ulong seed)) throw f.Error(p, $"must be a non-negative integer, got {JsonFields.Kind(s)}");
            if (seeds.Contains(seed)) throw f.Error(p, $"seed {seed} is listed twice");
            seeds.Add(seed);
        }
        if (seeds.Count == 0) throw f.Error("seeds", "give at least one seed, e.g. [1, 2, 3]");
        var rules = ReadRules(f, f.Array(root, "rules", ""), task, architecture, optimiser);
        if (float32 && architecture.Token is not null) throw f.Error("precision", "the token model trains in float64 only; set \"precision\": \"float64\" or use a layered architecture");
        if (float32) CheckFloat32(f, architecture, optimiser, rules);
        bool alignment = architecture.Token is null;
        int probe = 256;
        if (root.TryGetProperty("alignment", out var al))
        {
            if (al.ValueKind is JsonValueKind.True or JsonValueKind.False) alignment = al.GetBoolean();
            else if (al.ValueKind == JsonValueKind.Object)
            {
                f.NoUnknown(al, "alignment", ["enabled", "probe"]);
                alignment = !al.TryGetProperty("enabled", out _) || f.Boolean(al, "enabled", "alignment");
                if (al.TryGetProperty("probe", out _)) probe = f.Integer(al, "probe", "alignment", 1, 1 << 20);
            }
            else throw f.Error("alignment", $"must be true, false or {{\"enabled\": true, \"probe\": 256}}, got {JsonFields.Kind(al)}");
            if (alignment && architecture.Token is not null)
                throw f.Error("alignment", "the alignment probes measure layered networks against backprop; the token model has none: set \"alignment\": false or leave it out");
        }
        return new ComparisonExperiment
        {
            File = file,
            Json = json,
            Name = root.TryGetProperty("name", out _) ? f.String(root, "name", "") : Path.GetFileNameWithoutExtension(file),
            Task = task,
            Architecture = architecture,
            Optimiser = optimiser,
            Batch = batch,
            Epochs = epochs,
            Schedule = schedule,
            Seeds = seeds,
            Rules = rules,
            Alignment = alignment,
            ProbeRows = probe,
            DivergenceLoss = root.TryGetProperty("divergence_loss", out _) ? f.PositiveNumber(root, "divergence_loss", "") : 1e10,
            SinglePrecision = float32,
        };
    });

    /// <summary>With "precision": "float32" every rule, optimiser, loss and activation must be one the float32 trainer runs
    /// (<see cref="Plasticity.Training.PrecisionTrainer{T}"/>); the first that is not is refused naming its field and the fix.</summary>
    private static void CheckFloat32(JsonFields f, ArchitectureSpec architecture, OptimiserSpec optimiser, List<RuleSpec> rules)
    {
        const string fix = "or set \"precision\": \"float64\"";
        string[] activations = Plasticity.Training.PrecisionTrainer<float>.Activations;
        string[] optimisers = Plasticity.Training.PrecisionTrainer<float>.Optimisers;
        if (architecture.Loss is not ("softmax-cross-entropy" or "mse"))
            throw f.Error("architecture.loss", $"'{architecture.Loss}' has no float32 implementation; float32 takes softmax-cross-entropy and mse (with or without auxiliary output units), {fix}");
        foreach (var (name, field) in new[] { (architecture.Activation, "architecture.activation"), (architecture.OutputActivation, "architecture.output_activation") })
        {
            if (Array.IndexOf(activations, name.Split(':')[0]) < 0)
                throw f.Error(field, $"'{name}' has no float32 implementation; float32 takes {string.Join(", ", activations)}, {fix}");
        }
        if (Array.IndexOf(optimisers, optimiser.Type) < 0)
            throw f.Error("optimiser.type", $"'{optimiser.Type}' has no float32 implementation; float32 takes {string.Join(", ", optimisers)}, {fix}");
        for (int i = 0; i < rules.Count; i++)
        {
            if (Array.IndexOf(Plasticity.Training.PrecisionTrainer<float>.Rules, rules[i].Name) < 0)
                throw f.Error($"rules[{i}]", $"rule '{rules[i].Name}' has no float32 implementation; with \"precision\": \"float32\" use {string.Join(", ", Plasticity.Training.PrecisionTrainer<float>.Rules)}, remove the rule, {fix}");
            if (rules[i].Optimiser is { } own && Array.IndexOf(optimisers, own.Type) < 0)
                throw f.Error($"rules[{i}].optimiser.type", $"'{own.Type}' has no float32 implementation; float32 takes {string.Join(", ", optimisers)}, {fix}");
        }
    }

    private static LearningRateSchedule ReadSchedule(JsonFields f, JsonElement el)
    {
        const string path = "lr_schedule";
        const string shape = "[{\"from_epoch\": 1, \"factor_per_epoch\": 0.95}, {\"from_epoch\": 21, \"factor_per_epoch\": 0.9}, …]";
        if (el.ValueKind != JsonValueKind.Array || el.GetArrayLength() == 0)
            throw f.Error(path, $"must be a non-empty array of segments {shape} (the rates of epoch E are lr · f^(E − 1), f of the segment E falls in), got {JsonFields.Kind(el)}");
        var segments = new List<RateSegment>();
        int i = 0;
        foreach (var s in el.EnumerateArray())
        {
            string p = $"{path}[{i}]";
            if (s.ValueKind != JsonValueKind.Object) throw f.Error(p, $"must be an object {{\"from_epoch\": E, \"factor_per_epoch\": f}}, got {JsonFields.Kind(s)}");
            f.NoUnknown(s, p, ["from_epoch", "factor_per_epoch"]);
            int from = f.Integer(s, "from_epoch", p, 1, 100_000);
            if (i == 0 && from != 1) throw f.Error($"{p}.from_epoch", $"the first segment must start at epoch 1, got {from}; add {{\"from_epoch\": 1, \"factor_per_epoch\": 1.0}} before it for constant rates until then");
            if (i > 0 && from <= segments[^1].FromEpoch)
                throw f.Error($"{p}.from_epoch", $"segment {i + 1} starts at epoch {from}, not after the segment before it (epoch {segments[^1].FromEpoch}); list the segments by increasing from_epoch");
            double factor = f.PositiveNumber(s, "factor_per_epoch", p);
            segments.Add(new RateSegment(from, factor));
            i++;
        }
        return new LearningRateSchedule(segments);
    }

    /// <summary>The "task" object: its "type" names a task in the catalogue, which checks the other fields (its settings).</summary>
    private TaskSpec ReadTask(JsonFields f, JsonElement el)
    {
        const string path = "task";
        f.Object(el, path);
        string type = f.String(el, "type", path);
        var task = catalogue.Find<ITask>(type)
            ?? throw f.Error($"{path}.type", $"unknown task '{type}'; allowed: {string.Join(", ", catalogue.Names<ITask>())}");
        object settings = f.TypedWithout(el, path, task.SettingsType, "type");
        try
        {
            return task.Describe(type, settings);
        }
        catch (ArgumentException e)
        {
            throw f.FieldError(path, e.Message);
        }
    }

    private void CheckActivation(JsonFields f, string name, string path)
    {
        try
        {
            catalogue.CreateActivation(name);
        }
        catch (ArgumentException)
        {
            throw f.Error(path, $"unknown activation '{name}'; allowed: {string.Join(", ", catalogue.Names<Activation>())}, or 'leaky-relu:α' for slope α (GAIT-prop uses 'leaky-relu:0.1')");
        }
    }

    private ArchitectureSpec ReadArchitecture(JsonFields f, JsonElement el, TaskSpec task)
    {
        const string path = "architecture";
        f.Object(el, path);
        if (el.TryGetProperty("type", out _))
        {
            string type = f.String(el, "type", path);
            if (type == "token") return ReadTokenArchitecture(f, el, task);
            if (type != "layered") throw f.Error($"{path}.type", $"unknown architecture '{type}'; allowed: layered (dense layers, the default), token (the image-shaped token model)");
        }
        f.NoUnknown(el, path, ["type", "input", "layers", "activation", "output_activation", "bias", "init", "loss", "output_scale", "output_l2"]);
        if (el.TryGetProperty("input", out _))
        {
            int input = f.Integer(el, "input", path, 1, 1 << 24);
            if (input != task.Inputs)
                throw f.Error($"{path}.input", $"layer 1 takes {input} inputs but {task.Description} gives {task.Inputs} per sample; make it {task.Inputs}");
        }
        var layers = new List<int>();
        int i = 0;
        foreach (var s in f.Array(el, "layers", path).EnumerateArray())
        {
            string p = $"{path}.layers[{i}]";
            if (s.ValueKind != JsonValueKind.Number || !s.TryGetInt32(out int size) || size < 1)
                throw f.Error(p, $"layer {i + 1}: the size must be a positive integer, got {JsonFields.Kind(s)}");
            layers.Add(size);
            i++;
        }
        if (layers.Count == 0) throw f.Error($"{path}.layers", $"give the sizes of the layers above the input, the last one {task.Outputs} (e.g. [256, 256, {task.Outputs}])");
        string loss = el.TryGetProperty("loss", out _) ? f.String(el, "loss", path) : task.Classification ? "softmax-cross-entropy" : "mse";
        if (!catalogue.Contains<ILoss>(loss)) throw f.Error($"{path}.loss", $"unknown loss '{loss}'; allowed: {string.Join(", ", catalogue.Names<ILoss>())}");
        var lossPlugin = catalogue.CreateLoss(loss);
        int? taskOutputs = null;
        if (layers[^1] > task.Outputs && lossPlugin.WithTaskOutputs(task.Outputs) is not null)
        {
            // Extra output units are auxiliary: their target is their own activity (GAIT-prop's square output layer).
            taskOutputs = task.Outputs;
        }
        else if (layers[^1] != task.Outputs)
        {
            string what = task.Classification ? $"{task.Outputs} classes" : $"{task.Outputs} outputs";
            throw f.Error($"{path}.layers[{layers.Count - 1}]", $"the output layer (layer {layers.Count}, {(layers.Count == 1 ? task.Inputs : layers[^2])} → {layers[^1]}) has {layers[^1]} units but {task.Description} has {what}; make it {task.Outputs}" +
                (layers[^1] > task.Outputs ? " (or use \"loss\": \"mse\", under which the extra units are auxiliary units whose target is their own activity)" : ""));
        }
        string activation = el.TryGetProperty("activation", out _) ? f.String(el, "activation", path) : "tanh";
        CheckActivation(f, activation, $"{path}.activation");
        string output = el.TryGetProperty("output_activation", out _) ? f.String(el, "output_activation", path) : "identity";
        CheckActivation(f, output, $"{path}.output_activation");
        if (lossPlugin.NeedsClassLabels && output != "identity")
            throw f.Error($"{path}.output_activation", $"{loss} applies the softmax itself, so the output layer must be 'identity', not '{output}'");
        if (lossPlugin.NeedsClassLabels && !task.Classification)
            throw f.Error($"{path}.loss", $"{loss} needs class labels; {task.Description} is a regression task: use mse");
        bool bias = !el.TryGetProperty("bias", out _) || f.Boolean(el, "bias", path);
        var init = el.TryGetProperty("init", out var ini) ? ReadInit(f, ini, $"{path}.init", task, layers) : InitialisationSpec.Default;
        double scale = 1.0;
        if (el.TryGetProperty("output_scale", out var os))
        {
            int fanIn = layers.Count == 1 ? task.Inputs : layers[^2];
            if (os.ValueKind == JsonValueKind.String && os.GetString() == "1/sqrt(n_in)") scale = 1.0 / Math.Sqrt(fanIn);
            else if (os.ValueKind == JsonValueKind.Number && double.IsFinite(os.GetDouble()) && os.GetDouble() != 0) scale = os.GetDouble();
            else throw f.Error($"{path}.output_scale", $"must be a non-zero number or \"1/sqrt(n_in)\" (1/√{fanIn} here, the mean-field scaling of Song, Xu & Lafferty 2021), got {JsonFields.Kind(os)}");
        }
        double l2 = el.TryGetProperty("output_l2", out _) ? NonNegative(f, el, "output_l2", path) : 0.0;
        return new ArchitectureSpec(layers, activation, output, bias, init, loss, taskOutputs, scale, l2);
    }

    private static double NonNegative(JsonFields f, JsonElement el, string name, string path)
    {
        double x = f.Number(el, name, path);
        return x >= 0 ? x : throw f.Error($"{path}.{name}", $"must be ≥ 0 (λ of the penalty (λ/2)‖W_L‖²), got {x}");
    }

    /// <summary>The initialisation a law stands for: a number or distribution object in place of a name is short for
    /// {"type": "distribution", "law": …}.</summary>
    private const string LawInitialisation = "distribution";

    /// <summary>An "init" value: the name of an initialisation from the catalogue, {"type": name, settings…} for one with
    /// settings, or a law of every W (a number or a distribution object), the "distribution" initialisation's shorthand.</summary>
    private InitialisationSpec ReadInit(JsonFields f, JsonElement ini, string path, TaskSpec task, IReadOnlyList<int> layers)
    {
        InitialisationSpec spec;
        if (ini.ValueKind == JsonValueKind.String && ini.GetString() is { } name && name != LawInitialisation && catalogue.Contains<IWeightInitialisation>(name))
            spec = new InitialisationSpec(name, [], name);
        else if (ini.ValueKind == JsonValueKind.Object && ini.TryGetProperty("type", out _))
        {
            string type = f.String(ini, "type", path);
            if (!catalogue.Contains<IWeightInitialisation>(type))
                throw f.Error($"{path}.type", $"unknown initialisation '{type}'; allowed: {string.Join(", ", catalogue.Names<IWeightInitialisation>())}");
            var settings = Settings(f, ini, path, catalogue.CreateInitialisation(type));
            spec = new InitialisationSpec(type, settings, $"{type}{(settings.Count == 0 ? "" : $" ({string.Join(", ", settings.Select(s => $"{JsonFields.SnakeCase(s.Property.Name)} {s.Value}"))})")}");
        }
        else
        {
            var named = catalogue.Names<IWeightInitialisation>().Where(n => n != LawInitialisation).OrderBy(n => n == "pytorch" ? 0 : 1)
                .Select(n => $"\"{n}\" ({catalogue.CreateInitialisation(n).Description})");
            var law = f.Distribution(ini, path, string.Join(", ", named));
            var property = typeof(DistributionInitialisation).GetProperty(nameof(DistributionInitialisation.Law))!;
            spec = new InitialisationSpec(LawInitialisation, [(property, law)], law.ToString());
        }
        if (spec.Create(catalogue).Check(task.Inputs, layers) is { } problem) throw f.Error(path, problem);
        return spec;
    }

    /// <summary>The settings of plug-in <paramref name="instance"/> in object <paramref name="el"/>: its public settable properties
    /// by snake_case name ("type" names the plug-in); anything else is an error listing the allowed keys.</summary>
    private static List<(PropertyInfo Property, object? Value)> Settings(JsonFields f, JsonElement el, string path, object instance)
    {
        var settable = instance.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(p => p.SetMethod is { IsPublic: true }).ToArray();
        f.NoUnknown(el, path, ["type", .. settable.Select(p => JsonFields.SnakeCase(p.Name))]);
        var settings = new List<(PropertyInfo Property, object? Value)>();
        foreach (var property in settable)
        {
            string name = JsonFields.SnakeCase(property.Name);
            if (el.TryGetProperty(name, out var v)) settings.Add((property, f.Value(v, $"{path}.{name}", property.PropertyType)));
        }
        return settings;
    }

    /// <summary>The "optimiser" object: a "type" from the catalogue and the optimiser's settings (its public settable
    /// properties, by snake_case name); the learning rate is the top-level "lr".</summary>
    private OptimiserSpec ReadOptimiser(JsonFields f, JsonElement el, double lr, string path = "optimiser")
    {
        f.Object(el, path);
        string type = f.String(el, "type", path);
        if (!catalogue.Contains<IOptimiser>(type))
            throw f.Error($"{path}.type", $"unknown optimiser '{type}'; allowed: {string.Join(", ", catalogue.Names<IOptimiser>())}");
        var options = Settings(f, el, path, catalogue.CreateOptimiser(type));
        var spec = new OptimiserSpec(type, lr, options);
        try
        {
            return spec with { Description = spec.Create(catalogue).Description };
        }
        catch (TargetInvocationException e) when (e.InnerException is ArgumentOutOfRangeException inner)
        {
            throw f.Error(inner.ParamName == "learningRate" ? "lr" : $"{path}.{JsonFields.SnakeCase(inner.ParamName ?? "")}", inner.Message.Split(" (Parameter")[0].Split(Environment.NewLine)[0]);
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName == "learningRate")
        {
            throw f.Error("lr", e.Message.Split(" (Parameter")[0].Split(Environment.NewLine)[0]);
        }
    }

    /// <summary>The rule with its options set; an option its setter refuses is an error at that option's path.</summary>
    private Plasticity.Rules.ICreditAssignmentRule CreateRule(JsonFields f, RuleSpec spec, string path)
    {
        try
        {
            return spec.Create(catalogue);
        }
        catch (TargetInvocationException e) when (e.InnerException is ArgumentException inner)
        {
            string option = JsonFields.SnakeCase(inner.ParamName ?? "");
            throw f.Error(option.Length > 0 ? $"{path}.options.{option}" : $"{path}.options", inner.Message.Split(" (Parameter")[0].Split(Environment.NewLine)[0]);
        }
    }

    /// <summary>"architecture": {"type": "token", "patch": 4, "width": 48, "blocks": 4, "expansion": 4}: the token model on
    /// square images (the task's inputs must be a square number of pixels, its outputs the classes).</summary>
    private static ArchitectureSpec ReadTokenArchitecture(JsonFields f, JsonElement el, TaskSpec task)
    {
        const string path = "architecture";
        f.NoUnknown(el, path, ["type", "patch", "width", "blocks", "expansion"]);
        int side = (int)Math.Round(Math.Sqrt(task.Inputs));
        if (side * side != task.Inputs) throw f.Error($"{path}.type", $"the token model takes square images, but {task.Description} gives {task.Inputs} inputs per sample; use a layered architecture");
        if (!task.Classification) throw f.Error($"{path}.type", $"the token model is a classifier; {task.Description} is a regression task");
        int patch = el.TryGetProperty("patch", out _) ? f.Integer(el, "patch", path, 1, side) : 4;
        if (side % patch != 0) throw f.Error($"{path}.patch", $"{patch} does not divide the image side {side}; use a divisor (4 for 28 × 28: 7 × 7 tokens)");
        var spec = new Plasticity.Networks.Token.TokenModelSpec(side, patch,
            el.TryGetProperty("width", out _) ? f.Integer(el, "width", path, 1, 1 << 14) : 48,
            el.TryGetProperty("blocks", out _) ? f.Integer(el, "blocks", path, 1, 1000) : 4,
            task.Outputs,
            el.TryGetProperty("expansion", out _) ? f.Integer(el, "expansion", path, 1, 64) : 4);
        return new ArchitectureSpec([task.Outputs], "gelu", "identity", true, InitialisationSpec.Default, "softmax-cross-entropy") { Token = spec };
    }

    private List<RuleSpec> ReadRules(JsonFields f, JsonElement array, TaskSpec task, ArchitectureSpec architecture, OptimiserSpec optimiser)
    {
        var list = new List<RuleSpec>();
        int i = 0;
        var known = catalogue.Names<Plasticity.Rules.ICreditAssignmentRule>();
        foreach (var el in array.EnumerateArray())
        {
            string path = $"rules[{i++}]";
            string name, label;
            var options = new List<(PropertyInfo, object?)>();
            if (el.ValueKind == JsonValueKind.String)
            {
                name = el.GetString()!;
                label = name;
            }
            else if (el.ValueKind == JsonValueKind.Object)
            {
                f.NoUnknown(el, path, ["name", "label", "options", "init", "output_l2", "optimiser", "lr"]);
                name = f.String(el, "name", path);
                label = el.TryGetProperty("label", out _) ? f.String(el, "label", path) : name;
            }
            else throw f.Error(path, $"must be a rule name or {{\"name\": …, \"label\": …, \"options\": {{…}}}}, got {JsonFields.Kind(el)}");
            if (!known.Contains(name)) throw f.Error(el.ValueKind == JsonValueKind.String ? path : $"{path}.name", $"unknown learning rule '{name}'; known: {string.Join(", ", known)}");
            if (label.Any(c => c is '/' or '\\') || label.Trim().Length != label.Length) throw f.Error($"{path}.label", $"'{label}' cannot name a folder in the results; use letters, digits and -");
            if (list.Any(r => r.Label == label))
                throw f.Error(path, $"'{label}' is compared twice; give the second one a distinct \"label\" (e.g. \"{label}-2\")");
            if (el.ValueKind == JsonValueKind.Object && el.TryGetProperty("options", out var opts))
            {
                f.Object(opts, $"{path}.options");
                var probe = catalogue.CreateRule(name); // options are tried on it, so that a setter's refusal names the field
                var type = probe.GetType();
                var settable = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }).ToArray();
                string allowed = settable.Length == 0 ? "none (this rule takes no options)" : string.Join(", ", settable.Select(p => JsonFields.SnakeCase(p.Name)));
                foreach (var o in opts.EnumerateObject())
                {
                    string op = $"{path}.options.{o.Name}";
                    var property = settable.FirstOrDefault(p => JsonFields.Normalise(p.Name) == JsonFields.Normalise(o.Name))
                        ?? throw f.Error(op, $"unknown option of {name}; allowed: {allowed}");
                    object? value = f.Value(o.Value, op, property.PropertyType);
                    try { property.SetValue(probe, value); }
                    catch (TargetInvocationException e) when (e.InnerException is ArgumentException bad)
                    {
                        throw f.Error(op, bad.ParamName is { } p ? bad.Message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal).Split('\n')[0] : bad.Message);
                    }
                    options.Add((property, value));
                }
            }
            var init = el.ValueKind == JsonValueKind.Object && el.TryGetProperty("init", out var ri)
                ? ReadInit(f, ri, $"{path}.init", task, architecture.Layers)
                : null;
            double? l2 = el.ValueKind == JsonValueKind.Object && el.TryGetProperty("output_l2", out _) ? NonNegative(f, el, "output_l2", path) : null;
            OptimiserSpec? own = null;
            if (el.ValueKind == JsonValueKind.Object && (el.TryGetProperty("optimiser", out _) || el.TryGetProperty("lr", out _)))
            {
                double lr = el.TryGetProperty("lr", out _) ? f.PositiveNumber(el, "lr", path) : optimiser.LearningRate;
                own = el.TryGetProperty("optimiser", out var ro)
                    ? ReadOptimiser(f, ro, lr, $"{path}.optimiser")
                    : optimiser with { LearningRate = lr, Description = optimiser.Description };
                own = own with { Description = own.Create(catalogue).Description };
            }
            var spec = new RuleSpec(name, label, options, init, l2, own);
            var created = CreateRule(f, spec, path);
            if (architecture.Token is { } tokens)
            {
                if (created is Plasticity.Rules.ITokenModelRule tokenRule)
                {
                    if (tokenRule.Check(tokens) is { } misfit) throw f.Error($"{path}.options", misfit);
                }
                else if (created is not Plasticity.Rules.Backpropagation)
                    throw f.Error(path, $"the token model trains with backprop and stochastic-backprop only, not '{name}'; remove the rule or use a layered architecture");
                if (init is not null || l2 is not null) throw f.Error(path, "\"init\" and \"output_l2\" belong to layered networks; the token model starts from PyTorch's default initialisation");
                list.Add(spec);
                continue;
            }
            if (created is Plasticity.Rules.ITokenModelRule)
                throw f.Error(el.ValueKind == JsonValueKind.String ? path : $"{path}.name", $"{Plasticity.Rules.StochasticBackprop.NeedsTokens}. Set \"architecture\": {{\"type\": \"token\", …}} or remove the rule");
            if (created is Plasticity.Rules.INetworkConstraint constraint
                && constraint.Check(task.Inputs, architecture.LayerSpecs(catalogue)) is { } problem)
                throw f.Error(path, $"{problem} (the architecture is {task.Inputs}-{string.Join("-", architecture.Layers)} {architecture.Activation}, output {architecture.OutputActivation}{(architecture.Bias ? ", with biases" : "")})");
            list.Add(spec);
        }
        if (list.Count == 0) throw f.Error("rules", $"name at least one rule; known: {string.Join(", ", known)}");
        return list;
    }
}
