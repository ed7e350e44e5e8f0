using System.Globalization;
using BioSim.Circuits.Morphology;

namespace BioSim.IO.Swc;

/// <summary>
/// Reads SWC morphologies (the NeuroMorpho.Org standard, Cannon et al. 1998: one point per line,
/// "id type x y z radius parent", '#' comments, parent −1 for the root; types 0 undefined, 1 soma,
/// 2 axon, 3 basal dendrite, 4 apical dendrite, 5 fork point, 6 end point, 7 custom) into a
/// <see cref="Morphology"/> with NEURON's Import3d conventions, simplified:
/// <list type="bullet">
/// <item>the soma given as one point of radius r (or NeuroMorpho's three-point soma) becomes a cylinder of
/// length and diameter 2r (area 4πr², that of the sphere); a soma given as a chain of points becomes one
/// section through them (frusta); a soma contour (a closed outline, first and last point within 1% of
/// its extent) becomes the cylinder of length = diameter = twice the mean distance of its points from their centroid;</item>
/// <item>every other unbranched run of points of one type is a section (named soma, axon[i], dend[i],
/// apic[i] as Import3d does); a section starts at its parent's last point, or at its own first point when
/// its parent is the soma, to whose centre (x = 0.5) it attaches.</item>
/// </list>
/// Bad files raise <see cref="SwcFormatException"/> naming the file and line: malformed line, duplicate id,
/// unknown type, non-positive radius, missing parent, a cycle, more than one root, no soma.
/// </summary>
public static class SwcReader
{
    private sealed record Point(int Id, int Type, double X, double Y, double Z, double Radius, int ParentId, int Line)
    {
        public List<Point> Children { get; } = [];

        public Point? Parent { get; set; }
    }

