using System.Text.Json;
using BioSim.Engine.Random;

namespace BioSim.IO.Experiments;

/// <summary>Typed JSON field access whose errors carry the file and the JSON path (shared by every reader of
/// BioSim's JSON files: experiments, rule comparisons).</summary>
internal sealed class JsonFields(string file)
{
    public string File => file;

    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>The text of a JSON input file; an unreadable one gives an IOException naming it and the fix.</summary>
    public static string ReadText(string path, string kind)
    {
        try
        {
            return System.IO.File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{path}: cannot read the {kind} file ({e.Message.TrimEnd('.')}); check the path and permissions", e);
        }
    }

    /// <summary>Parses JSON (comments and trailing commas allowed); a syntax error names the file, line and byte.</summary>
    public static JsonDocument Parse(string json, string file)
    {
        try
        {
            return JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new ExperimentException(file, "", $"not valid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {ExperimentReader.FirstSentence(e.Message)}");
        }
    }

    /// <summary>
    /// The one top-level read of BioSim's JSON files (experiments, rule comparisons): parses <paramref name="json"/>,
    /// checks that the root is an object with no field outside <paramref name="topFields"/>, and reads it with
    /// <paramref name="read"/>, which gets the fields of <paramref name="file"/> and the root.
    /// </summary>
    public static T ReadRoot<T>(string json, string file, string[] topFields, Func<JsonFields, JsonElement, T> read)
    {
        using JsonDocument doc = Parse(json, file);
        var f = new JsonFields(file);
        var root = doc.RootElement;
        f.Object(root, "");
        f.NoUnknown(root, "", topFields);
        return read(f, root);
    }

    public ExperimentException Error(string path, string problem) => new(file, path, problem);

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    /// <summary>Turns a model's "field: problem" into an error at <paramref name="basePath"/>.field.</summary>
    public ExperimentException FieldError(string basePath, string problem)
    {
        int colon = problem.IndexOf(": ", StringComparison.Ordinal);
        return colon > 0 && !problem[..colon].Contains(' ')
            ? new ExperimentException(file, $"{basePath}.{problem[..colon]}", problem[(colon + 2)..])
            : new ExperimentException(file, basePath, problem);
    }

    /// <summary>The object at <paramref name="name"/> (an empty one when absent) deserialised to <paramref name="type"/>.</summary>
    public object Typed(JsonElement el, string name, string path, Type type)
    {
        string text = el.TryGetProperty(name, out var v) ? v.GetRawText() : "{}";
        if (el.TryGetProperty(name, out v) && v.ValueKind != JsonValueKind.Object) throw Error(Join(path, name), $"must be a JSON object, got {Kind(v)}");
        return Deserialize(text, Join(path, name), type);
    }

