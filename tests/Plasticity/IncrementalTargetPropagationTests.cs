using BioSim.Engine.Numerics;
using BioSim.Engine.Plugins;
using BioSim.Engine.Random;
using BioSim.Plasticity;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Rules;
using MathNet.Numerics.LinearAlgebra;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity;

/// <summary>
/// ITP, the incremental target propagation baseline of Ahmad, van Gerven &amp; Ambrogioni (2020, NeurIPS, section 3):
/// GAIT-prop with the increment k_l = γ in place of γ f′(a_l)². Checked against a naive per-sample loop written from
/// the equations, and against backprop and GAIT-prop on orthogonal layers with a small γ, where the paper's analysis
/// says ITP hands down e_{l−1} ≈ γ Wᵀ(e_l ⊘ f′(a_l)) instead of backprop's γ Wᵀ(e_l ⊙ f′(a_l)).
/// </summary>
[TestFixture, Category("Unit")]
public sealed class IncrementalTargetPropagationTests
{
    private const int Width = 32, Depth = 4, Batch = 16, Classes = 4;

    private static (Network Net, NetworkTape Tape, double[] X, double[] Y) Forward(Activation f, bool orthogonal, ulong seed, int width = Width, int depth = Depth, int batch = Batch)
    {
        var net = new Network(width, [.. Enumerable.Range(0, depth).Select(_ => new LayerSpec(width, f))], new ManagedMatrixProduct());
        if (orthogonal) GaitProp.InitialiseOrthogonal(net, seed);
        else net.Initialise(seed);
        var rng = new RandomStream(seed, "test", "itp");
        var x = new double[batch * width];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextGaussian();
        if (!orthogonal) foreach (var layer in net.Layers) for (int o = 0; o < width; o++) layer.Bias![o] = 0.1 * rng.NextGaussian();
        var y = new double[batch * Classes];
        for (int r = 0; r < batch; r++) y[r * Classes + (int)rng.NextUInt32(Classes)] = 1.0;
        var tape = net.CreateTape(batch);
        net.Forward(x, batch, tape);
        new MeanSquaredError(taskOutputs: Classes).Evaluate(net, tape, y);
        return (net, tape, x, y);
    }

    private static ParameterGradients Updates(ICreditAssignmentRule rule, Network net, NetworkTape tape)
    {
        rule.Prepare(net, 1);
        var g = new ParameterGradients(net);
        rule.ComputeUpdates(net, tape, g);
        return g;
    }

