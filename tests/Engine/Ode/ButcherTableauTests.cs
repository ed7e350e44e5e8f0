using BioSim.Engine.Ode;
using NUnit.Framework;

namespace BioSim.Tests.Engine.Ode;

[TestFixture, Category("Unit")]
public sealed class ButcherTableauTests
{
    private static IEnumerable<ButcherTableau> AllTableaux() => ButcherTableau.All;

    /// <summary>Embedded pairs whose order EmbeddedOrder + 1 has its conditions tabulated here (up to 4); the
    /// convergence tests measure the embedded order of the others.</summary>
    private static IEnumerable<ButcherTableau> EmbeddedPairs() => ButcherTableau.All.Where(t => t.BHat is not null && t.EmbeddedOrder + 1 <= 4);

    private static IEnumerable<ButcherTableau> FsalTableaux() => ButcherTableau.All.Where(t => t.IsFsal);

    /// <summary>Tableaux with their own continuous extension (the others use cubic Hermite).</summary>
    private static IEnumerable<ButcherTableau> DenseTableaux() => ButcherTableau.All.Where(t => t.DenseWeights is not null);

    /// <summary>Consistency c_i = Σ_j a_ij (Hairer, Nørsett and Wanner I, eq. II.1.9), checked independently of the constructor.</summary>
    [TestCaseSource(nameof(AllTableaux))]
    public void RowsOfASumToTheNodes(ButcherTableau tableau)
    {
        Assert.That(tableau.A, Has.Length.EqualTo(tableau.Stages * (tableau.Stages - 1) / 2));
        for (int i = 0; i < tableau.Stages; i++)
        {
            double sum = 0;
            for (int j = 0; j < i; j++) sum += tableau.Aij(i, j);
            Assert.That(sum, Is.EqualTo(tableau.C[i]).Within(1e-14), $"row {i}");
        }
    }

    /// <summary>The order conditions of the rooted trees up to order min(p, 4) (Butcher; HNW I, Table II.2.2):
    /// Σb = 1, b·c = 1/2, b·c² = 1/3, b·Ac = 1/6, b·c³ = 1/4, b·(c∘Ac) = 1/8, b·Ac² = 1/12, b·AAc = 1/24;
    /// the same for b̂ up to the embedded order.</summary>
    [TestCaseSource(nameof(AllTableaux))]
    public void WeightsSatisfyTheOrderConditions(ButcherTableau tableau)
    {
        CheckOrderConditions(tableau, [.. tableau.B], Math.Min(tableau.Order, 4), "b");
        if (tableau.BHat is { } bHat) CheckOrderConditions(tableau, [.. bHat], Math.Min(tableau.EmbeddedOrder!.Value, 4), "b̂");
    }

    /// <summary>An embedded weight vector must not satisfy the conditions of the propagated order, or the
    /// error estimate would vanish: check that some condition of order EmbeddedOrder + 1 fails for b̂.</summary>
    [TestCaseSource(nameof(EmbeddedPairs))]
    public void EmbeddedWeightsAreOfLowerOrder(ButcherTableau tableau)
    {
        var bHat = tableau.BHat!.Value;
        int q = tableau.EmbeddedOrder!.Value;
        Assert.That(q, Is.LessThan(tableau.Order));
        var residuals = Conditions(tableau, [.. bHat]).Where(r => r.Order == q + 1).Select(r => Math.Abs(r.Residual));
        Assert.That(residuals.Max(), Is.GreaterThan(1e-6));
    }

    [TestCaseSource(nameof(FsalTableaux))]
    public void FsalTableauxEndWithTheWeights(ButcherTableau tableau)
    {
        int s = tableau.Stages;
        Assert.That(tableau.C[s - 1], Is.EqualTo(1.0));
        for (int j = 0; j < s - 1; j++) Assert.That(tableau.Aij(s - 1, j), Is.EqualTo(tableau.B[j]));
    }

    /// <summary>The continuous extension must end at the step's solution: Σ_m P[j,m] = b_j.</summary>
    [TestCaseSource(nameof(DenseTableaux))]
    public void DenseWeightsEndAtTheWeights(ButcherTableau tableau)
    {
        var p = tableau.DenseWeights!.Value;
        int d = tableau.DenseDegree;
        for (int j = 0; j < tableau.Stages; j++)
        {
            double sum = 0;
            for (int m = 0; m < d; m++) sum += p[j * d + m];
            Assert.That(sum, Is.EqualTo(tableau.B[j]).Within(1e-14), $"stage {j}");
        }
    }

    [Test]
    public void AllListsEachBuiltInMethodOnce()
    {
        Assert.That(ButcherTableau.All.Select(t => t.Name), Is.EquivalentTo(new[] { "euler", "heun", "rk4", "bs3", "dopri5" }));
    }

    [Test]
    public void InconsistentTableauIsRejectedWithTheRow()
    {
        var ex = Assert.Throws<ArgumentException>(() => _ = new ButcherTableau("bad", 2, null, [0.5], [0.5, 0.5], null, [0.0, 1.0], isFsal: false));
        Assert.That(ex!.Message, Does.Contain("row 1 of A sums to 0.5").And.Contain("c[1] = 1"));
    }

    private static void CheckOrderConditions(ButcherTableau tableau, double[] b, int order, string label)
    {
        foreach (var (conditionOrder, name, residual) in Conditions(tableau, b))
        {
            if (conditionOrder <= order) Assert.That(residual, Is.EqualTo(0).Within(1e-14), $"{label}: {name}");
        }
    }

    private static List<(int Order, string Name, double Residual)> Conditions(ButcherTableau t, double[] b)
    {
        int s = t.Stages;
        double[] c = [.. t.C];
        double[] ac = new double[s], ac2 = new double[s], aac = new double[s];
        for (int i = 0; i < s; i++)
        {
            for (int j = 0; j < i; j++)
            {
                ac[i] += t.Aij(i, j) * c[j];
                ac2[i] += t.Aij(i, j) * c[j] * c[j];
            }
        }
        for (int i = 0; i < s; i++)
        {
            for (int j = 0; j < i; j++) aac[i] += t.Aij(i, j) * ac[j];
        }
        double Sum(Func<int, double> term)
        {
            double sum = 0;
            for (int i = 0; i < s; i++) sum += b[i] * term(i);
            return sum;
        }
        return
        [
            (1, "Σb = 1", Sum(_ => 1) - 1),
            (2, "b·c = 1/2", Sum(i => c[i]) - 0.5),
            (3, "b·c² = 1/3", Sum(i => c[i] * c[i]) - 1.0 / 3),
            (3, "b·Ac = 1/6", Sum(i => ac[i]) - 1.0 / 6),
            (4, "b·c³ = 1/4", Sum(i => c[i] * c[i] * c[i]) - 0.25),
            (4, "b·(c∘Ac) = 1/8", Sum(i => c[i] * ac[i]) - 0.125),
            (4, "b·Ac² = 1/12", Sum(i => ac2[i]) - 1.0 / 12),
            (4, "b·AAc = 1/24", Sum(i => aac[i]) - 1.0 / 24),
        ];
    }
}
