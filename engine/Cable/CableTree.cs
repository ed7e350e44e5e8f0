using System.Runtime.CompilerServices;

namespace BioSim.Engine.Cable;

/// <summary>
/// The electrical skeleton of one discretised cell: n nodes in Hines order, each with a capacitance
/// C_i (nF, zero for the algebraic nodes at section ends, as in NEURON) and an axial conductance
/// g_i (µS) to its parent. One step of the cable equation
/// <code>
///   C_i dV_i/dt = Σ_j g_ij (V_j − V_i) − I_i(V) ,   I_i = membrane current (nA, outward positive, minus injected)
/// </code>
/// linearises I at the start of the step (I(V + ΔV) ≈ I + G ΔV, G = ∂I/∂V in µS, supplied by the
/// mechanisms), solves (c_j C + A + G) ΔV = −A V − I with <see cref="HinesSolver"/> and updates V as
/// <see cref="CableMethod"/> says. Units: mV, ms, nF, µS, nA. Immutable; shared by every cell of a population.
/// </summary>
public sealed class CableTree
{
    private readonly int[] _parent;
    private readonly double[] _capacitance;
    private readonly double[] _axial;

    /// <param name="parent">Parent of each node (−1 for node 0), parents before children.</param>
    /// <param name="capacitance">C_i (nF), ≥ 0.</param>
    /// <param name="axialConductance">g_i (µS) between node i and its parent, &gt; 0 for i &gt; 0; entry 0 is ignored.</param>
    public CableTree(int[] parent, double[] capacitance, double[] axialConductance)
    {
        string? problem = HinesSolver.ValidateOrdering(parent);
        if (problem is not null) throw new ArgumentException($"Cable tree: {problem}.", nameof(parent));
        if (capacitance.Length != parent.Length || axialConductance.Length != parent.Length)
        {
            throw new ArgumentException($"Cable tree: {parent.Length} nodes but {capacitance.Length} capacitances and {axialConductance.Length} axial conductances.");
        }
        for (int i = 0; i < parent.Length; i++)
        {
            if (!(capacitance[i] >= 0) || double.IsInfinity(capacitance[i])) throw new ArgumentException($"Cable tree: capacitance[{i}] must be finite and ≥ 0 nF, got {capacitance[i]}.");
            if (i > 0 && (!(axialConductance[i] > 0) || double.IsInfinity(axialConductance[i])))
            {
                throw new ArgumentException($"Cable tree: axial conductance[{i}] must be finite and > 0 µS, got {axialConductance[i]}.");
            }
        }
        _parent = (int[])parent.Clone();
        _capacitance = (double[])capacitance.Clone();
        _axial = (double[])axialConductance.Clone();
        _axial[0] = 0;
    }

    public int Count => _parent.Length;

    public ReadOnlySpan<int> Parent => _parent;

    public ReadOnlySpan<double> Capacitance => _capacitance;

    public ReadOnlySpan<double> AxialConductance => _axial;

    /// <summary>
    /// Advances <paramref name="v"/> by one step. On entry <paramref name="conductance"/> and <paramref name="current"/>
    /// hold the membrane conductance ∂I/∂V (µS) and the net outward membrane current I(V) (nA) of every node,
    /// evaluated at <paramref name="v"/>; they are overwritten (reciprocal pivots, and ΔV of the linear solve).
    /// </summary>
    public void Step(Span<double> v, Span<double> conductance, Span<double> current, double dt, CableMethod method) =>
        Step(v, conductance, current, 1, dt, method);

    /// <summary>
    /// <see cref="Step(Span{double}, Span{double}, Span{double}, double, CableMethod)"/> for <paramref name="cells"/> cells
    /// of this tree stored one after the other (cell k's node i at k·n + i). The cells are eliminated side by side,
    /// node by node, so that their independent dependency chains (a division per node) overlap in the processor;
    /// each cell gets exactly the arithmetic of a single-cell step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Step(Span<double> v, Span<double> conductance, Span<double> current, int cells, double dt, CableMethod method)
    {
        int n = _parent.Length;
        int total = n * cells;
        if (cells < 1 || v.Length != total || conductance.Length != total || current.Length != total)
        {
            throw new ArgumentException($"Cable step: every span must have the tree's {n} nodes times {cells} cells.");
        }
        double cj = method == CableMethod.CrankNicolson ? 2.0 / dt : 1.0 / dt;
        double factor = method == CableMethod.CrankNicolson ? 2.0 : 1.0;
        ReadOnlySpan<int> parent = _parent;
        ReadOnlySpan<double> c = _capacitance, axial = _axial;
        Span<double> diagonal = conductance, rhs = current;
        // The assembly is fused into Hines' elimination (HinesSolver.Solve is the unfused reference): row i gets its
        // own terms here, its children's terms when they are eliminated (children have larger indices, so all of
        // them come before i in the descending pass), and hands its own terms to its parent when it is eliminated.
        for (int k = 0, o = 0; k < cells; k++, o += n)
        {
            diagonal[o] += cj * c[0];
            rhs[o] = -rhs[o];
            for (int i = 1; i < n; i++)
            {
                double a = axial[i];
                diagonal[o + i] += cj * c[i] + a;
                rhs[o + i] = a * (v[o + parent[i]] - v[o + i]) - rhs[o + i];
            }
        }
        for (int i = n - 1; i > 0; i--)
        {
            int p = parent[i];
            double a = axial[i];
            for (int o = 0; o < total; o += n)
            {
                double inverse = 1.0 / diagonal[o + i];
                double f = a * inverse;
                diagonal[o + p] += a - f * a;
                rhs[o + p] += f * rhs[o + i] - a * (v[o + p] - v[o + i]);
                diagonal[o + i] = inverse;
            }
        }
        for (int o = 0; o < total; o += n)
        {
            rhs[o] /= diagonal[o];
            v[o] += factor * rhs[o];
        }
        for (int i = 1; i < n; i++)
        {
            int p = parent[i];
            double a = axial[i];
            for (int o = 0; o < total; o += n)
            {
                double dv = (rhs[o + i] + a * rhs[o + p]) * diagonal[o + i];
                rhs[o + i] = dv;
                v[o + i] += factor * dv;
            }
        }
    }
}
