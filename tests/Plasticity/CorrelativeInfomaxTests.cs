using System.Text.Json;
using BioSim.Engine.Numerics;
using BioSim.Engine.Random;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Rules;
using BioSim.Tests.IO;
using MathNet.Numerics.LinearAlgebra;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity;

/// <summary>
/// Correlative infomax (Bozkurt, Pehlevan &amp; Erdogan 2023) against a per-sample loop reimplementation of the
/// equations of the paper as the authors' code runs them (BariscanBozkurt/Supervised-CorInfoMax,
/// src/ContrastiveModels.py, ContrastiveCorInfoMaxHopfield.run_neural_dynamics_hopfield and batch_step_hopfield),
/// written here without any shared code or matrix product.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class CorrelativeInfomaxTests
{
    private const int Batch = 6;
    private const int Inputs = 5;
    private static readonly LayerSpec[] Layers = [new(7, new UnitClip()), new(6, new UnitClip()), new(4, new UnitClip())];

    private static (Network Net, double[] X, double[] Y) Setup(IMatrixProduct product, bool bias = true)
    {
        var net = new Network(Inputs, [.. Layers.Select(l => l with { Bias = bias })], product);
        // Weights large enough that some units saturate at 0 or 1, so the clip is exercised.
        foreach (var layer in net.Layers) net.Initialise(layer, new UniformDistribution(-1.2, 1.2), 3, new UniformDistribution(-0.3, 0.3));
        var rng = new RandomStream(11, "test", "data");
        var x = new double[Batch * Inputs];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextDouble();
        var y = new double[Batch * 4];
        for (int r = 0; r < Batch; r++) y[r * 4 + (int)rng.NextUInt32(4)] = 1;
        return (net, x, y);
    }

    private static CorrelativeInfomax Rule(double lambda = 0.9) => new()
    {
        Lambda = lambda, // γ = 0.11, so that the lateral terms weigh in the comparison
        ForwardRates = [0.3, 0.22, 0.15],
        FeedbackRates = [0.07, 0.05],
        FreeIterations = 30,
        NudgedIterations = 10,
    };

    private static double Clip(double u) => u < 0 ? 0 : u > 1 ? 1 : u;

    /// <summary>
    /// The neural dynamics of one sample, one layer after another within an iteration (layer l sees the new h_{l−1} and
    /// the old h_l, h_{l+1}), as in the paper's eq. for the hidden and output potentials with the code's scaling:
    /// hidden du = −g u + (W h_{l−1} + b − u)/ε + (ε(2γ B h + g h) + W^b h_{l+1} − u)/ε,
    /// output du = −g u + (W h_{L−1} + b − u)/ε + (γ B h + g h − β(h − y)) − u, step η_k = max(0.07/(1 + 0.01k), 0.001).
    /// </summary>
    private static void NaiveSettle(Network net, double[][] wb, double[][] lateral, double[] x, double[] y, double[][] u, double[][] h, int iterations, double beta, double eps, double g, double gamma)
    {
        int L = net.Layers.Count;
        for (int k = 0; k < iterations; k++)
        {
            double eta = Math.Max(0.07 / (k * 0.01 + 1), 0.001);
            for (int l = 1; l <= L; l++)
            {
                var layer = net.Layers[l - 1];
                double[] below = l == 1 ? x : h[l - 2];
                var du = new double[layer.Outputs];
                for (int i = 0; i < layer.Outputs; i++)
                {
                    double basal = layer.Bias?[i] ?? 0;
                    for (int j = 0; j < layer.Inputs; j++) basal += layer.Weights[i * layer.Inputs + j] * below[j];
                    double lat = 0;
                    for (int j = 0; j < layer.Outputs; j++) lat += lateral[l - 1][i * layer.Outputs + j] * h[l - 1][j];
                    if (l < L)
                    {
                        int above = net.Layers[l].Outputs;
                        double fb = 0;
                        for (int j = 0; j < above; j++) fb += wb[l - 1][i * above + j] * h[l][j];
                        double apical = eps * (2 * gamma * lat + g * h[l - 1][i]) + fb;
                        du[i] = -g * u[l - 1][i] + (basal - u[l - 1][i]) / eps + (apical - u[l - 1][i]) / eps;
                    }
                    else
                    {
                        double apical = gamma * lat + g * h[l - 1][i] - beta * (h[l - 1][i] - y[i]);
                        du[i] = -g * u[l - 1][i] + (basal - u[l - 1][i]) / eps + (apical - u[l - 1][i]);
                    }
                }
                for (int i = 0; i < layer.Outputs; i++)
                {
                    u[l - 1][i] += eta * du[i];
                    h[l - 1][i] = Clip(u[l - 1][i]);
                }
            }
        }
    }

    private sealed record NaiveStep(double[][][] UFree, double[][][] HFree, double[][][] UNudged, double[][][] HNudged,
        double[][] GradW, double[][] GradB, double[][] NewFeedback, double[][] NewLateral);

    /// <summary>
    /// One minibatch of the rule from its equations: both phases per sample, then
    /// ΔW_l = (ρ_l/β) mean_s[e_free h_{l−1,free}ᵀ − e_nudged h_{l−1,nudged}ᵀ] with e_l = h_l − W_l h_{l−1} − b_l (the optimiser
    /// subtracts it), W^b_l −= (ρ^b_l/β) mean_s[e^b_free h_{l,free}ᵀ − e^b_nudged h_{l,nudged}ᵀ] with e^b = h_{l−1} − W^b_l h_l,
    /// B_l = (B_l − γ mean_s[z zᵀ])/λ with z = B_l h_{l,nudged}.
    /// </summary>
    private static NaiveStep Naive(Network net, IReadOnlyList<double[]> wb0, IReadOnlyList<double[]> lateral0, double[] x, double[] y, double beta,
        double[] rates, double[] fbRates, double eps, double g, double lambda, int free, int nudged)
    {
        int L = net.Layers.Count, k = net.OutputSize;
        double gamma = (1 - lambda) / lambda;
        var wb = wb0.Select(a => (double[])a.Clone()).ToArray();
        var lat = lateral0.Select(a => (double[])a.Clone()).ToArray();
        var uf = new double[Batch][][]; var hf = new double[Batch][][]; var un = new double[Batch][][]; var hn = new double[Batch][][];
        for (int s = 0; s < Batch; s++)
        {
            var xs = x.Skip(s * Inputs).Take(Inputs).ToArray();
            var ys = y.Skip(s * k).Take(k).ToArray();
            uf[s] = [.. net.Layers.Select(l => new double[l.Outputs])];
            hf[s] = [.. net.Layers.Select(l => new double[l.Outputs])];
            NaiveSettle(net, wb, lat, xs, ys, uf[s], hf[s], free, 0.0, eps, g, gamma);
            un[s] = [.. hf[s].Select(a => (double[])a.Clone())]; // potentials restart at the free rates
            hn[s] = [.. hf[s].Select(a => (double[])a.Clone())];
            NaiveSettle(net, wb, lat, xs, ys, un[s], hn[s], nudged, beta, eps, g, gamma);
        }
        var gw = new double[L][];
        var gb = new double[L][];
        for (int l = 1; l <= L; l++)
        {
            var layer = net.Layers[l - 1];
            gw[l - 1] = new double[layer.Weights.Length];
            gb[l - 1] = new double[layer.Outputs];
            for (int s = 0; s < Batch; s++)
            {
                double[] xs = x.Skip(s * Inputs).Take(Inputs).ToArray();
                foreach (var (hs, sign) in new[] { (hf[s], 1.0), (hn[s], -1.0) })
                {
                    double[] below = l == 1 ? xs : hs[l - 2];
                    for (int i = 0; i < layer.Outputs; i++)
                    {
                        double pred = layer.Bias?[i] ?? 0;
                        for (int j = 0; j < layer.Inputs; j++) pred += layer.Weights[i * layer.Inputs + j] * below[j];
                        double e = hs[l - 1][i] - pred;
                        gb[l - 1][i] += sign * rates[l - 1] / beta * e / Batch;
                        for (int j = 0; j < layer.Inputs; j++) gw[l - 1][i * layer.Inputs + j] += sign * rates[l - 1] / beta * e * below[j] / Batch;
                    }
                }
            }
        }
        var newWb = wb.Select(a => (double[])a.Clone()).ToArray();
        for (int l = 2; l <= L; l++)
        {
            int rows = net.Layers[l - 2].Outputs, cols = net.Layers[l - 1].Outputs;
            for (int s = 0; s < Batch; s++)
            {
                foreach (var (hs, sign) in new[] { (hf[s], 1.0), (hn[s], -1.0) })
                {
                    for (int i = 0; i < rows; i++)
                    {
                        double pred = 0;
                        for (int j = 0; j < cols; j++) pred += wb[l - 2][i * cols + j] * hs[l - 1][j];
                        double e = hs[l - 2][i] - pred;
                        for (int j = 0; j < cols; j++) newWb[l - 2][i * cols + j] -= sign * fbRates[l - 2] / beta * e * hs[l - 1][j] / Batch;
                    }
                }
            }
        }
        var newLat = new double[L][];
        for (int l = 1; l <= L; l++)
        {
            int n = net.Layers[l - 1].Outputs;
            var mean = new double[n * n];
            for (int s = 0; s < Batch; s++)
            {
                var z = new double[n];
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) z[i] += lat[l - 1][i * n + j] * hn[s][l - 1][j];
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) mean[i * n + j] += z[i] * z[j] / Batch;
            }
            newLat[l - 1] = new double[n * n];
            for (int i = 0; i < n * n; i++) newLat[l - 1][i] = (lat[l - 1][i] - gamma * mean[i]) / lambda;
        }
        return new NaiveStep(uf, hf, un, hn, gw, gb, newWb, newLat);
    }

    private static void AssertLayerRows(IReadOnlyList<double[]> batched, double[][][] perSample, Network net, double tol, string what)
    {
        for (int l = 0; l < net.Layers.Count; l++)
        {
            int n = net.Layers[l].Outputs;
            var expected = new double[Batch * n];
            for (int s = 0; s < Batch; s++) Array.Copy(perSample[s][l], 0, expected, s * n, n);
            Assert.That(batched[l].AsSpan(0, Batch * n).ToArray(), Is.EqualTo(expected).Within(tol), $"{what} of {net.Layers[l].Name}");
        }
    }

    /// <summary>
    /// Two consecutive minibatches (so that the second runs with the lateral and backward weights the first learned, and
    /// both signs of β are likely), with the managed kernel and with OpenBLAS. Tolerance 1e-10: the same sums in another
    /// order over 40 iterations of dynamics whose step has gain ≈ 1 (η(g + 2/ε) ≈ 0.95), on values of order 1.
    /// </summary>
    [TestCase("managed"), TestCase("openblas")]
    public void MatchesTheNaiveLoopReimplementation(string kind)
    {
        IMatrixProduct product = ExternalTools.MatrixProduct(kind);   // fails naming libopenblas0 when OpenBLAS is missing
        var (net, x, y) = Setup(product);
        var rule = Rule();
        rule.Prepare(net, 5);
        var tape = net.CreateTape(Batch);
        var signs = new List<double>();
        for (int step = 0; step < 2; step++)
        {
            net.Forward(x, Batch, tape);
            var wb = rule.FeedbackWeights.Select(a => (double[])a.Clone()).ToArray();
            var lat = rule.LateralWeights.Select(a => (double[])a.Clone()).ToArray();
            rule.SetTargets(y, Batch);
            var grads = new ParameterGradients(net);
            rule.ComputeUpdates(net, tape, grads);
            signs.Add(rule.LastBeta);
            var naive = Naive(net, wb, lat, x, y, rule.LastBeta, [0.3, 0.22, 0.15], [0.07, 0.05], 0.15, 0.3, 0.9, 30, 10);
            AssertLayerRows(rule.FreePotentials, naive.UFree, net, 1e-10, "free potentials");
            AssertLayerRows(rule.FreeRates, naive.HFree, net, 1e-10, "free rates");
            AssertLayerRows(rule.NudgedPotentials, naive.UNudged, net, 1e-10, "nudged potentials");
            AssertLayerRows(rule.NudgedRates, naive.HNudged, net, 1e-10, "nudged rates");
            for (int l = 0; l < net.Layers.Count; l++)
            {
                Assert.That(grads.Weights[l], Is.EqualTo(naive.GradW[l]).Within(1e-10), $"ΔW of {net.Layers[l].Name}");
                Assert.That(grads.Bias[l], Is.EqualTo(naive.GradB[l]).Within(1e-10), $"Δb of {net.Layers[l].Name}");
                Assert.That(rule.LateralWeights[l], Is.EqualTo(naive.NewLateral[l]).Within(1e-10), $"B{l + 1}");
                Assert.That(grads.Weights[l].Max(Math.Abs), Is.GreaterThan(1e-4), $"ΔW of {net.Layers[l].Name} is not trivially small");
            }
            for (int l = 0; l < rule.FeedbackWeights.Count; l++)
            {
                Assert.That(rule.FeedbackWeights[l], Is.EqualTo(naive.NewFeedback[l]).Within(1e-10), $"W^b{l + 2}");
                Assert.That(rule.FeedbackWeights[l].Zip(wb[l], (a, b) => Math.Abs(a - b)).Max(), Is.GreaterThan(1e-6), $"W^b{l + 2} changed");
            }
            // Some units saturate, so the clip is exercised.
            Assert.That(rule.FreeRates[0].AsSpan(0, Batch * 7).ToArray().Any(v => v is 0.0 or 1.0), "some free rates of layer 1 saturate");
            // Apply the update as SGD with rate 1 would, so the second step sees new forward weights.
            for (int l = 0; l < net.Layers.Count; l++)
            {
                for (int i = 0; i < grads.Weights[l].Length; i++) net.Layers[l].Weights[i] -= grads.Weights[l][i];
                for (int i = 0; i < grads.Bias[l]!.Length; i++) net.Layers[l].Bias![i] -= grads.Bias[l]![i];
            }
        }
        Assert.That(signs.All(b => Math.Abs(b) == 1.0), "|β| = 1");
    }

    /// <summary>
    /// Reference: the authors' own code. tests/reference/corinfomax_official.py runs
    /// ContrastiveCorInfoMaxHopfield.batch_step_hopfield of BariscanBozkurt/Supervised-CorInfoMax (commit e5fb839,
    /// PyTorch 1.13, float64) for two minibatches of a 5-7-6-4 network from given weights, β = +1, λ 0.9, and writes the
    /// weights after each step and the nudged rates it returns (tests/data/corinfomax_official.json). Same weights here,
    /// the forward update applied as SGD with rate 1. Tolerance 1e-10: float64 on both sides, sums in another order.
    /// </summary>
    [Test]
    public void MatchesTheAuthorsCode()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(TestPaths.Data("corinfomax_official.json")));
        var root = json.RootElement;
        static double[] Array1(JsonElement e) => [.. e.EnumerateArray().Select(v => v.GetDouble())];
        static double[][] Arrays(JsonElement e) => [.. e.EnumerateArray().Select(Array1)];
        int batch = root.GetProperty("batch").GetInt32();
        var net = new Network(5, [new LayerSpec(7, new UnitClip(), Bias: false), new LayerSpec(6, new UnitClip(), Bias: false), new LayerSpec(4, new UnitClip(), Bias: false)], new ManagedMatrixProduct());
        var w0 = Arrays(root.GetProperty("Wff0"));
        for (int l = 0; l < 3; l++) w0[l].CopyTo(net.Layers[l].Weights, 0);
        var rule = new CorrelativeInfomax
        {
            Lambda = 0.9, Epsilon = 0.15, Leak = 0.3, NeuralRate = 0.07, NeuralRateFloor = 0.001, NeuralRateDecay = 0.01,
            FreeIterations = 30, NudgedIterations = 10, Beta = 1, RandomSignBeta = false,
            ForwardRates = [0.3, 0.22, 0.15], FeedbackRates = [0.07, 0.05],
        };
        rule.Prepare(net, 1);
        var wb0 = Arrays(root.GetProperty("Wfb0"));
        var b0 = Arrays(root.GetProperty("B0"));
        for (int l = 0; l < 2; l++) wb0[l].CopyTo(rule.FeedbackWeights[l], 0);
        for (int l = 0; l < 3; l++) b0[l].CopyTo(rule.LateralWeights[l], 0);
        var tape = net.CreateTape(batch);
        var grads = new ParameterGradients(net);
        foreach (var step in root.GetProperty("steps").EnumerateArray())
        {
            var x = Array1(step.GetProperty("x"));
            var y = new double[batch * 4];
            int r = 0;
            foreach (var label in step.GetProperty("labels").EnumerateArray()) y[r++ * 4 + label.GetInt32()] = 1;
            net.Forward(x, batch, tape);
            rule.SetTargets(y, batch);
            rule.ComputeUpdates(net, tape, grads);
            for (int l = 0; l < 3; l++)
                for (int i = 0; i < grads.Weights[l].Length; i++) net.Layers[l].Weights[i] -= grads.Weights[l][i];
            var rates = Arrays(step.GetProperty("nudged_rates"));
            var wff = Arrays(step.GetProperty("Wff"));
            var wfb = Arrays(step.GetProperty("Wfb"));
            var lat = Arrays(step.GetProperty("B"));
            for (int l = 0; l < 3; l++)
            {
                Assert.That(rule.NudgedRates[l].AsSpan(0, rates[l].Length).ToArray(), Is.EqualTo(rates[l]).Within(1e-10), $"nudged rates of layer {l + 1}");
                Assert.That(net.Layers[l].Weights, Is.EqualTo(wff[l]).Within(1e-10), $"W{l + 1}");
                Assert.That(rule.LateralWeights[l], Is.EqualTo(lat[l]).Within(1e-10), $"B{l + 1}");
            }
            for (int l = 0; l < 2; l++) Assert.That(rule.FeedbackWeights[l], Is.EqualTo(wfb[l]).Within(1e-10), $"W^b{l + 2}");
        }
        Assert.That(net.Layers[0].Weights.Zip(w0[0], (a, b) => Math.Abs(a - b)).Max(), Is.GreaterThan(1e-4), "the weights moved");
    }

    /// <summary>The same without biases (the code's layers have none).</summary>
    [Test]
    public void MatchesTheNaiveLoopReimplementationWithoutBias()
    {
        var (net, x, y) = Setup(new ManagedMatrixProduct(), bias: false);
        var rule = Rule();
        rule.Prepare(net, 8);
        var tape = net.CreateTape(Batch);
        net.Forward(x, Batch, tape);
        var wb = rule.FeedbackWeights.Select(a => (double[])a.Clone()).ToArray();
        var lat = rule.LateralWeights.Select(a => (double[])a.Clone()).ToArray();
        rule.SetTargets(y, Batch);
        var grads = new ParameterGradients(net);
        rule.ComputeUpdates(net, tape, grads);
        var naive = Naive(net, wb, lat, x, y, rule.LastBeta, [0.3, 0.22, 0.15], [0.07, 0.05], 0.15, 0.3, 0.9, 30, 10);
        AssertLayerRows(rule.NudgedRates, naive.HNudged, net, 1e-10, "nudged rates");
        for (int l = 0; l < net.Layers.Count; l++) Assert.That(grads.Weights[l], Is.EqualTo(naive.GradW[l]).Within(1e-10), $"ΔW of {net.Layers[l].Name}");
    }

    /// <summary>
    /// Zero error: with the target equal to the network's own converged free-phase output, the nudge −β(h_L − y) vanishes
    /// at the free equilibrium, so the nudged phase (which starts at the free rates) stays there and the contrastive
    /// updates of W, b and W^b are zero up to the free phase's residual (500 iterations: converged to ~1e-15).
    /// B still learns: its update is unsupervised. The same network with one-hot targets gives updates of order 1e-2.
    /// </summary>
    [Test]
    public void TargetEqualToTheFreeEquilibriumGivesZeroUpdate()
    {
        var (net, x, y) = Setup(new ManagedMatrixProduct());
        var rule = new CorrelativeInfomax { Lambda = 0.9, FreeIterations = 500, NudgedIterations = 10, NeuralRateFloor = 0.02 };
        rule.Prepare(net, 5);
        var tape = net.CreateTape(Batch);
        net.Forward(x, Batch, tape);
        rule.Infer(net, tape);
        var own = tape.Output.ToArray();
        var wb = rule.FeedbackWeights.Select(a => (double[])a.Clone()).ToArray();
        var lat = rule.LateralWeights.Select(a => (double[])a.Clone()).ToArray();
        var grads = new ParameterGradients(net);
        for (int l = 0; l < grads.Weights.Length; l++) grads.Weights[l].AsSpan().Fill(double.NaN); // must be overwritten
        net.Forward(x, Batch, tape);
        rule.SetTargets(own, Batch);
        rule.ComputeUpdates(net, tape, grads);
        for (int l = 0; l < net.Layers.Count; l++)
        {
            Assert.That(grads.Weights[l], Is.All.EqualTo(0.0).Within(1e-12), $"ΔW of {net.Layers[l].Name}");
            Assert.That(grads.Bias[l], Is.All.EqualTo(0.0).Within(1e-12), $"Δb of {net.Layers[l].Name}");
            Assert.That(rule.LateralWeights[l].Zip(lat[l], (a, b) => Math.Abs(a - b)).Max(), Is.GreaterThan(1e-3), $"B{l + 1} still learns");
        }
        for (int l = 0; l < wb.Length; l++) Assert.That(rule.FeedbackWeights[l], Is.EqualTo(wb[l]).Within(1e-12), $"W^b{l + 2}");

        // Against a real error the same rule moves the weights.
        var other = new CorrelativeInfomax { Lambda = 0.9, FreeIterations = 500, NudgedIterations = 10, NeuralRateFloor = 0.02 };
        other.Prepare(net, 5);
        other.SetTargets(y, Batch);
        other.ComputeUpdates(net, tape, grads);
        Assert.That(grads.Weights[^1].Max(Math.Abs), Is.GreaterThan(1e-3), "one-hot targets give a real update");
    }

    /// <summary>
    /// Lateral weights track the inverse correlation. Started from B₀ = ε⁻¹I, the update B ← (B − γ⟨z zᵀ⟩)/λ is the
    /// matrix-inversion-lemma update of B = M⁻¹ for M ← λM + (1 − λ)⟨h hᵀ⟩, M₀ = εI, i.e. M_t = R_t + λᵗεI with
    /// R_t = (1 − λ) Σ_i λ^{t−i} ⟨h_i h_iᵀ⟩, except that the lemma's factor (I + (γ/B) H B Hᵀ)⁻¹ is dropped (as in the
    /// paper's code). Reference: M_t built from the same nudged activities and inverted directly by MathNet (LU).
    /// λ = 0.999 (γ = 1e-3), 3000 minibatches of 6: λᵗ = 0.05, so ε still shows. The dropped factor is second order in
    /// γ per step; measured relative (Frobenius) errors 1.7e-4 (layer 1, 6 units) and 8.8e-5 (layer 2, 3 units), and with
    /// λ = 0.9999 (λᵗ = 0.74) 3.5e-5 and 2.1e-6. Tolerances about 5× the measured values; the reference without the λᵗεI
    /// term is checked to be far off, so the comparison can fail.
    /// </summary>
    [TestCase(0.999, 1e-3)]
    [TestCase(0.9999, 2e-4)]
    public void LateralWeightsTrackTheInverseCorrelation(double lambda, double tolerance)
    {
        const double eps = 0.15;
        const int steps = 3000;
        var net = new Network(4, [new LayerSpec(6, new UnitClip(), Bias: false), new LayerSpec(3, new UnitClip(), Bias: false)], new ManagedMatrixProduct());
        foreach (var layer in net.Layers) net.Initialise(layer, new UniformDistribution(-1, 1), 2);
        var rule = new CorrelativeInfomax { Lambda = lambda, Epsilon = eps, FreeIterations = 10, NudgedIterations = 4 };
        rule.Prepare(net, 3);
        foreach (var b in rule.LateralWeights)
        {
            int n = (int)Math.Sqrt(b.Length);
            Array.Clear(b);
            for (int i = 0; i < n; i++) b[i * n + i] = 1 / eps;
        }
        var sums = net.Layers.Select(l => Matrix<double>.Build.DenseIdentity(l.Outputs) * eps).ToArray();
        var tape = net.CreateTape(Batch);
        var x = new double[Batch * 4];
        var y = new double[Batch * 3];
        var rng = new RandomStream(4, "test", "lateral");
        var grads = new ParameterGradients(net);
        for (int t = 0; t < steps; t++)
        {
            for (int i = 0; i < x.Length; i++) x[i] = rng.NextDouble();
            Array.Clear(y);
            for (int r = 0; r < Batch; r++) y[r * 3 + (int)rng.NextUInt32(3)] = 1;
            net.Forward(x, Batch, tape);
            rule.SetTargets(y, Batch);
            rule.ComputeUpdates(net, tape, grads); // forward weights are left alone: activities stay stationary
            for (int l = 0; l < net.Layers.Count; l++)
            {
                int n = net.Layers[l].Outputs;
                var c = Matrix<double>.Build.Dense(n, n);
                for (int s = 0; s < Batch; s++)
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j < n; j++) c[i, j] += rule.NudgedRates[l][s * n + i] * rule.NudgedRates[l][s * n + j] / Batch;
                sums[l] = lambda * sums[l] + (1 - lambda) * c;
            }
        }
        for (int l = 0; l < net.Layers.Count; l++)
        {
            int n = net.Layers[l].Outputs;
            var expected = sums[l].Inverse();
            var b = Matrix<double>.Build.Dense(n, n, (i, j) => rule.LateralWeights[l][i * n + j]);
            double rel = (b - expected).FrobeniusNorm() / expected.FrobeniusNorm();
            TestContext.Out.WriteLine($"λ {lambda}: layer {l + 1}: ‖B − (R + λᵗεI)⁻¹‖/‖(R + λᵗεI)⁻¹‖ = {rel:E2}");
            Assert.That(rel, Is.LessThan(tolerance), $"B{l + 1}");
            // Without the ε term the reference is far off: the test can tell.
            var withoutEps = (sums[l] - Math.Pow(lambda, steps) * eps * Matrix<double>.Build.DenseIdentity(n)).Inverse();
            Assert.That((b - withoutEps).FrobeniusNorm() / withoutEps.FrobeniusNorm(), Is.GreaterThan(5 * tolerance), $"B{l + 1} differs from R⁻¹");
        }
    }

    [Test]
    public void ComputeUpdatesWithoutTargetsSaysSo()
    {
        var (net, x, _) = Setup(new ManagedMatrixProduct());
        var rule = Rule();
        rule.Prepare(net, 1);
        var tape = net.CreateTape(Batch);
        net.Forward(x, Batch, tape);
        var ex = Assert.Throws<InvalidOperationException>(() => rule.ComputeUpdates(net, tape, new ParameterGradients(net)));
        Assert.That(ex!.Message, Does.Contain("SetTargets"));
    }

    [Test]
    public void InvalidParametersAreRejectedByName()
    {
        var (net, _, _) = Setup(new ManagedMatrixProduct());
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new CorrelativeInfomax { Lambda = 1.0 }.Prepare(net, 1));
        Assert.That(ex!.Message, Does.Contain("Lambda"));
        var rates = Assert.Throws<ArgumentException>(() => new CorrelativeInfomax { ForwardRates = [0.3, 0.22] }.Prepare(net, 1));
        Assert.That(rates!.Message, Does.Contain("ForwardRates").And.Contain("3 layers"));
    }

    /// <summary>The hot loop allocates nothing once the buffers exist (a minibatch of the same size again).</summary>
    [Test]
    public void StepsAllocateNothing()
    {
        var (net, x, y) = Setup(new ManagedMatrixProduct());
        var rule = Rule();
        rule.Prepare(net, 1);
        var tape = net.CreateTape(Batch);
        var grads = new ParameterGradients(net);
        net.Forward(x, Batch, tape);
        rule.SetTargets(y, Batch);
        rule.ComputeUpdates(net, tape, grads);
        long before = GC.GetAllocatedBytesForCurrentThread();
        rule.SetTargets(y, Batch);
        rule.ComputeUpdates(net, tape, grads);
        rule.Infer(net, tape);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }
}
