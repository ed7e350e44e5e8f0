using BioSim.Engine.Cable;
using MathNet.Numerics.LinearAlgebra;
using NUnit.Framework;

namespace BioSim.Tests.Engine.Cable;

[TestFixture, Category("Unit")]
public sealed class CableTreeTests
{
    /// <summary>Measured worst |ΔV|/(1 + |V|) against the dense solve: 6.6e-14 (n = 2), at most 1.2e-15 otherwise (AVX2
    /// machine); 1e-12 is 15 times the worst.</summary>
    private const double Tolerance = 1e-12;

    /// <summary>
    /// Reference: one step assembled as a dense linear system and solved by MathNet's LU,
    /// (c_j C + A + G) ΔV = −A V − I with c_j = 1/dt (backward Euler, V += ΔV) or 2/dt (Crank-Nicolson, V += 2ΔV),
    /// where A is the axial conductance matrix (A_ii = Σ g, A_ij = −g on every edge) and G the membrane conductance.
    /// Random trees of 1 to 300 nodes with zero-capacitance nodes (as NEURON's section ends), stepped as one cell and
    /// as blocks of three cells side by side; the tree step hangs the tree from its centre, so this checks that the
    /// re-rooted elimination solves the original system. Agreement to round-off (<see cref="Tolerance"/>).
    /// </summary>
    [TestCase(CableMethod.BackwardEuler)]
    [TestCase(CableMethod.CrankNicolson)]
    public void OneStepMatchesADenseSolve(CableMethod method)
    {
        var random = new Random(11);
        const double dt = 0.025;
        foreach (int n in new[] { 1, 2, 5, 40, 300 })
        {
            var parent = new int[n];
            var capacitance = new double[n];
            var axial = new double[n];
            parent[0] = -1;
            for (int i = 0; i < n; i++)
            {
                // Long chains with occasional branches, like a discretised dendrite.
                if (i > 0) parent[i] = random.NextDouble() < 0.85 ? i - 1 : random.Next(i);
                capacitance[i] = random.NextDouble() < 0.2 ? 0 : 0.001 + 0.01 * random.NextDouble();
                axial[i] = i == 0 ? 0 : 0.05 + random.NextDouble();
            }
            var tree = new CableTree(parent, capacitance, axial);
            const int cells = 3;
            var v = new double[cells * n];
            var g = new double[cells * n];
            var current = new double[cells * n];
            for (int k = 0; k < v.Length; k++)
            {
                v[k] = -70 + 30 * random.NextDouble();
                g[k] = 0.001 * random.NextDouble();
                current[k] = random.NextDouble() - 0.5;
            }
            var expected = new double[cells * n];
            for (int c = 0; c < cells; c++)
            {
                var dense = Matrix<double>.Build.Dense(n, n);
                var rhs = Vector<double>.Build.Dense(n);
                double cj = method == CableMethod.CrankNicolson ? 2 / dt : 1 / dt;
                for (int i = 0; i < n; i++)
                {
                    dense[i, i] += cj * capacitance[i] + g[c * n + i];
                    rhs[i] -= current[c * n + i];
                }
                for (int i = 1; i < n; i++)
                {
                    int p = parent[i];
                    dense[i, i] += axial[i];
                    dense[p, p] += axial[i];
                    dense[i, p] -= axial[i];
                    dense[p, i] -= axial[i];
                    double flux = axial[i] * (v[c * n + p] - v[c * n + i]);
                    rhs[i] += flux;
                    rhs[p] -= flux;
                }
                var dv = dense.Solve(rhs);
                for (int i = 0; i < n; i++) expected[c * n + i] = v[c * n + i] + (method == CableMethod.CrankNicolson ? 2 : 1) * dv[i];
            }
            var single = new double[n];
            v.AsSpan(0, n).CopyTo(single);
            var gSingle = g[..n];
            var currentSingle = current[..n];
            tree.Step(single, gSingle, currentSingle, dt, method);
            tree.Step(v, g, current, cells, dt, method);
            double worst = 0;
            for (int k = 0; k < v.Length; k++)
            {
                worst = Math.Max(worst, Math.Abs(v[k] - expected[k]) / (1 + Math.Abs(expected[k])));
                Assert.That(v[k], Is.EqualTo(expected[k]).Within(Tolerance * (1 + Math.Abs(expected[k]))), $"n = {n}, cell {k / n}, node {k % n}");
            }
            TestContext.Out.WriteLine($"{method}, n = {n}: worst |ΔV|/(1 + |V|) against the dense solve {worst:E2}");
            // A block of cells does exactly the arithmetic of one cell.
            for (int i = 0; i < n; i++) Assert.That(v[i], Is.EqualTo(single[i]), $"n = {n}, node {i}: block and single step differ");
        }
    }

    /// <summary>
    /// The benchmark cell's shape: a soma (node 0), a 103-node apical chain and four 27-node basal chains. Hung from
    /// the soma its height is 103; the longest path (apical tip to a basal tip) has 130 edges, so from its middle the
    /// height is 65, the smallest any root can give.
    /// </summary>
    [Test]
    public void HangsTheTreeFromItsCentre()
    {
        var parent = new List<int> { -1 };
        void Chain(int length)
        {
            parent.Add(0);
            for (int k = 1; k < length; k++) parent.Add(parent.Count - 1);
        }
        Chain(103);
        for (int b = 0; b < 4; b++) Chain(27);
        int n = parent.Count;
        var tree = new CableTree([.. parent], Enumerable.Repeat(0.01, n).ToArray(), Enumerable.Repeat(1.0, n).ToArray());
        Assert.That(tree.Height, Is.EqualTo(65));
        Assert.That(tree.EliminationRoot, Is.InRange(1, 103), "the centre lies on the apical chain");
    }
}
