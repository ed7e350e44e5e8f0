using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using BioSim.Circuits.Cells;
using BioSim.Circuits.Mechanisms;
using BioSim.Circuits.Morphology;
using BioSim.Engine.Plugins;
using BioSim.IO.Swc;

namespace BioSim.IO.Experiments;

/// <summary>
/// Reads a multi-compartment cell description (JSON) into a <see cref="CableCell"/>:
/// <code>
/// { "morphology": { "swc": "cell.swc", "Ra": 100, "cm": 1 }            // or { "sections": [ { "name", "length", "diameter",
///                                                                       //   "parent", "parent_x", "kind", "nseg", "Ra", "cm" } ] }
///   "discretisation": { "d_lambda": 0.1, "frequency": 100 },            // or { "nseg": 1 } (default)
///   "v_init": -65, "threshold": 10, "detector": { "section": "soma", "x": 0.5 },
///   "mechanisms": [ { "name": "hh", "sections": ["soma"], "parameters": { "gnabar": 0.12 } } ],   // "sections" omitted: all
///   "point_processes": [ { "name": "syn", "mechanism": "ExpSyn", "section": "apic[0]", "x": 0.5, "parameters": { "tau": 2 } } ] }
/// </code>
/// Mechanism names come from the catalogue (NEURON's names for the built-in ones), parameters are the
/// mechanism's properties. Errors are <see cref="ExperimentException"/>s naming the file and the JSON path
/// (a mechanism on a section that does not exist, an unknown mechanism or parameter, a bad value), or
/// <see cref="SwcFormatException"/>s naming the SWC file and line. A relative SWC path is taken from the JSON file's folder.
/// </summary>
public sealed class CableCellReader(Catalogue catalogue)
{
    private static readonly JsonSerializerOptions Strict = new() { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    /// <summary>Reads the cell description at <paramref name="path"/>; relative SWC paths are taken from its folder.</summary>
    public CableCell ReadFile(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ExperimentException(path, "", $"cannot be read: {e.Message}");
        }
        return Read(json, path);
    }