    /// <summary>Reads the file at <paramref name="path"/>.</summary>
    public static Morphology Read(string path, double ra = Morphology.DefaultRa, double cm = Morphology.DefaultCm)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SwcFormatException(path, 0, $"cannot be read: {e.Message}");
        }
        return Parse(lines, path, ra, cm);
    }

    /// <summary>Parses SWC text; <paramref name="file"/> names it in errors.</summary>
    public static Morphology Parse(IReadOnlyList<string> lines, string file, double ra = Morphology.DefaultRa, double cm = Morphology.DefaultCm)
    {
        var points = new Dictionary<int, Point>();
        var order = new List<Point>();
        for (int l = 0; l < lines.Count; l++)
        {
            int lineNo = l + 1;
            string text = lines[l];
            int hash = text.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0) text = text[..hash];
            var fields = text.Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0) continue;
            if (fields.Length != 7) throw new SwcFormatException(file, lineNo, $"expected 7 fields (id type x y z radius parent), found {fields.Length}");
            int id = ParseInt(fields[0], "id", file, lineNo);
            int type = ParseInt(fields[1], "type", file, lineNo);
            double x = ParseReal(fields[2], "x", file, lineNo), y = ParseReal(fields[3], "y", file, lineNo), z = ParseReal(fields[4], "z", file, lineNo);
            double radius = ParseReal(fields[5], "radius", file, lineNo);
            int parent = ParseInt(fields[6], "parent", file, lineNo);
            if (type is < 0 or > 7) throw new SwcFormatException(file, lineNo, $"point {id}: unknown type {type}; allowed: 0 undefined, 1 soma, 2 axon, 3 basal dendrite, 4 apical dendrite, 5 fork point, 6 end point, 7 custom");
            if (!(radius > 0)) throw new SwcFormatException(file, lineNo, $"point {id}: radius must be > 0 µm, got {fields[5]} (a zero diameter has no membrane and no axial conductance)");
            if (parent < -1) throw new SwcFormatException(file, lineNo, $"point {id}: parent must be −1 (root) or a point id, got {parent}");
            if (parent == id) throw new SwcFormatException(file, lineNo, $"point {id} is its own parent (a cycle)");
            var p = new Point(id, type, x, y, z, radius, parent, lineNo);
            if (!points.TryAdd(id, p)) throw new SwcFormatException(file, lineNo, $"point id {id} is already used on line {points[id].Line}");
            order.Add(p);
        }
        if (order.Count == 0) throw new SwcFormatException(file, 0, "has no points");
        Point? root = null;
        foreach (var p in order)
        {
            if (p.ParentId == -1)
            {
                if (root is not null) throw new SwcFormatException(file, p.Line, $"point {p.Id} is a second root (the first is point {root.Id} on line {root.Line}); one connected tree is expected");
                root = p;
                continue;
            }
            if (!points.TryGetValue(p.ParentId, out var parent)) throw new SwcFormatException(file, p.Line, $"point {p.Id}: parent {p.ParentId} does not exist");
            p.Parent = parent;
            parent.Children.Add(p);
        }
        // Every point must reach the root; a point that does not sits on (or hangs from) a cycle.
        var state = new Dictionary<int, int>();   // 1 on the current path, 2 reaches the root
        foreach (var start in order)
        {
            var path = new List<Point>();
            var p = start;
            while (p is not null && !state.ContainsKey(p.Id))
            {
                state[p.Id] = 1;
                path.Add(p);
                p = p.Parent;
            }
            if (p is not null && state[p.Id] == 1) throw new SwcFormatException(file, p.Line, $"point {p.Id} is its own ancestor: the parents form a cycle ({string.Join(" → ", CycleFrom(p).Select(c => $"{c.Id} (line {c.Line})"))})");
            foreach (var q in path) state[q.Id] = 2;
        }
        if (root is null) throw new SwcFormatException(file, 0, "has no root point (parent −1)");
        if (root.Type != 1) throw new SwcFormatException(file, root.Line, $"the root point {root.Id} has type {root.Type}; BioSim expects the soma (type 1) at the root");
        return Build(root, order, file, ra, cm);
    }

    private static IEnumerable<Point> CycleFrom(Point start)
    {
        var p = start;
        do
        {
            yield return p;
            p = p.Parent!;
        }
        while (p != start);
        yield return start;
    }

    private static Morphology Build(Point root, List<Point> order, string file, double ra, double cm)
    {
        var morphology = new Morphology();
        var soma = order.Where(p => p.Type == 1).ToList();
        if (soma.Any(s => s.Parent is not null && s.Parent.Type != 1))
        {
            var bad = soma.First(s => s.Parent is not null && s.Parent.Type != 1);
            throw new SwcFormatException(file, bad.Line, $"soma point {bad.Id} hangs from a non-soma point {bad.ParentId}; the soma must be connected at the root");
        }
        morphology.AddSection("soma", SomaPoints(soma, file), kind: SectionKind.Soma, ra: ra, cm: cm);
        var counters = new Dictionary<SectionKind, int>();
        // Depth-first from the soma: each non-soma child of a soma point starts a section.
        var stack = new Stack<(Point First, string Parent, double ParentX)>();
        foreach (var s in Enumerable.Reverse(soma))
        {
            foreach (var c in Enumerable.Reverse(s.Children)) if (c.Type != 1) stack.Push((c, "soma", 0.5));
        }
        while (stack.Count > 0)
        {
            var (first, parentName, parentX) = stack.Pop();
            var kind = KindOf(first.Type);
            int k = counters.TryGetValue(kind, out int used) ? used : 0;
            counters[kind] = k + 1;
            string name = kind switch { SectionKind.Axon => "axon", SectionKind.Basal => "dend", SectionKind.Apical => "apic", _ => "custom" } + $"[{k}]";
            var run = new List<Point>();
            var start = first.Parent!;
            bool fromSoma = start.Type == 1;
            if (!fromSoma) run.Add(start);
            var p = first;
            while (true)
            {
                run.Add(p);
                if (p.Children.Count != 1 || KindOf(p.Children[0].Type) != kind) break;
                p = p.Children[0];
            }
            if (run.Count == 1) run.Insert(0, start with { Radius = first.Radius });   // a one-point branch off the soma starts at the soma point
            var sectionPoints = new List<SectionPoint>(run.Count);
            double arc = 0;
            for (int i = 0; i < run.Count; i++)
            {
                if (i > 0) arc += Distance(run[i - 1], run[i]);
                sectionPoints.Add(new SectionPoint(arc, 2 * run[i].Radius));
            }
            if (!(arc > 0)) throw new SwcFormatException(file, first.Line, $"section {name} starting at point {first.Id} has zero length (its points coincide)");
            morphology.AddSection(name, sectionPoints, parentName, parentX, kind, ra, cm);
            foreach (var c in Enumerable.Reverse(p.Children)) stack.Push((c, name, 1.0));
        }
        return morphology;
    }

    private static SectionPoint[] SomaPoints(List<Point> soma, string file)
    {
        if (soma.Count == 0) throw new SwcFormatException(file, 0, "has no soma point (type 1)");
        var first = soma[0];
        // One point, or NeuroMorpho's three-point soma (centre plus two points one radius away on either side).
        bool threePoint = soma.Count == 3 && soma[1].ParentId == first.Id && soma[2].ParentId == first.Id
            && Math.Abs(Distance(first, soma[1]) - first.Radius) < 0.01 * first.Radius && Math.Abs(Distance(first, soma[2]) - first.Radius) < 0.01 * first.Radius;
        if (soma.Count == 1 || threePoint) return Cylinder(2 * first.Radius);
        double extent = soma.Max(a => Distance(a, first));
        bool isChain = soma.Skip(1).All(s => s.Parent is not null && s.Parent.Type == 1 && s.Parent.Children.Count(c => c.Type == 1) == 1);
        if (isChain && Distance(soma[0], soma[^1]) < 0.01 * extent)
        {
            double cx = soma.Average(s => s.X), cy = soma.Average(s => s.Y), cz = soma.Average(s => s.Z);
            double meanRadius = soma.Average(s => Math.Sqrt((s.X - cx) * (s.X - cx) + (s.Y - cy) * (s.Y - cy) + (s.Z - cz) * (s.Z - cz)));
            if (!(meanRadius > 0)) throw new SwcFormatException(file, first.Line, "the soma contour has zero extent");
            return Cylinder(2 * meanRadius);
        }
        if (!isChain) throw new SwcFormatException(file, soma.First(s => s != first && s.Parent!.Children.Count(c => c.Type == 1) != 1).Line, "the soma points branch; give the soma as one point, three points, a chain or a closed contour");
        var result = new SectionPoint[soma.Count];
        double arc = 0;
        for (int i = 0; i < soma.Count; i++)
        {
            if (i > 0) arc += Distance(soma[i - 1], soma[i]);
            result[i] = new SectionPoint(arc, 2 * soma[i].Radius);
        }
        if (!(arc > 0)) throw new SwcFormatException(file, first.Line, "the soma points coincide (zero length)");
        return result;

        static SectionPoint[] Cylinder(double d) => [new SectionPoint(0, d), new SectionPoint(d, d)];
    }

    private static SectionKind KindOf(int type) => type switch
    {
        1 => SectionKind.Soma,
        2 => SectionKind.Axon,
        3 => SectionKind.Basal,
        4 => SectionKind.Apical,
        _ => SectionKind.Custom,
    };

    private static double Distance(Point a, Point b) =>
        Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y) + (a.Z - b.Z) * (a.Z - b.Z));

    private static int ParseInt(string s, string field, string file, int line)
    {
        if (int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)) return v;
        // Some writers print integers as reals ("3.0").
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d == Math.Round(d) && Math.Abs(d) < int.MaxValue) return (int)d;
        throw new SwcFormatException(file, line, $"{field} must be an integer, got '{s}'");
    }

    private static double ParseReal(string s, string field, string file, int line)
    {
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)) return v;
        throw new SwcFormatException(file, line, $"{field} must be a finite number, got '{s}'");
    }
}
