using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
    private readonly int[] _elimination, _eliminationParent;
    private readonly double[] _eliminationAxial, _eliminationCapacitance;
    private readonly int _root;

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
        (_root, var up, var upAxial, var topDown) = Reroot(_parent, _axial);
        (_elimination, Height) = EliminationOrder(up, topDown);
        _eliminationParent = _elimination.Select(i => up[i]).ToArray();
        _eliminationAxial = _elimination.Select(i => upAxial[i]).ToArray();
        _eliminationCapacitance = _elimination.Select(i => _capacitance[i]).ToArray();
    }

    /// <summary>
    /// The same tree hung from its centre: the node whose longest path to a leaf (in nodes) is shortest, the middle
    /// of the tree's longest path. Returns that root, each node's parent in the re-hung tree (−1 for the root), the
    /// axial conductance of the edge to it, and the nodes in breadth-first order from the root (parents before
    /// children). Hines' elimination is exact for any root; what the root changes is the critical path. Each node's elimination waits for its children's (a division, then an update of the parent's
    /// pivot), so one step takes at least the tree's height in dependent divisions. A pyramidal cell hung from its
    /// soma has the apical trunk as one long chain; hung from the trunk's middle, the two halves are eliminated side by
    /// side (measured: the 209-node benchmark cell's height falls from 105 to 66).
    /// </summary>
    private static (int Root, int[] Parent, double[] Axial, int[] TopDown) Reroot(int[] parent, double[] axial)
    {
        int n = parent.Length;
        var neighbours = new List<int>[n];
        for (int i = 0; i < n; i++) neighbours[i] = [];
        for (int i = 1; i < n; i++)
        {
            neighbours[i].Add(parent[i]);
            neighbours[parent[i]].Add(i);
        }
        // Two breadth-first searches find a longest path (from the node farthest from 0 to the node farthest from it);
        // its middle node is a centre.
        var from = new int[n];
        var visited = new int[n];
        int Farthest(int start)
        {
            var distance = new int[n];
            Array.Fill(distance, -1);
            var queue = new Queue<int>();
            distance[start] = 0;
            from[start] = -1;
            queue.Enqueue(start);
            int last = start, count = 0;
            while (queue.Count > 0)
            {
                last = queue.Dequeue();
                visited[count++] = last;
                foreach (int j in neighbours[last])
                {
                    if (distance[j] >= 0) continue;
                    distance[j] = distance[last] + 1;
                    from[j] = last;
                    queue.Enqueue(j);
                }
            }
            return last;
        }
        int u = Farthest(0), w = Farthest(u);
        var path = new List<int>();
        for (int j = w; j >= 0; j = from[j]) path.Add(j);
        int root = path[(path.Count - 1) / 2];
        Farthest(root);
        var up = (int[])from.Clone();
        var upAxial = new double[n];
        for (int i = 0; i < n; i++)
        {
            if (up[i] < 0) continue;
            // The edge between i and its new parent is stored on whichever of the two was the child in the original tree.
            upAxial[i] = parent[i] == up[i] ? axial[i] : axial[up[i]];
        }
        return (root, up, upAxial, visited);
    }

    /// <summary>
    /// Every node but the root in the order they are eliminated: by height (longest path down to a leaf; leaves first),
    /// then by descending index. Every node comes after all its children, as Hines' order requires, and nodes of equal
    /// height in different branches sit next to each other: their elimination chains (a division per node) are
    /// independent, so the processor overlaps them, and one cell's critical path is its tallest branch instead of all
    /// its nodes. Back substitution runs the same list backwards (parents before children).
    /// </summary>
    private static (int[] Order, int Height) EliminationOrder(int[] parent, int[] topDown)
    {
        int n = parent.Length, root = topDown[0];
        var height = new int[n];
        for (int k = n - 1; k > 0; k--)
        {
            int i = topDown[k];
            height[parent[i]] = Math.Max(height[parent[i]], height[i] + 1);
        }
        var order = topDown[1..];
        Array.Sort(order, (x, y) => height[x] != height[y] ? height[x].CompareTo(height[y]) : y.CompareTo(x));
        return (order, height[root]);
    }

    /// <summary>The node the elimination ends at (the centre of the tree, see <see cref="Reroot"/>).</summary>
    public int EliminationRoot => _root;

    /// <summary>Height of the tree hung from <see cref="EliminationRoot"/>: edges on its longest path to a leaf, the chain of dependent eliminations in one step.</summary>
    public int Height { get; }

    /// <summary>Number of nodes n of one cell.</summary>
    public int Count => _parent.Length;

    /// <summary>Parent of each node as given to the constructor (−1 for node 0), parents before children. Nodes keep
    /// this numbering in every span a step takes; only the elimination runs on the tree hung from <see cref="EliminationRoot"/>.</summary>
    public ReadOnlySpan<int> Parent => _parent;

    /// <summary>Membrane capacitance C_i of each node, nF (zero for the algebraic nodes at section ends).</summary>
    public ReadOnlySpan<double> Capacitance => _capacitance;

    /// <summary>Axial conductance g_i between node i and its <see cref="Parent"/>, µS; entry 0 is 0 (node 0 has no parent).</summary>
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
        // Assembly is fused into Hines' elimination (HinesSolver.Solve is the unfused reference). Until node i is
        // eliminated, rhs[i] holds its membrane current minus what its children handed it (the children come first in
        // the elimination order); at its elimination, i adds its own terms (capacitance, axial coupling to its parent),
        // keeps the reciprocal pivot in diagonal[i] and its right-hand side in rhs[i], and hands its terms to its parent.
        // The per-position arrays (node, parent, coupling, capacitance in elimination order) and refs instead of span
        // indexing keep the loop to the arithmetic: on one cell the step is bound by the processor's throughput.
        int m = _elimination.Length;
        ref double V = ref MemoryMarshal.GetReference(v);
        ref double D = ref MemoryMarshal.GetReference(conductance);
        ref double R = ref MemoryMarshal.GetReference(current);
        ref int node = ref MemoryMarshal.GetArrayDataReference(_elimination);
        ref int parentOf = ref MemoryMarshal.GetArrayDataReference(_eliminationParent);
        ref double axialOf = ref MemoryMarshal.GetArrayDataReference(_eliminationAxial);
        ref double capOf = ref MemoryMarshal.GetArrayDataReference(_eliminationCapacitance);
        for (int k = 0; k < m; k++)
        {
            int i = Unsafe.Add(ref node, k), p = Unsafe.Add(ref parentOf, k);
            double a = Unsafe.Add(ref axialOf, k), own = cj * Unsafe.Add(ref capOf, k) + a;
            for (int o = 0; o < total; o += n)
            {
                double flux = a * (Unsafe.Add(ref V, o + p) - Unsafe.Add(ref V, o + i));
                double inverse = 1.0 / (Unsafe.Add(ref D, o + i) + own);
                double r = flux - Unsafe.Add(ref R, o + i);
                double f = a * inverse;
                Unsafe.Add(ref D, o + p) += a - f * a;
                Unsafe.Add(ref R, o + p) -= f * r - flux;
                Unsafe.Add(ref D, o + i) = inverse;
                Unsafe.Add(ref R, o + i) = r;
            }
        }
        int root = _root;
        double ownRoot = cj * _capacitance[root];
        for (int o = root; o < total; o += n)
        {
            double dv = -Unsafe.Add(ref R, o) / (Unsafe.Add(ref D, o) + ownRoot);
            Unsafe.Add(ref R, o) = dv;
            Unsafe.Add(ref V, o) += factor * dv;
        }
        for (int k = m - 1; k >= 0; k--)
        {
            int i = Unsafe.Add(ref node, k), p = Unsafe.Add(ref parentOf, k);
            double a = Unsafe.Add(ref axialOf, k);
            for (int o = 0; o < total; o += n)
            {
                double dv = (Unsafe.Add(ref R, o + i) + a * Unsafe.Add(ref R, o + p)) * Unsafe.Add(ref D, o + i);
                Unsafe.Add(ref R, o + i) = dv;
                Unsafe.Add(ref V, o + i) += factor * dv;
            }
        }
    }
}
