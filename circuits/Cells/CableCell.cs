using BioSim.Circuits.Mechanisms;
using BioSim.Circuits.Morphology;

namespace BioSim.Circuits.Cells;

/// <summary>
/// The description of a multi-compartment cell: a morphology, its discretisation, the mechanisms on its
/// sections, its point processes, where spikes are detected and the initial potential. Every cell of a
/// <see cref="CablePopulation"/> is built from one description. Errors name the section or mechanism.
/// </summary>
public sealed class CableCell
{
    private readonly List<DensityPlacement> _density = [];
    private readonly List<PointPlacement> _points = [];

    /// <summary>A cell of this shape with no mechanisms yet, its spike detector at the middle of the root section.</summary>
    /// <param name="morphology">The tree of sections.</param>
    /// <param name="discretisation">How many segments a section without its own nseg gets; null: <see cref="Discretisation.Default"/> (one).</param>
    public CableCell(Morphology.Morphology morphology, Discretisation? discretisation = null)
    {
        Morphology = morphology;
        Discretisation = discretisation ?? Discretisation.Default;
        var root = morphology.Root;
        DetectorSection = root.Name;
    }

    /// <summary>The tree of sections (lengths and diameters in µm).</summary>
    public Morphology.Morphology Morphology { get; }

    /// <summary>The rule that gives each section its nseg.</summary>
    public Discretisation Discretisation { get; }

    /// <summary>The density mechanisms in the order inserted (the order their currents are summed).</summary>
    public IReadOnlyList<DensityPlacement> DensityMechanisms => _density;

    /// <summary>The point processes in the order placed; those that take events are the population's input ports, in this order.</summary>
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
