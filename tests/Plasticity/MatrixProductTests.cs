using BioSim.Engine.Numerics;
using BioSim.Engine.Random;
using BioSim.Tests.IO;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity;

[TestFixture, Category("Unit")]
public sealed class MatrixProductTests
{
    public static IEnumerable<TestCaseData> Kernels()
    {
        yield return new TestCaseData("managed512").SetArgDisplayNames("managed Vector512");
        yield return new TestCaseData("managed256").SetArgDisplayNames("managed Vector256");
        yield return new TestCaseData("openblas").SetArgDisplayNames("OpenBLAS");
    }

    private static IMatrixProduct Create(string kernel) => kernel switch
    {
        "managed512" => new ManagedMatrixProduct(512),
        "managed256" => new ManagedMatrixProduct(256),
        "openblas" => ExternalTools.OpenBlas(),   // fails naming libopenblas0 when OpenBLAS is missing
        _ => throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "a kernel of Kernels()"),
    };

    // Sizes include 1, primes, and values just off the vector width (4 or 8 doubles, 8 or 16 floats), the 4-row tile,
    // and k beyond one 256-deep block.
    private static readonly (int M, int N, int K)[] Sizes =
        [(1, 1, 1), (7, 5, 3), (4, 16, 8), (6, 16, 8), (13, 17, 19), (33, 65, 31), (100, 37, 300), (97, 130, 513),
         (65, 1, 3), (3, 1, 65), (67, 1, 300), (65, 33, 1), (1, 67, 1)]; // matrix-vector (n = 1) and rank-one (k = 1), as a neural-ODE field uses them

    private static double[] Random(int length, string purpose)
    {
        var rng = new RandomStream(7, "gemm", purpose);
        var x = new double[length];
        for (int i = 0; i < length; i++) x[i] = 2 * rng.NextDouble() - 1;
        return x;
    }

    /// <summary>The definition: C = α op(A) op(B) + β C, one dot product per element in a triple loop.</summary>
    private static double[] Naive(bool ta, bool tb, int m, int n, int k, double alpha, double[] a, double[] b, double beta, double[] c0)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                c[i * n + j] = alpha * s + (beta == 0 ? 0 : beta * c0[i * n + j]);
            }
        }
        return c;
    }

    /// <summary>Reference: the naive triple loop in double. Tolerance: a k-term sum of products of numbers
    /// in [−1, 1] in a different order differs by at most ~k·ε·max|term|; 1e-13 in double, 1e-4 in float.</summary>
    [TestCaseSource(nameof(Kernels))]
    public void MatchesNaiveTripleLoop(string kernel)
    {
        var product = Create(kernel);
        foreach (var (m, n, k) in Sizes)
        {
            foreach (bool ta in new[] { false, true })
            {
                foreach (bool tb in new[] { false, true })
                {
                    var a = Random(m * k, "a"); var b = Random(k * n, "b"); var c0 = Random(m * n, "c");
                    foreach (var (alpha, beta) in new[] { (1.0, 0.0), (0.7, 1.0), (-1.5, 0.25) })
                    {
                        var expected = Naive(ta, tb, m, n, k, alpha, a, b, beta, c0);
                        var c = (double[])c0.Clone();
                        product.Multiply(ta, tb, m, n, k, alpha, a, b, beta, c);
                        var cf = Array.ConvertAll(c0, x => (float)x);
                        product.Multiply(ta, tb, m, n, k, (float)alpha, Array.ConvertAll(a, x => (float)x), Array.ConvertAll(b, x => (float)x), (float)beta, cf);
                        for (int i = 0; i < m * n; i++)
                        {
                            string where = $"{product.Name}: {m}×{n}×{k}, transA {ta}, transB {tb}, α {alpha}, β {beta}, element {i}";
                            Assert.That(c[i], Is.EqualTo(expected[i]).Within(1e-13 * k), where);
                            Assert.That(cf[i], Is.EqualTo(expected[i]).Within(2e-6 * k), where + " (float)");
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Issue 18: the managed kernel on 2 and 3 threads gives the same bits as on one, in double and float, for every
    /// combination of transposes, at sizes that are not multiples of the tile (4 rows, 2 vectors of columns), of the
    /// 96-row block or of the 256-deep k-block, with β = 0 and β ≠ 0 (the k-blocks after the first add to C). Exact
    /// equality is the claim (each element is summed by one lane in the same order whatever the thread count); the
    /// one-thread result is also checked against the naive triple loop (tolerance as in <see cref="MatchesNaiveTripleLoop"/>),
    /// and <see cref="ManagedMatrixProduct.ThreadedProducts"/> shows that the threaded path ran for every product.
    /// </summary>
    [TestCase(512), TestCase(256)]
    public void ManagedKernelGivesTheSameBitsOnOneTwoAndThreeThreads(int vectorBits)
    {
        (int M, int N, int K)[] sizes = [(64, 64, 64), (97, 130, 513), (200, 67, 300), (33, 257, 65), (32, 256, 784), (257, 33, 31)];
        var one = new ManagedMatrixProduct(vectorBits);
        var teams = new[] { new ManagedMatrixProduct(vectorBits) { Threads = 2 }, new ManagedMatrixProduct(vectorBits) { Threads = 3 } };
        int products = 0;
        foreach (var (m, n, k) in sizes)
        {
            foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
            {
                var a = Random(m * k, "a"); var b = Random(k * n, "b"); var c0 = Random(m * n, "c");
                float[] af = Array.ConvertAll(a, x => (float)x), bf = Array.ConvertAll(b, x => (float)x), c0f = Array.ConvertAll(c0, x => (float)x);
                foreach (var (alpha, beta) in new[] { (1.0, 0.0), (-1.5, 0.25) })
                {
                    string shape = $"{m}×{n}×{k}, transA {ta}, transB {tb}, α {alpha}, β {beta}, Vector{vectorBits}";
                    var expected = (double[])c0.Clone();
                    one.Multiply(ta, tb, m, n, k, alpha, a, b, beta, expected);
                    var expectedF = (float[])c0f.Clone();
                    one.Multiply(ta, tb, m, n, k, (float)alpha, af, bf, (float)beta, expectedF);
                    var naive = Naive(ta, tb, m, n, k, alpha, a, b, beta, c0);
                    for (int i = 0; i < m * n; i++) Assert.That(expected[i], Is.EqualTo(naive[i]).Within(1e-13 * k), shape);
                    foreach (var team in teams)
                    {
                        var c = (double[])c0.Clone();
                        team.Multiply(ta, tb, m, n, k, alpha, a, b, beta, c);
                        var cf = (float[])c0f.Clone();
                        team.Multiply(ta, tb, m, n, k, (float)alpha, af, bf, (float)beta, cf);
                        products += 2;
                        Assert.That(c, Is.EqualTo(expected), $"float64 on {team.Threads} threads: {shape}");
                        Assert.That(cf, Is.EqualTo(expectedF), $"float32 on {team.Threads} threads: {shape}");
                    }
                }
            }
        }
        Assert.That(teams.Sum(t => t.ThreadedProducts), Is.EqualTo(products), "every product of the 2- and 3-thread instances ran on its team");
        Assert.That(one.ThreadedProducts, Is.Zero);
        Assert.That(teams[1].Name, Does.Contain("3 threads"));
    }

    /// <summary>Calls on one threaded instance from several threads at once (as rules trained side by side could make):
    /// one of them runs on the team, the others on their own thread (the team's pack buffers are the instance's), and
    /// every result is the one-thread result bit for bit.</summary>
    [Test]
    public void ConcurrentCallsOnOneThreadedInstanceGiveTheOneThreadResult()
    {
        const int m = 96, n = 100, k = 300;
        var a = Random(m * k, "a"); var b = Random(k * n, "b");
        var expected = new double[m * n];
        new ManagedMatrixProduct().Multiply(false, true, m, n, k, 1.0, a, b, 0.0, expected);
        var shared = new ManagedMatrixProduct { Threads = 2 };
        var results = new double[8][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, r =>
        {
            var c = new double[m * n];
            for (int repeat = 0; repeat < 20; repeat++) shared.Multiply(false, true, m, n, k, 1.0, a, b, 0.0, c);
            results[r] = c;
        });
        foreach (var c in results) Assert.That(c, Is.EqualTo(expected));
        Assert.That(shared.ThreadedProducts, Is.GreaterThan(0));
    }

    /// <summary>BLAS semantics: β = 0 overwrites C, so NaN left in an output buffer does not leak into the result.</summary>
    [TestCaseSource(nameof(Kernels))]
    public void BetaZeroOverwritesNaN(string kernel)
    {
        var product = Create(kernel);
        double[] a = [1, 2, 3, 4], b = [1, 0, 0, 1];
        double[] c = [double.NaN, double.NaN, double.NaN, double.NaN];
        product.Multiply(false, false, 2, 2, 2, 1.0, a, b, 0.0, c);
        Assert.That(c, Is.EqualTo(new double[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void ShapeMismatchIsNamed()
    {
        var product = new ManagedMatrixProduct();
        var ex = Assert.Throws<ArgumentException>(() => product.Multiply(false, false, 3, 3, 3, 1.0, new double[8], new double[9], 0.0, new double[9]));
        Assert.That(ex!.Message, Does.Contain("A has 8 values; op(A) is 3×3"));
    }

    /// <summary>Issue 18 item 5: the choice by OpenBLAS core name is a pure function. Reference: OpenBLAS's pre-AVX2
    /// cores ("Prescott" is what 0.3.21 reports on an AVX-512 Xeon it does not know) lose to the managed kernel on an
    /// AVX2+FMA CPU; its AVX2/AVX-512 cores win (measured, benchmarks/Kernels/TrainingShapesGemmBenchmark).</summary>
    [TestCase("Prescott", true, true)]
    [TestCase("CORE2", true, true)]
    [TestCase("Nehalem", true, true)]
    [TestCase("Prescott", false, false)]
    [TestCase("Haswell", true, false)]
    [TestCase("SkylakeX", true, false)]
    [TestCase("Zen", true, false)]
    [TestCase("Sandybridge", true, false)]
    public void ChoosesManagedExactlyOverPreAvx2OpenBlasCores(string core, bool avx2Fma, bool managed) =>
        Assert.That(MatrixProducts.PrefersManaged(core, avx2Fma), Is.EqualTo(managed));

    /// <summary>BIOSIM_GEMM forces a kernel (case-insensitive); a bad value is one error naming the variable and the allowed values.</summary>
    [Test]
    public void SettingForcesAKernelAndABadValueIsNamed()
    {
        Assert.That(MatrixProducts.Choose("managed"), Is.InstanceOf<ManagedMatrixProduct>());
        Assert.That(MatrixProducts.Choose(" Managed ").Name, Does.Contain("forced by BIOSIM_GEMM=managed"));
        ExternalTools.OpenBlas();   // fails naming libopenblas0 when OpenBLAS is missing
        Assert.That(MatrixProducts.Choose("openblas"), Is.InstanceOf<OpenBlasMatrixProduct>());
        var e = Assert.Throws<InvalidDataException>(() => MatrixProducts.Choose("mkl"))!;
        Assert.That(e.Message, Is.EqualTo("BIOSIM_GEMM='mkl' is not a matrix kernel; use BIOSIM_GEMM=openblas, managed or auto (or leave it unset for auto)."));
    }

    /// <summary>Auto (unset or "auto") follows the core rule on this machine and says why in its name.</summary>
    [TestCase(null)]
    [TestCase("auto")]
    public void AutoFollowsTheCoreRule(string? setting)
    {
        var open = ExternalTools.OpenBlas();   // fails naming libopenblas0 when OpenBLAS is missing
        bool avx2Fma = System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported;
        var chosen = MatrixProducts.Choose(setting);
        Assert.That(chosen is ManagedMatrixProduct, Is.EqualTo(MatrixProducts.PrefersManaged(open.Core, avx2Fma)), chosen.Name);
        Assert.That(chosen.Name, Does.Contain(open.Core).And.Contain("BIOSIM_GEMM=openblas|managed forces one"));
    }
}
