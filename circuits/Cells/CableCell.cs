using BioSim.Circuits.Mechanisms;
using BioSim.Circuits.Morphology;

namespace BioSim.Circuits.Cells;

/// <summary>A density mechanism inserted on some sections of a cell.</summary>
public sealed record DensityPlacement(Mechanism Mechanism, IReadOnlyList<string> Sections);

/// <summary>A point process at position <paramref name="X"/> of a section, under a name that inputs and probes use.</summary>
public sealed record PointPlacement(string Name, Mechanism Mechanism, string Section, double X);

/// <summary>
/// The description of a multi-compartment cell: a morphology, its discretisation, the mechanisms on its
/// sections, its point processes, where spikes are detected and the initial potential. Every cell of a
/// <see cref="CablePopulation"/> is built from one description. Errors name the section or mechanism.
/// </summary>
public sealed class CableCell
{
    private readonly List<DensityPlacement> _density = [];
    private readonly List<PointPlacement> _points = [];

    public CableCell(Morphology.Morphology morphology, Discretisation? discretisation = null)
    {
        Morphology = morphology;
        Discretisation = discretisation ?? Discretisation.Default;
        var root = morphology.Root;
        DetectorSection = root.Name;
    }

    public Morphology.Morphology Morphology { get; }

    public Discretisation Discretisation { get; }

    public IReadOnlyList<DensityPlacement> DensityMechanisms => _density;

    public IReadOnlyList<PointPlacement> PointProcesses => _points;

    /// <summary>V_init, initial potential of every node (mV); states start at their steady state there (finitialize). Default −65.</summary>
    public double VInit { get; set; } = -65;

    /// <summary>Section whose potential is watched for spikes. Default the root.</summary>
    public string DetectorSection { get; set; }

    /// <summary>Position on <see cref="DetectorSection"/> (0 to 1). Default 0.5.</summary>
    public double DetectorX { get; set; } = 0.5;

    /// <summary>Spike threshold (mV), crossed upwards. Default 10 (NEURON's NetCon default).</summary>
    public double Threshold { get; set; } = 10;

    /// <summary>Inserts a density mechanism on the named sections (all sections when none are named).</summary>
    public CableCell Insert(Mechanism mechanism, params string[] sections)
    {
        if (mechanism.IsPointProcess) throw new ArgumentException($"{mechanism.GetType().Name} is a point process; use Place.");
        string? problem = mechanism.Validate();
        if (problem is not null) throw new ArgumentException($"Mechanism {mechanism.GetType().Name}: {problem}.");
        string[] names = sections.Length == 0 ? Morphology.Sections.Select(s => s.Name).ToArray() : sections;
        foreach (var s in names) RequireSection(s, $"mechanism {mechanism.GetType().Name}");
        _density.Add(new DensityPlacement(mechanism, names));
        return this;
    }

    /// <summary>Inserts a density mechanism on every section of kind <paramref name="kind"/>.</summary>
    public CableCell Insert(Mechanism mechanism, SectionKind kind)
    {
        var names = Morphology.Sections.Where(s => s.Kind == kind).Select(s => s.Name).ToArray();
        if (names.Length == 0) throw new ArgumentException($"Mechanism {mechanism.GetType().Name}: the morphology has no {kind} section.");
        return Insert(mechanism, names);
    }

    /// <summary>Places a point process named <paramref name="name"/> at <paramref name="x"/> of <paramref name="section"/>.</summary>
    public CableCell Place(string name, Mechanism mechanism, string section, double x = 0.5)
    {
        if (!mechanism.IsPointProcess) throw new ArgumentException($"{mechanism.GetType().Name} is a density mechanism; use Insert.");
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A point process needs a non-empty name.");
        if (_points.Any(p => p.Name == name)) throw new ArgumentException($"Point process '{name}': the name is already used.");
        string? problem = mechanism.Validate();
        if (problem is not null) throw new ArgumentException($"Point process '{name}' ({mechanism.GetType().Name}): {problem}.");
        RequireSection(section, $"point process '{name}'");
        if (!(x >= 0 && x <= 1)) throw new ArgumentException($"Point process '{name}': x must be in [0, 1], got {x}.");
        _points.Add(new PointPlacement(name, mechanism, section, x));
        return this;
    }

    private void RequireSection(string section, string what)
    {
        if (!Morphology.TryGet(section, out _))
        {
            throw new ArgumentException($"{char.ToUpperInvariant(what[0])}{what[1..]}: section '{section}' does not exist; the cell has: {string.Join(", ", Morphology.Sections.Select(s => s.Name))}.");
        }
    }
}
