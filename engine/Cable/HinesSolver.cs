using System.Runtime.CompilerServices;

namespace BioSim.Engine.Cable;

/// <summary>
/// Hines' O(n) Gaussian elimination for the symmetric linear system of a cable tree (Hines 1984,
/// Int J Bio-Med Comput 15:69). Nodes are numbered so that every node's parent has a smaller index
/// (parent[0] = −1 for the root); then the matrix, whose only off-diagonal entries couple a node and
/// its parent, is eliminated from the leaves to the root without fill-in and back-substituted from the
/// root to the leaves: 2 passes over the nodes, no pivoting (the matrix is diagonally dominant).
/// </summary>
public static class HinesSolver
{
    /// <summary>
    /// Solves M x = b in place. Row i holds <paramref name="diagonal"/>[i] on the diagonal and −<paramref name="coupling"/>[i]
    /// in the columns of its parent p and, symmetrically, row p holds −coupling[i] in column i (coupling[0] is unused).
    /// On return <paramref name="rhs"/> holds x and <paramref name="diagonal"/> is overwritten (with the reciprocals of the pivots).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Solve(ReadOnlySpan<int> parent, ReadOnlySpan<double> coupling, Span<double> diagonal, Span<double> rhs)
    {
        int n = parent.Length;
        if (coupling.Length != n || diagonal.Length != n || rhs.Length != n)
        {
            throw new ArgumentException($"Hines solve: parent ({n}), coupling ({coupling.Length}), diagonal ({diagonal.Length}) and rhs ({rhs.Length}) must have the same length.");
        }
        // Triangularise: eliminate each node's coupling from its parent's row, leaves first. The pivot's
        // reciprocal is kept in the diagonal so that back substitution is a chain of multiply-adds, not divisions.
        for (int i = n - 1; i > 0; i--)
        {
            int p = parent[i];
            double inverse = 1.0 / diagonal[i];
            double f = coupling[i] * inverse;
            diagonal[p] -= f * coupling[i];
            rhs[p] += f * rhs[i];
            diagonal[i] = inverse;
        }
        rhs[0] /= diagonal[0];
        for (int i = 1; i < n; i++)
        {
            rhs[i] = (rhs[i] + coupling[i] * rhs[parent[i]]) * diagonal[i];
        }
    }

    /// <summary>Checks that <paramref name="parent"/> numbers a tree with parents before children; returns the problem or null.</summary>
    public static string? ValidateOrdering(ReadOnlySpan<int> parent)
    {
        if (parent.Length == 0) return "the tree has no nodes";
        if (parent[0] != -1) return $"node 0 must be the root (parent −1), has parent {parent[0]}";
        for (int i = 1; i < parent.Length; i++)
        {
            if (parent[i] < 0 || parent[i] >= i) return $"node {i} has parent {parent[i]}; every node's parent must have a smaller index";
        }
        return null;
    }
}
