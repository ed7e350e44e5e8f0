namespace BioSim.Circuits.Morphology;

/// <summary>
/// A neuron's shape as a tree of sections (NEURON's model: each section's 0 end attaches to a point of
/// its parent). Built in code with <see cref="AddCylinder"/>/<see cref="AddSection"/>, or by the SWC
/// reader in io. Sections are kept in the order added, which puts every parent before its children.
/// </summary>
public sealed class Morphology
{
    /// <summary>NEURON's default axial resistivity, Ra (Ω·cm).</summary>
    public const double DefaultRa = 35.4;

    /// <summary>NEURON's default specific capacitance, cm (µF/cm²).</summary>
    public const double DefaultCm = 1.0;

    private readonly List<Section> _sections = [];
    private readonly Dictionary<string, Section> _byName = new(StringComparer.Ordinal);

    /// <summary>The sections in the order added (every parent before its children); <see cref="Section.Index"/> is the position here.</summary>
    public IReadOnlyList<Section> Sections => _sections;

    /// <summary>The root section (the first added).</summary>
    public Section Root => _sections.Count > 0 ? _sections[0] : throw new InvalidOperationException("The morphology has no sections.");

    /// <summary>The section named <paramref name="name"/>; the error lists the known names.</summary>
    public Section this[string name] => TryGet(name, out var s) ? s
        : throw new KeyNotFoundException($"No section named '{name}'; the morphology has: {string.Join(", ", _sections.Select(x => x.Name))}.");

    /// <summary>Finds the section named <paramref name="name"/> (ordinal comparison); false when there is none.</summary>
    public bool TryGet(string name, out Section section) => _byName.TryGetValue(name, out section!);

    /// <summary>Adds a cylinder of length <paramref name="length"/> and diameter <paramref name="diameter"/> (µm).</summary>
    public Section AddCylinder(string name, double length, double diameter, string? parent = null, double parentX = 1.0,
        SectionKind kind = SectionKind.Custom, double ra = DefaultRa, double cm = DefaultCm, int? nseg = null) =>
        AddSection(name, [new SectionPoint(0, diameter), new SectionPoint(length, diameter)], parent, parentX, kind, ra, cm, nseg);

    /// <summary>Adds a section with centre-line points (arc from 0 to L, diameter), attached at <paramref name="parentX"/> of <paramref name="parent"/>.</summary>
    public Section AddSection(string name, IReadOnlyList<SectionPoint> points, string? parent = null, double parentX = 1.0,
        SectionKind kind = SectionKind.Custom, double ra = DefaultRa, double cm = DefaultCm, int? nseg = null)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A section needs a non-empty name.", nameof(name));
        if (_byName.ContainsKey(name)) throw new ArgumentException($"Section '{name}': the name is already used.");
        Section? parentSection = null;
        if (parent is null)
        {
            if (_sections.Count > 0) throw new ArgumentException($"Section '{name}': only the first section may be the root; give a parent (one of: {string.Join(", ", _sections.Select(x => x.Name))}).");
        }
        else if (!_byName.TryGetValue(parent, out parentSection))
        {
            throw new ArgumentException($"Section '{name}': parent '{parent}' does not exist; known: {string.Join(", ", _sections.Select(x => x.Name))}.");
        }
        if (!(parentX >= 0 && parentX <= 1)) throw new ArgumentException($"Section '{name}': parentX must be in [0, 1], got {parentX}.");
        if (points.Count < 2) throw new ArgumentException($"Section '{name}': needs at least two points, got {points.Count}.");
        if (points[0].Arc != 0) throw new ArgumentException($"Section '{name}': the first point must be at arc 0, got {points[0].Arc}.");
        for (int k = 0; k < points.Count; k++)
        {
            if (!(points[k].Diameter > 0) || double.IsInfinity(points[k].Diameter)) throw new ArgumentException($"Section '{name}': diameter at point {k} must be > 0 µm, got {points[k].Diameter}.");
            if (k > 0 && !(points[k].Arc >= points[k - 1].Arc)) throw new ArgumentException($"Section '{name}': arc positions must not decrease (point {k}).");
        }
        if (!(points[^1].Arc > 0) || double.IsInfinity(points[^1].Arc)) throw new ArgumentException($"Section '{name}': length must be > 0 µm, got {points[^1].Arc}.");
        if (!(ra > 0) || double.IsInfinity(ra)) throw new ArgumentException($"Section '{name}': Ra must be > 0 Ω·cm, got {ra}.");
        if (!(cm > 0) || double.IsInfinity(cm)) throw new ArgumentException($"Section '{name}': cm must be > 0 µF/cm², got {cm}.");
        if (nseg is < 1) throw new ArgumentException($"Section '{name}': nseg must be ≥ 1, got {nseg}.");
        var section = new Section(name, kind, _sections.Count, parentSection, parentX, points.ToArray(), ra, cm, nseg);
        _sections.Add(section);
        _byName.Add(name, section);
        return section;
    }
}
