using BioSim.Engine.Cable;
using NUnit.Framework;

namespace BioSim.Tests.Engine.Cable;

[TestFixture, Category("Unit")]
public sealed class HinesSolverTests
{
    /// <summary>Measured worst |Δx|/(1 + |x|) against the dense solve: 2.2e-16 (AVX2 machine); 1e-14 is 45 times that.</summary>
    private const double Tolerance = 1e-14;

    /// <summary>
    /// Reference: the same symmetric system assembled as a dense matrix and solved by Gaussian elimination
    /// with partial pivoting (MathNet's LU). Random trees of 1 to 200 nodes; the matrices are diagonally
    /// dominant, so both solutions agree to round-off (<see cref="Tolerance"/>).
    /// </summary>
    [Test]
    public void MatchesADenseSolveOnRandomTrees()
    {
        var random = new Random(7);
        foreach (int n in new[] { 1, 2, 3, 17, 200 })
        {
            var parent = new int[n];
            var coupling = new double[n];
            var diagonal = new double[n];
            var rhs = new double[n];
            parent[0] = -1;
            for (int i = 1; i < n; i++)
            {
                parent[i] = random.Next(i);
                coupling[i] = 0.1 + random.NextDouble();
            }
            var dense = new double[n, n];
            for (int i = 0; i < n; i++)
            {
                diagonal[i] = 0.5 + random.NextDouble();
                rhs[i] = random.NextDouble() - 0.5;
            }
            for (int i = 1; i < n; i++)
            {
                diagonal[i] += coupling[i];
                diagonal[parent[i]] += coupling[i];
                dense[i, parent[i]] = -coupling[i];
                dense[parent[i], i] = -coupling[i];
            }
            for (int i = 0; i < n; i++) dense[i, i] = diagonal[i];
            var expected = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(dense)
                .Solve(MathNet.Numerics.LinearAlgebra.Vector<double>.Build.DenseOfArray(rhs));
            HinesSolver.Solve(parent, coupling, diagonal, rhs);
            double worst = 0;
            for (int i = 0; i < n; i++)
            {
                worst = Math.Max(worst, Math.Abs(rhs[i] - expected[i]) / (1 + Math.Abs(expected[i])));
                Assert.That(rhs[i], Is.EqualTo(expected[i]).Within(Tolerance * (1 + Math.Abs(expected[i]))), $"n = {n}, node {i}");
            }
            TestContext.Out.WriteLine($"n = {n}: worst |Δx|/(1 + |x|) against the dense solve {worst:E2}");
        }
    }

    [Test]
    public void RejectsTreesWithChildrenBeforeParents()
    {
        Assert.That(HinesSolver.ValidateOrdering([-1, 0, 3, 1]), Does.Contain("node 2 has parent 3"));
        Assert.That(HinesSolver.ValidateOrdering([0]), Does.Contain("root"));
        Assert.That(HinesSolver.ValidateOrdering([-1, 0, 1, 1]), Is.Null);
    }
}