    /// <summary><paramref name="el"/> without its field <paramref name="skip"/>, deserialised to <paramref name="type"/>.</summary>
    public object TypedWithout(JsonElement el, string path, Type type, string skip)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(el.GetRawText())!.AsObject();
        node.Remove(skip);
        return Deserialize(node.ToJsonString(), path, type);
    }

    private object Deserialize(string text, string path, Type type)
    {
        try
        {
            return JsonSerializer.Deserialize(text, type, ExperimentReader.ParameterOptions) ?? throw Error(path, "must be a JSON object");
        }
        catch (JsonException e)
        {
            string field = e.Path is { Length: > 2 } p ? p[2..] : "";
            string allowed = string.Join(", ", type.GetProperties().Select(x => x.Name));
            string what = e.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? $"unknown field; allowed: {allowed}"
                : e.Message.Contains("missing required", StringComparison.Ordinal)
                    ? $"{ExperimentReader.FirstSentence(e.Message)}; fields: {allowed}"
                    : $"wrong type ({ExperimentReader.FirstSentence(e.Message)})";
            if (what.StartsWith("unknown", StringComparison.Ordinal))
            {
                // STJ reports the unmapped member's name in the message, not in the path.
                int q1 = e.Message.IndexOf('\'');
                int q2 = q1 >= 0 ? e.Message.IndexOf('\'', q1 + 1) : -1;
                if (q2 > q1) field = e.Message[(q1 + 1)..q2];
            }
            throw Error(field.Length > 0 ? $"{path}.{field}" : path, what);
        }
    }

    public void Object(JsonElement el, string path)
    {
        if (el.ValueKind != JsonValueKind.Object) throw Error(path, $"must be a JSON object, got {Kind(el)}");
    }

    public void NoUnknown(JsonElement el, string path, string[] allowed)
    {
        foreach (var p in el.EnumerateObject())
            if (!allowed.Contains(p.Name)) throw Error(Join(path, p.Name), $"unknown field; allowed: {string.Join(", ", allowed)}");
    }

    public JsonElement Required(JsonElement el, string name, string path) =>
        el.TryGetProperty(name, out var v) ? v : throw Error(Join(path, name), "missing (required)");

    public string String(JsonElement el, string name, string path)
    {
        var v = Required(el, name, path);
        if (v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString())) throw Error(Join(path, name), $"must be a non-empty string, got {Kind(v)}");
        return v.GetString()!;
    }

    public bool Boolean(JsonElement el, string name, string path)
    {
        var v = Required(el, name, path);
        return v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw Error(Join(path, name), $"must be true or false, got {Kind(v)}");
    }

    public double Number(JsonElement el, string name, string path)
    {
        var v = Required(el, name, path);
        if (v.ValueKind != JsonValueKind.Number || !double.IsFinite(v.GetDouble())) throw Error(Join(path, name), $"must be a finite number, got {Kind(v)}");
        return v.GetDouble();
    }

    public double PositiveNumber(JsonElement el, string name, string path)
    {
        double x = Number(el, name, path);
        return x > 0 ? x : throw Error(Join(path, name), $"must be positive, got {x}");
    }

    public int Integer(JsonElement el, string name, string path, int min, int max)
    {
        var v = Required(el, name, path);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int x) || x < min || x > max)
            throw Error(Join(path, name), $"must be an integer in [{min}, {max}], got {v.GetRawText()}");
        return x;
    }

    public ulong Seed(JsonElement el, string name, string path)
    {
        var v = Required(el, name, path);
        return v.ValueKind == JsonValueKind.Number && v.TryGetUInt64(out ulong x) ? x : throw Error(Join(path, name), $"must be a non-negative integer, got {v.GetRawText()}");
    }

    public JsonElement Array(JsonElement el, string name, string path)
    {
        var v = Required(el, name, path);
        return v.ValueKind == JsonValueKind.Array ? v : throw Error(Join(path, name), $"must be a JSON array, got {Kind(v)}");
    }

    public Distribution Distribution(JsonElement v, string path, string? alternative = null)
    {
        if (v.ValueKind == JsonValueKind.Number) return new ConstantDistribution(v.GetDouble());
        string help = $"give {(alternative is null ? "" : alternative + ", ")}a number, {{\"uniform\": [low, high]}} or {{\"normal\": [mean, sd]}}";
        if (v.ValueKind != JsonValueKind.Object) throw Error(path, $"must be a number or a distribution, got {Kind(v)}; {help}");
        var props = v.EnumerateObject().ToArray();
        if (props.Length != 1) throw Error(path, help);
        var args = props[0].Value;
        if (args.ValueKind != JsonValueKind.Array || args.GetArrayLength() != 2 || args.EnumerateArray().Any(a => a.ValueKind != JsonValueKind.Number))
            throw Error($"{path}.{props[0].Name}", $"must be an array of two numbers; {help}");
        double a = args[0].GetDouble(), b = args[1].GetDouble();
        return props[0].Name switch
        {
            "uniform" when a <= b => new UniformDistribution(a, b),
            "uniform" => throw Error($"{path}.uniform", $"low ({a}) must not exceed high ({b})"),
            "normal" when b >= 0 => new NormalDistribution(a, b),
            "normal" => throw Error($"{path}.normal", $"the standard deviation must be ≥ 0, got {b}"),
            _ => throw Error($"{path}.{props[0].Name}", $"unknown distribution; {help}"),
        };
    }

    /// <summary>A rule option of the property's type: numbers, booleans, strings, enums (by name) and distributions.</summary>
    public object? Value(JsonElement v, string path, Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (v.ValueKind == JsonValueKind.Null && (!type.IsValueType || Nullable.GetUnderlyingType(type) is not null)) return null;
        if (typeof(Distribution).IsAssignableFrom(target)) return Distribution(v, path);
        if (target.IsAssignableFrom(typeof(double[])) && target != typeof(object))
        {
            // A list of numbers (e.g. per-layer rates).
            if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.Number || !double.IsFinite(x.GetDouble())))
                throw Error(path, $"must be an array of finite numbers, got {Kind(v)}");
            return v.EnumerateArray().Select(x => x.GetDouble()).ToArray();
        }
        if (target == typeof(int[]))
        {
            // A list of integers (e.g. the blocks stochastic-backprop masks).
            if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.Number || !x.TryGetInt32(out _)))
                throw Error(path, $"must be an array of integers, got {Kind(v)}");
            return v.EnumerateArray().Select(x => x.GetInt32()).ToArray();
        }
        if (target == typeof(double) && v.ValueKind == JsonValueKind.Number && double.IsFinite(v.GetDouble())) return v.GetDouble();
        if (target == typeof(int) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i)) return i;
        if (target == typeof(long) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long l)) return l;
        if (target == typeof(bool) && v.ValueKind is JsonValueKind.True or JsonValueKind.False) return v.GetBoolean();
        if (target == typeof(string) && v.ValueKind == JsonValueKind.String) return v.GetString();
        if (target.IsEnum && v.ValueKind == JsonValueKind.String)
        {
            foreach (string n in Enum.GetNames(target))
                if (Normalise(n) == Normalise(v.GetString()!)) return Enum.Parse(target, n);
            throw Error(path, $"unknown value {Kind(v)}; allowed: {string.Join(", ", Enum.GetNames(target).Select(SnakeCase))}");
        }
        string expected = target == typeof(double) ? "a finite number" : target == typeof(int) || target == typeof(long) ? "an integer"
            : target == typeof(bool) ? "true or false" : target == typeof(string) ? "a string" : target.IsEnum ? "a name" : null!;
        if (expected is null) throw Error(path, $"options of type {target.Name} cannot be given in a comparison file");
        throw Error(path, $"must be {expected}, got {Kind(v)}");
    }

    public static string Normalise(string name) => name.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();

    public static string SnakeCase(string name)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }

    public static string Kind(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{v.GetString()}\"",
        JsonValueKind.Number => $"the number {v.GetRawText()}",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
        _ => "null",
    };

    /// <summary>The string at <paramref name="name"/>, or <paramref name="fallback"/> when the field is absent.</summary>
    public string String(JsonElement el, string name, string path, string fallback) =>
        el.TryGetProperty(name, out _) ? String(el, name, path) : fallback;

    /// <summary>The boolean at <paramref name="name"/>, or <paramref name="fallback"/> when the field is absent.</summary>
    public bool Boolean(JsonElement el, string name, string path, bool fallback) =>
        el.TryGetProperty(name, out _) ? Boolean(el, name, path) : fallback;

    /// <summary>The positive number at <paramref name="name"/>, or <paramref name="fallback"/> when the field is absent.</summary>
    public double PositiveNumber(JsonElement el, string name, string path, double fallback) =>
        el.TryGetProperty(name, out _) ? PositiveNumber(el, name, path) : fallback;

    /// <summary>The integer in [min, max] at <paramref name="name"/>, or <paramref name="fallback"/> when the field is absent.</summary>
    public int Integer(JsonElement el, string name, string path, int min, int max, int fallback) =>
        el.TryGetProperty(name, out _) ? Integer(el, name, path, min, max) : fallback;

    /// <summary>The seed at <paramref name="name"/>, or <paramref name="fallback"/> when the field is absent.</summary>
    public ulong Seed(JsonElement el, string name, string path, ulong fallback) =>
        el.TryGetProperty(name, out _) ? Seed(el, name, path) : fallback;

    /// <summary>Like <see cref="NoUnknown"/>, and a camelCase key whose snake_case form is allowed gets the key to write
    /// ("learningRate" → "learning_rate"), for files written before every BioSim file used snake_case.</summary>
    public void NoUnknownSnakeCase(JsonElement el, string path, string[] allowed)
    {
        foreach (var p in el.EnumerateObject())
        {
            if (allowed.Contains(p.Name)) continue;
            string snake = SnakeCase(p.Name);
            throw Error(Join(path, p.Name), allowed.Contains(snake)
                ? $"unknown field; BioSim files use snake_case keys: write \"{snake}\""
                : $"unknown field; allowed: {string.Join(", ", allowed)}");
        }
    }
}