    /// <summary>Reads cell description <paramref name="json"/>; <paramref name="file"/> names it in messages and locates
    /// relative SWC paths.</summary>
    public CableCell Read(string json, string file = "cell")
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new ExperimentException(file, "", $"is not valid JSON (line {e.LineNumber + 1}): {e.Message}");
        }
        using (doc) return Read(doc.RootElement, file);
    }

    /// <summary>
    /// Reads a cell description that sits inside another JSON file (an experiment's population) at
    /// <paramref name="basePath"/>: errors carry that prefix, an unreadable or malformed SWC file becomes an error at
    /// <c>basePath.morphology.swc</c> that keeps the SWC file and line, and a relative SWC path is taken from
    /// <paramref name="file"/>'s folder.
    /// </summary>
    public CableCell Read(JsonElement element, string file, string basePath)
    {
        try
        {
            return Read(element, file);
        }
        catch (ExperimentException e) when (e.File == file)
        {
            throw new ExperimentException(file, e.FieldPath.Length == 0 ? basePath : $"{basePath}.{e.FieldPath}", e.Problem);
        }
        catch (SwcFormatException e)
        {
            throw new ExperimentException(file, $"{basePath}.morphology.swc", e.Message.TrimEnd('.'));
        }
    }

    private CableCell Read(JsonElement root, string file)
    {
        Known(root, "", file, ["morphology", "discretisation", "v_init", "threshold", "detector", "mechanisms", "point_processes"]);
        var morphology = ReadMorphology(Required(root, "morphology", "", file), file);
        var cell = new CableCell(morphology, ReadDiscretisation(root, file));
        if (root.TryGetProperty("v_init", out var vInit)) cell.VInit = Number(vInit, "v_init", file);
        if (root.TryGetProperty("threshold", out var threshold)) cell.Threshold = Number(threshold, "threshold", file);
        if (root.TryGetProperty("detector", out var detector))
        {
            Known(detector, "detector", file, ["section", "x"]);
            cell.DetectorSection = Section(morphology, Required(detector, "section", "detector", file), "detector.section", file);
            if (detector.TryGetProperty("x", out var x)) cell.DetectorX = Fraction(x, "detector.x", file);
        }
        if (root.TryGetProperty("mechanisms", out var mechanisms))
        {
            int i = 0;
            foreach (var m in Array(mechanisms, "mechanisms", file))
            {
                string path = $"mechanisms[{i++}]";
                Known(m, path, file, ["name", "sections", "parameters"]);
                var mechanism = Mechanism(m, "name", path, file, pointProcess: false);
                var sections = new List<string>();
                if (m.TryGetProperty("sections", out var list))
                {
                    int s = 0;
                    foreach (var name in Array(list, $"{path}.sections", file)) sections.Add(Section(morphology, name, $"{path}.sections[{s++}]", file));
                }
                Apply(() => cell.Insert(mechanism, sections.ToArray()), path, file);
            }
        }
        if (root.TryGetProperty("point_processes", out var points))
        {
            int i = 0;
            foreach (var p in Array(points, "point_processes", file))
            {
                string path = $"point_processes[{i++}]";
                Known(p, path, file, ["name", "mechanism", "section", "x", "parameters"]);
                string name = Text(Required(p, "name", path, file), $"{path}.name", file);
                var mechanism = Mechanism(p, "mechanism", path, file, pointProcess: true);
                string section = Section(morphology, Required(p, "section", path, file), $"{path}.section", file);
                double x = p.TryGetProperty("x", out var xv) ? Fraction(xv, $"{path}.x", file) : 0.5;
                Apply(() => cell.Place(name, mechanism, section, x), path, file);
            }
        }
        return cell;
    }

    private static Morphology ReadMorphology(JsonElement m, string file)
    {
        Known(m, "morphology", file, ["swc", "sections", "Ra", "cm"]);
        double ra = m.TryGetProperty("Ra", out var raValue) ? Positive(raValue, "morphology.Ra", file) : Morphology.DefaultRa;
        double cm = m.TryGetProperty("cm", out var cmValue) ? Positive(cmValue, "morphology.cm", file) : Morphology.DefaultCm;
        bool hasSwc = m.TryGetProperty("swc", out var swc), hasSections = m.TryGetProperty("sections", out var sections);
        if (hasSwc == hasSections) throw new ExperimentException(file, "morphology", "give exactly one of \"swc\" (a file) or \"sections\" (a list)");
        if (hasSwc)
        {
            string path = Text(swc, "morphology.swc", file);
            if (!Path.IsPathRooted(path)) path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file)) ?? "", path);
            return SwcReader.Read(path, ra, cm);
        }
        var morphology = new Morphology();
        int i = 0;
        foreach (var s in Array(sections, "morphology.sections", file))
        {
            string path = $"morphology.sections[{i++}]";
            Known(s, path, file, ["name", "length", "diameter", "parent", "parent_x", "kind", "nseg", "Ra", "cm"]);
            string name = Text(Required(s, "name", path, file), $"{path}.name", file);
            double length = Positive(Required(s, "length", path, file), $"{path}.length", file);
            double diameter = Positive(Required(s, "diameter", path, file), $"{path}.diameter", file);
            string? parent = s.TryGetProperty("parent", out var pv) && pv.ValueKind != JsonValueKind.Null ? Section(morphology, pv, $"{path}.parent", file) : null;
            double parentX = s.TryGetProperty("parent_x", out var px) ? Fraction(px, $"{path}.parent_x", file) : 1.0;
            var kind = SectionKind.Custom;
            if (s.TryGetProperty("kind", out var k))
            {
                string text = Text(k, $"{path}.kind", file);
                if (!Enum.TryParse(text, ignoreCase: true, out kind) || !Enum.IsDefined(kind))
                {
                    throw new ExperimentException(file, $"{path}.kind", $"'{text}' is not a section kind; allowed: soma, axon, basal, apical, custom");
                }
            }
            int? nseg = s.TryGetProperty("nseg", out var n) ? Integer(n, $"{path}.nseg", file) : null;
            double sra = s.TryGetProperty("Ra", out var r) ? Positive(r, $"{path}.Ra", file) : ra;
            double scm = s.TryGetProperty("cm", out var c) ? Positive(c, $"{path}.cm", file) : cm;
            Apply(() => morphology.AddCylinder(name, length, diameter, parent, parentX, kind, sra, scm, nseg), path, file);
        }
        if (morphology.Sections.Count == 0) throw new ExperimentException(file, "morphology.sections", "is empty");
        return morphology;
    }

    private static Discretisation ReadDiscretisation(JsonElement root, string file)
    {
        if (!root.TryGetProperty("discretisation", out var d)) return Discretisation.Default;
        Known(d, "discretisation", file, ["nseg", "d_lambda", "frequency"]);
        if (d.TryGetProperty("nseg", out var n))
        {
            if (d.TryGetProperty("d_lambda", out _)) throw new ExperimentException(file, "discretisation", "give either \"nseg\" or \"d_lambda\", not both");
            return new Discretisation { Nseg = Integer(n, "discretisation.nseg", file) };
        }
        return new Discretisation
        {
            DLambda = d.TryGetProperty("d_lambda", out var dl) ? Positive(dl, "discretisation.d_lambda", file) : 0.1,
            Frequency = d.TryGetProperty("frequency", out var f) ? Positive(f, "discretisation.frequency", file) : 100,
        };
    }

    private Mechanism Mechanism(JsonElement el, string field, string path, string file, bool pointProcess)
    {
        string name = Text(Required(el, field, path, file), $"{path}.{field}", file);
        var all = catalogue.Names<Mechanism>();
        var prototype = catalogue.Find<Mechanism>(name)
            ?? throw new ExperimentException(file, $"{path}.{field}", $"unknown mechanism '{name}'; allowed: {string.Join(", ", all)}");
        if (prototype.IsPointProcess != pointProcess)
        {
            throw new ExperimentException(file, $"{path}.{field}", pointProcess
                ? $"'{name}' is a density mechanism; put it under \"mechanisms\""
                : $"'{name}' is a point process; put it under \"point_processes\"");
        }
        if (!el.TryGetProperty("parameters", out var parameters)) return prototype;
        var type = prototype.GetType();
        try
        {
            var mechanism = (Mechanism)(parameters.Deserialize(type, Strict) ?? prototype);
            string? problem = mechanism.Validate();
            if (problem is not null) throw new ExperimentException(file, $"{path}.parameters.{problem.Split(':')[0]}", problem[(problem.IndexOf(':') + 1)..].Trim());
            return mechanism;
        }
        catch (JsonException e)
        {
            var allowed = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.CanWrite && (p.PropertyType == typeof(double) || p.PropertyType == typeof(bool))).Select(p => p.Name);
            var unknown = System.Text.RegularExpressions.Regex.Match(e.Message, "property '([^']+)' could not be mapped");
            throw unknown.Success
                ? new ExperimentException(file, $"{path}.parameters.{unknown.Groups[1].Value}", $"'{name}' has no such parameter; allowed: {string.Join(", ", allowed)}")
                : new ExperimentException(file, $"{path}.parameters", $"{e.Message.Split(" Path:")[0]} Parameters of '{name}': {string.Join(", ", allowed)}.");
        }
    }

    private static void Apply(Action action, string path, string file)
    {
        try
        {
            action();
        }
        catch (ArgumentException e)
        {
            throw new ExperimentException(file, path, e.Message);
        }
    }

    private static string Section(Morphology morphology, JsonElement el, string path, string file)
    {
        string name = Text(el, path, file);
        if (!morphology.TryGet(name, out _))
        {
            throw new ExperimentException(file, path, $"section '{name}' does not exist; the cell has: {string.Join(", ", morphology.Sections.Select(s => s.Name))}");
        }
        return name;
    }

    private static void Known(JsonElement el, string path, string file, string[] allowed)
    {
        if (el.ValueKind != JsonValueKind.Object) throw new ExperimentException(file, path, $"must be an object, got {el.ValueKind}");
        foreach (var p in el.EnumerateObject())
        {
            if (!allowed.Contains(p.Name)) throw new ExperimentException(file, path.Length == 0 ? p.Name : $"{path}.{p.Name}", $"unknown field; allowed: {string.Join(", ", allowed)}");
        }
    }

    private static JsonElement Required(JsonElement el, string name, string path, string file) =>
        el.TryGetProperty(name, out var v) ? v : throw new ExperimentException(file, path.Length == 0 ? name : $"{path}.{name}", "missing");

    private static JsonElement.ArrayEnumerator Array(JsonElement el, string path, string file) =>
        el.ValueKind == JsonValueKind.Array ? el.EnumerateArray() : throw new ExperimentException(file, path, $"must be an array, got {el.ValueKind}");

    private static string Text(JsonElement el, string path, string file) =>
        el.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(el.GetString()) ? el.GetString()! : throw new ExperimentException(file, path, "must be a non-empty string");

    private static double Number(JsonElement el, string path, string file) =>
        el.ValueKind == JsonValueKind.Number && double.IsFinite(el.GetDouble()) ? el.GetDouble() : throw new ExperimentException(file, path, $"must be a finite number, got {el}");

    private static double Positive(JsonElement el, string path, string file)
    {
        double v = Number(el, path, file);
        return v > 0 ? v : throw new ExperimentException(file, path, $"must be > 0, got {v}");
    }

    private static double Fraction(JsonElement el, string path, string file)
    {
        double v = Number(el, path, file);
        return v is >= 0 and <= 1 ? v : throw new ExperimentException(file, path, $"must be in [0, 1], got {v}");
    }

    private static int Integer(JsonElement el, string path, string file) =>
        el.ValueKind == JsonValueKind.Number && el.TryGetInt32(out int v) && v >= 1 ? v : throw new ExperimentException(file, path, $"must be an integer ≥ 1, got {el}");
}
