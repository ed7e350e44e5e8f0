using BioSim.Engine.Cable;

namespace BioSim.Circuits.Morphology;

/// <summary>
/// A morphology discretised the way NEURON does it, so that results can be compared step for step:
/// each section of nseg segments has one node at the centre of every segment (carrying that segment's
/// membrane: area, capacitance, mechanisms) and a zero-area node at its 1 end; the root section also
/// has a zero-area node at its 0 end. A child's first node connects to the parent's node at the
/// attachment point (x = 0: the parent's 0 node, x = 1: its 1 end node, otherwise the centre node of
/// the segment holding x) through the resistance of half its first segment; neighbouring nodes of a
/// section connect through two half segments. Nodes are numbered in Hines order (parents first).
/// </summary>
public sealed class CompartmentLayout
{
    private readonly int[] _firstNode;   // per section: index of its first centre node
    private readonly int[] _nseg;
    private readonly int[] _startNode;   // per section: node at its 0 end (the parent's node, or the root node)

    /// <summary>Discretises <paramref name="morphology"/>, which must have at least one section.</summary>
    /// <param name="morphology">The tree of sections.</param>
    /// <param name="discretisation">How many segments a section without its own nseg gets; null: <see cref="Discretisation.Default"/> (one).</param>
    public CompartmentLayout(Morphology morphology, Discretisation? discretisation = null)
    {
        discretisation ??= Discretisation.Default;
        Morphology = morphology;
        var sections = morphology.Sections;
        if (sections.Count == 0) throw new ArgumentException("The morphology has no sections.");
        _firstNode = new int[sections.Count];
        _nseg = new int[sections.Count];
        _startNode = new int[sections.Count];
        var parent = new List<int> { -1 };
        var area = new List<double> { 0 };
        var cap = new List<double> { 0 };
        var axial = new List<double> { 0 };
        var section = new List<int> { 0 };
        var x = new List<double> { 0 };
        for (int s = 0; s < sections.Count; s++)
        {
            var sec = sections[s];
            int nseg = discretisation.SegmentsOf(sec);
            if (nseg < 1) throw new ArgumentException($"Section '{sec.Name}': nseg must be ≥ 1, got {nseg}.");
            _nseg[s] = nseg;
            int start = sec.Parent is null ? 0 : NodeAt(sec.Parent.Index, sec.ParentX);
            _startNode[s] = start;
            _firstNode[s] = parent.Count;
            double L = sec.Length, dx = L / nseg;
            int previous = start;
            double previousHalf = 0;   // resistance of the right half of the previous segment (MΩ)
            for (int j = 0; j < nseg; j++)
            {
                double a = j * dx, mid = (j + 0.5) * dx, b = (j + 1) * dx;
                var left = sec.Piece(a, mid);
                var right = sec.Piece(mid, b);
                parent.Add(previous);
                area.Add(left.Area + right.Area);
                cap.Add(sec.Cm * (left.Area + right.Area) * 1e-5);   // µF/cm² × µm² × 1e-8 cm²/µm² × 1e3 nF/µF
                axial.Add(1.0 / (previousHalf + left.Resistance));
                section.Add(s);
                x.Add((j + 0.5) / nseg);
                previous = parent.Count - 1;
                previousHalf = right.Resistance;
            }
            parent.Add(previous);
            area.Add(0);
            cap.Add(0);
            axial.Add(1.0 / previousHalf);
            section.Add(s);
            x.Add(1.0);
        }
        NodeArea = area.ToArray();
        NodeSection = section.ToArray();
        NodeX = x.ToArray();
        Tree = new CableTree(parent.ToArray(), cap.ToArray(), axial.ToArray());
    }

    /// <summary>The morphology that was discretised.</summary>
    public Morphology Morphology { get; }

    /// <summary>The electrical tree (capacitances in nF, axial conductances in µS) for the cable solver.</summary>
    public CableTree Tree { get; }

    /// <summary>Number of nodes of one cell: the root's 0 end, and per section its nseg centre nodes and its 1 end.</summary>
    public int NodeCount => NodeArea.Length;

    /// <summary>Membrane area of each node (µm²); zero at section ends.</summary>
    public double[] NodeArea { get; }

    /// <summary>Section index of each node (the root node belongs to the root section).</summary>
    public int[] NodeSection { get; }

    /// <summary>Position of each node in its section (0 to 1).</summary>
    public double[] NodeX { get; }

    /// <summary>nseg of section <paramref name="section"/>.</summary>
    public int SegmentsOf(Section section) => _nseg[section.Index];

    /// <summary>The centre nodes (those with membrane) of <paramref name="section"/>.</summary>
    public IEnumerable<int> MembraneNodes(Section section) => Enumerable.Range(_firstNode[section.Index], _nseg[section.Index]);

    /// <summary>The node NEURON uses for position <paramref name="x"/> (0 to 1) of <paramref name="section"/>: the centre node of the segment holding x inside
    /// the section, the zero-area end node at x = 1, and at x = 0 the node the section starts from (the root's 0 end node, or the parent's node it hangs from).</summary>
    public int Node(Section section, double x)
    {
        if (!(x >= 0 && x <= 1)) throw new ArgumentOutOfRangeException(nameof(x), $"Position on section '{section.Name}' must be in [0, 1], got {x}.");
        return NodeAt(section.Index, x);
    }

    /// <summary>The membrane node of the segment holding <paramref name="x"/> (ends map to the nearest segment; point processes use <see cref="Node"/>, whose ends are the zero-area end nodes).</summary>
    public int SegmentNode(Section section, double x)
    {
        if (!(x >= 0 && x <= 1)) throw new ArgumentOutOfRangeException(nameof(x), $"Position on section '{section.Name}' must be in [0, 1], got {x}.");
        int nseg = _nseg[section.Index];
        return _firstNode[section.Index] + Math.Min((int)(x * nseg), nseg - 1);
    }

    private int NodeAt(int s, double x)
    {
        int nseg = _nseg[s];
        if (x <= 0) return _startNode[s];
        if (x >= 1) return _firstNode[s] + nseg;
        return _firstNode[s] + Math.Min((int)(x * nseg), nseg - 1);
    }
}
