namespace BioSim.Circuits.Morphology;

/// <summary>
/// An unbranched piece of cable (NEURON's section). Its geometry is a list of points along the centre
/// line with the diameter varying linearly between them (frusta); a cylinder is two points. Its 0 end
/// is attached at position <see cref="ParentX"/> of its parent.
/// </summary>
public sealed class Section
{
    internal Section(string name, SectionKind kind, int index, Section? parent, double parentX, SectionPoint[] points, double ra, double cm, int? nseg)
    {
        Name = name;
        Kind = kind;
        Index = index;
        Parent = parent;
        ParentX = parentX;
        Points = points;
        Ra = ra;
        Cm = cm;
        Nseg = nseg;
    }

    /// <summary>The name inputs, probes and mechanism placements use (unique in its morphology).</summary>
    public string Name { get; }

    /// <summary>Its SWC structure type, by which <c>CableCell.Insert(mechanism, kind)</c> chooses sections.</summary>
    public SectionKind Kind { get; }

    /// <summary>Position in <see cref="Morphology.Sections"/> (parents come first).</summary>
    public int Index { get; }

    /// <summary>The section this one is attached to, or null for the root.</summary>
    public Section? Parent { get; }

    /// <summary>Where on the parent (0 to 1) this section's 0 end attaches.</summary>
    public double ParentX { get; }

    /// <summary>Centre-line points, the first at arc 0, the last at arc L.</summary>
    public IReadOnlyList<SectionPoint> Points { get; }

    /// <summary>L, length (µm).</summary>
    public double Length => Points[^1].Arc;

    /// <summary>Ra, axial resistivity (Ω·cm).</summary>
    public double Ra { get; }

    /// <summary>cm, specific membrane capacitance (µF/cm²).</summary>
    public double Cm { get; }

    /// <summary>nseg, number of segments; null lets the discretisation rule choose.</summary>
    public int? Nseg { get; }

    /// <summary>Diameter (µm) at arc position <paramref name="arc"/> (µm), linear between points.</summary>
    public double DiameterAt(double arc)
    {
        var p = Points;
        if (arc <= p[0].Arc) return p[0].Diameter;
        for (int k = 1; k < p.Count; k++)
        {
            if (arc <= p[k].Arc)
            {
                double span = p[k].Arc - p[k - 1].Arc;
                double w = span > 0 ? (arc - p[k - 1].Arc) / span : 1;
                return p[k - 1].Diameter + w * (p[k].Diameter - p[k - 1].Diameter);
            }
        }
        return p[^1].Diameter;
    }

    /// <summary>
    /// Lateral membrane area (µm²) and axial resistance (MΩ) of the piece between arc positions a &lt; b:
    /// area = Σ π (r₁ + r₂) √(l² + (r₁ − r₂)²) over frusta (ends excluded), R = Ra·1e-2 · Σ l/(π r₁ r₂)
    /// (exact for a linearly tapering radius; Ra in Ω·cm, lengths in µm give MΩ with the factor 1e-2).
    /// </summary>
    public (double Area, double Resistance) Piece(double a, double b)
    {
        double area = 0, integral = 0;
        var p = Points;
        double x0 = a, d0 = DiameterAt(a);
        for (int k = 1; k <= p.Count; k++)
        {
            double next = k < p.Count ? Math.Min(p[k].Arc, b) : b;
            if (next <= x0) continue;
            double d1 = DiameterAt(next);
            double l = next - x0, r0 = d0 / 2, r1 = d1 / 2;
            area += Math.PI * (r0 + r1) * Math.Sqrt(l * l + (r0 - r1) * (r0 - r1));
            integral += l / (Math.PI * r0 * r1);
            x0 = next;
            d0 = d1;
            if (x0 >= b) break;
        }
        return (area, Ra * 1e-2 * integral);
    }

    /// <summary>
    /// NEURON's lambda_f(f): the AC length constant (µm) at frequency <paramref name="frequency"/> (Hz),
    /// 1e5 √(d/(4π f Ra cm)) for a cylinder, averaged over the frusta as NEURON's stdlib.hoc does.
    /// </summary>
    public double LambdaAtFrequency(double frequency)
    {
        var p = Points;
        double lam = 0;
        for (int k = 1; k < p.Count; k++) lam += (p[k].Arc - p[k - 1].Arc) / Math.Sqrt(p[k - 1].Diameter + p[k].Diameter);
        lam *= Math.Sqrt(2) * 1e-5 * Math.Sqrt(4 * Math.PI * frequency * Ra * Cm);
        return Length / lam;
    }

    /// <summary>The section's <see cref="Name"/>.</summary>
    public override string ToString() => Name;
}