    private static double Cosine(double[] a, double[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return dot / Math.Sqrt(na * nb);
    }

    [Test]
    public void IsInTheCatalogueWithGaitPropsOptionsAndChecks()
    {
        var catalogue = new ServiceCollection().AddPlasticity().BuildServiceProvider().GetRequiredService<Catalogue>();
        Assert.That(catalogue.CreateRule("itp"), Is.TypeOf<IncrementalTargetPropagation>());
        var ex = Assert.Throws<ArgumentException>(() => new IncrementalTargetPropagation().Prepare(new Network(6, [new LayerSpec(6, new LeakyRelu(0.1)), new LayerSpec(5, new LeakyRelu(0.1))], new ManagedMatrixProduct()), 1));
        Assert.That(ex!.Message, Does.StartWith("itp needs square").And.Contain("layer 2 (6 → 5)"));
        var ex2 = Assert.Throws<ArgumentOutOfRangeException>(() => new IncrementalTargetPropagation { Gamma = 2 }.Prepare(Forward(new LeakyRelu(0.1), true, 1).Net, 1));
        Assert.That(ex2!.Message, Does.StartWith("itp: Gamma"));
    }

    /// <summary>
    /// Reference: the paper's ITP written as plain loops per sample, with its own forward pass and the literal target
    /// t_{l−1} = W_l⁻¹(f⁻¹((1 − γ) y_l + γ t_l) − b_l), error e_{l−1} = y_{l−1} − t_{l−1},
    /// ΔW_l = Σ_samples (e_l ⊙ f′(a_l)) y_{l−1}ᵀ / (B γ^{L−l}), Δb_l likewise, W_l⁻¹ by MathNet's LU (not the rule's
    /// MatrixInverse), plus the orthogonality gradient written out entry by entry. A leaky-ReLU (0.1) network of width 8
    /// with the default (non-orthogonal) weights and random biases, 3 layers, batch 5, 4 task units and 4 auxiliary ones;
    /// γ = 0.3, large enough that the literal y − t subtraction (|e_l| ∝ γ^{L−l}) loses few digits; λ = 0 and 0.05.
    /// Tolerance 1e-10 relative to the largest entry of each layer's update (measured: at most 1.6e-15 in every layer).
    /// </summary>
    [Test]
    public void MatchesANaiveLoopFromTheEquations([Values(0.0, 0.05)] double lambda)
    {
        const int n = 8, L = 3, B = 5;
        const double gamma = 0.3, slope = 0.1;
        var (net, tape, x, y) = Forward(new LeakyRelu(slope), orthogonal: false, 7, n, L, B);
        var g = Updates(new IncrementalTargetPropagation { Gamma = gamma, Orthogonality = lambda }, net, tape);

        var w = net.Layers.Select(l => l.Weights).ToArray();
        var b = net.Layers.Select(l => l.Bias!).ToArray();
        var winv = w.Select(m => Matrix<double>.Build.Dense(n, n, (i, j) => m[i * n + j]).Inverse()).ToArray();
        static double F(double a) => a > 0 ? a : slope * a;
        static double FInv(double u) => u > 0 ? u : u / slope;
        static double FPrime(double a) => a > 0 ? 1 : slope;
        var gw = new double[L][];
        var gb = new double[L][];
        for (int l = 0; l < L; l++) { gw[l] = new double[n * n]; gb[l] = new double[n]; }
        for (int s = 0; s < B; s++)
        {
            var a = new double[L + 1, n];
            var h = new double[L + 1, n];
            for (int i = 0; i < n; i++) h[0, i] = x[s * n + i];
            for (int l = 1; l <= L; l++)
                for (int o = 0; o < n; o++)
                {
                    a[l, o] = b[l - 1][o];
                    for (int i = 0; i < n; i++) a[l, o] += w[l - 1][o * n + i] * h[l - 1, i];
                    h[l, o] = F(a[l, o]);
                }
            var target = new double[n];
            for (int o = 0; o < n; o++) target[o] = o < Classes ? y[s * Classes + o] : h[L, o]; // auxiliary units: own activity
            double rescale = 1.0;
            for (int l = L; l >= 1; l--)
            {
                for (int o = 0; o < n; o++)
                {
                    double delta = rescale * (h[l, o] - target[o]) * FPrime(a[l, o]) / B;
                    gb[l - 1][o] += delta;
                    for (int i = 0; i < n; i++) gw[l - 1][o * n + i] += delta * h[l - 1, i];
                }
                if (l == 1) break;
                var next = new double[n];
                for (int i = 0; i < n; i++)
                    for (int o = 0; o < n; o++)
                        next[i] += winv[l - 1][i, o] * (FInv((1 - gamma) * h[l, o] + gamma * target[o]) - b[l - 1][o]);
                target = next;
                rescale /= gamma;
            }
        }
        for (int l = 0; l < L; l++)
        {
            // λ Σ_{i≠j} (WᵀW)_ij² differentiated entry by entry: 4λ Σ_{j≠q} (WᵀW)_qj W_pj
            for (int p = 0; p < n && lambda > 0; p++)
                for (int q = 0; q < n; q++)
                    for (int j = 0; j < n; j++)
                    {
                        if (j == q) continue;
                        double gram = 0;
                        for (int o = 0; o < n; o++) gram += w[l][o * n + q] * w[l][o * n + j];
                        gw[l][p * n + q] += 4 * lambda * gram * w[l][p * n + j];
                    }
            double scale = gw[l].Max(Math.Abs);
            Assert.That(scale, Is.GreaterThan(1e-3), "the update is not trivially zero");
            TestContext.Out.WriteLine($"λ {lambda}: {net.Layers[l].Name}: max |ΔW − naive| / max |naive| {g.Weights[l].Zip(gw[l], (p, q) => Math.Abs(p - q)).Max() / scale:E2}");
            Assert.That(g.Weights[l], Is.EqualTo(gw[l]).Within(1e-10 * scale), $"ΔW of {net.Layers[l].Name}");
            Assert.That(g.Bias[l], Is.EqualTo(gb[l]).Within(1e-10 * scale), $"Δb of {net.Layers[l].Name}");
        }
        // and it is not GAIT-prop: with f′ ≠ 1 the increments differ, so the lower layers' updates do
        var gait = Updates(new GaitProp { Gamma = gamma, Orthogonality = lambda }, net, tape);
        Assert.That(gait.Weights[0], Is.Not.EqualTo(gw[0]).Within(1e-3 * gw[0].Max(Math.Abs)), "ITP differs from GAIT-prop on leaky-ReLU layers");
    }

    /// <summary>
    /// With the identity activation f′ = 1, so ITP's increment γ is GAIT-prop's γ f′² exactly: the two rules compute the
    /// same bits. And on orthogonal layers both are backprop: for a linear network the target moves are exactly
    /// γ^{L−l} Wᵀ e, so the only difference from backprop's update is rounding amplified by γ^{−(L−1)}
    /// ≈ 1e6 (γ = 1e-2, L = 4; measured relative error, layers 1-4: 8.4e-11, 8.7e-13, 3.5e-15, 0 for seed 1 and 1.2e-10,
    /// 1.3e-12, 3.5e-15, 0 for seed 2); bound 1e-8, cosine &gt; 1 − 1e-12.
    /// </summary>
    [Test]
    public void WithTheIdentityActivationItIsGaitPropAndBackprop([Values(1UL, 2UL)] ulong seed)
    {
        var (net, tape, _, _) = Forward(new Identity(), orthogonal: true, seed);
        var itp = Updates(new IncrementalTargetPropagation { Gamma = 1e-2 }, net, tape);
        var gait = Updates(new GaitProp { Gamma = 1e-2 }, net, tape);
        var bp = Updates(new Backpropagation(), net, tape);
        for (int l = 0; l < Depth; l++)
        {
            Assert.That(itp.Weights[l], Is.EqualTo(gait.Weights[l]), $"ITP = GAIT-prop bit for bit, ΔW of {net.Layers[l].Name}");
            Assert.That(itp.Bias[l], Is.EqualTo(gait.Bias[l]), $"ITP = GAIT-prop bit for bit, Δb of {net.Layers[l].Name}");
            double cos = Cosine(itp.Weights[l], bp.Weights[l]), rel = RelativeError(itp.Weights[l], bp.Weights[l]);
            TestContext.Out.WriteLine($"identity, seed {seed}: {net.Layers[l].Name}: cos(ITP, BP) {cos:R}, relative error {rel:E2}");
            Assert.That(cos, Is.GreaterThan(1 - 1e-12), net.Layers[l].Name);
            Assert.That(rel, Is.LessThan(1e-8), net.Layers[l].Name);
        }
    }

    private static double RelativeError(double[] a, double[] b)
    {
        double diff = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { diff += (a[i] - b[i]) * (a[i] - b[i]); nb += b[i] * b[i]; }
        return Math.Sqrt(diff / nb);
    }

    /// <summary>
    /// The paper's point (section 3): on leaky-ReLU (slope 0.1) layers with orthogonal weights and γ → 0, GAIT-prop's
    /// updates are backprop's in every layer, while ITP's lower layers are misweighted, e_{l−1} ≈ γ Wᵀ(e_l ⊘ f′(a_l)) in
    /// place of γ Wᵀ(e_l ⊙ f′(a_l)), however small γ is. γ = 1e-3, width 32, 4 layers, batch 16, 4 task units.
    /// Measured cosines with backprop's update (layers 1, 2, 3, 4): ITP 0.0012, 0.102, 0.132, 1 (seed 1) and 0.027,
    /// 0.051, 0.323, 1 (seed 2); GAIT-prop 1 − 1.0e-13, 1 − 2e-15, 1, 1 (seed 1) and 1 − 3.7e-13, 1 − 2e-15, 1, 1 (seed 2);
    /// ITP against the first-order prediction: 1 − cos within 2e-15 of 0 in every layer (no target crosses the kink).
    /// Asserted: the output layer's update is backprop's for both (its error is the loss's, cosine 1 to 1e-12);
    /// GAIT-prop's cosine &gt; 1 − 1e-9 in every layer; ITP's cosine in layers 1-3 below 0.9 and below GAIT-prop's by
    /// at least 0.1; and ITP's update matches the first-order prediction above (backprop with f′ replaced by 1/f′ in the
    /// layers above, cosine &gt; 1 − 1e-10), which is the way the paper says it departs.
    /// </summary>
    [Test]
    public void OnLeakyReluLayersItDepartsFromBackpropAsThePaperDescribes([Values(1UL, 2UL)] ulong seed)
    {
        const double slope = 0.1, gamma = 1e-3;
        var (net, tape, _, _) = Forward(new LeakyRelu(slope), orthogonal: true, seed);
        var itp = Updates(new IncrementalTargetPropagation { Gamma = gamma }, net, tape);
        var gait = Updates(new GaitProp { Gamma = gamma }, net, tape);
        var bp = Updates(new Backpropagation(), net, tape);
        var predicted = MisweightedBackprop(net, tape, slope);
        for (int l = 0; l < Depth; l++)
        {
            double cItp = Cosine(itp.Weights[l], bp.Weights[l]), cGait = Cosine(gait.Weights[l], bp.Weights[l]), cPred = Cosine(itp.Weights[l], predicted[l]);
            TestContext.Out.WriteLine($"leaky-relu:0.1, γ {gamma}, seed {seed}: {net.Layers[l].Name}: cos(ITP, BP) {cItp:F4}, cos(GAIT, BP) {cGait:R}, 1 − cos(ITP, predicted) {1 - cPred:E2}");
            Assert.That(cGait, Is.GreaterThan(1 - 1e-9), $"GAIT-prop, {net.Layers[l].Name}");
            Assert.That(cPred, Is.GreaterThan(1 - 1e-10), $"ITP against the first-order prediction, {net.Layers[l].Name}");
            if (l == Depth - 1) Assert.That(cItp, Is.EqualTo(1.0).Within(1e-12), "the output layer's update is backprop's");
            else
            {
                Assert.That(cItp, Is.LessThan(0.9), $"ITP, {net.Layers[l].Name}");
                Assert.That(cItp, Is.LessThan(cGait - 0.1), $"ITP below GAIT-prop, {net.Layers[l].Name}");
            }
        }
    }

    /// <summary>ΔW_l = Σ_rows δ_l y_{l−1}ᵀ with δ_L backprop's and, below, e_{l−1} = Wᵀ(δ_l ⊘ f′(a_l)²), δ_{l−1} = e_{l−1} ⊙ f′(a_{l−1}):
    /// ITP's γ → 0 limit for W⁻¹ = Wᵀ (backprop's recursion is e_{l−1} = Wᵀ δ_l).</summary>
    private static double[][] MisweightedBackprop(Network net, NetworkTape tape, double slope)
    {
        int n = Width, L = Depth;
        var result = new double[L][];
        var delta = tape.Delta[L].AsSpan(0, Batch * n).ToArray();
        for (int l = L; l >= 1; l--)
        {
            var dw = new double[n * n];
            for (int s = 0; s < Batch; s++)
                for (int o = 0; o < n; o++)
                    for (int i = 0; i < n; i++) dw[o * n + i] += delta[s * n + o] * tape.H[l - 1][s * n + i];
            result[l - 1] = dw;
            if (l == 1) break;
            var w = net.Layers[l - 1].Weights;
            var below = new double[Batch * n];
            for (int s = 0; s < Batch; s++)
                for (int i = 0; i < n; i++)
                {
                    double e = 0;
                    for (int o = 0; o < n; o++)
                    {
                        double fp = tape.Z[l][s * n + o] > 0 ? 1 : slope;
                        e += w[o * n + i] * delta[s * n + o] / (fp * fp);
                    }
                    below[s * n + i] = e * (tape.Z[l - 1][s * n + i] > 0 ? 1 : slope);
                }
            delta = below;
        }
        return result;
    }
}
