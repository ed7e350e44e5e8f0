using BioSim.Engine.Numerics;
using BioSim.Engine.Plugins;
using BioSim.Engine.Random;
using BioSim.Plasticity;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;
using BioSim.Tests.IO;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity;

[TestFixture, Category("Unit")]
public sealed class GaitPropTests
{
    private static readonly LeakyRelu Leaky = new(0.1);

    private static Network Square(int width, int layers, Activation? output = null, bool bias = true, ulong seed = 3)
    {
        var specs = Enumerable.Range(0, layers).Select(l => new LayerSpec(width, l == layers - 1 ? output ?? Leaky : Leaky, bias)).ToArray();
        var net = new Network(width, specs, new ManagedMatrixProduct());
        net.Initialise(seed);
        return net;
    }

    private static double[] Gaussian(int count, ulong seed, string purpose)
    {
        var rng = new RandomStream(seed, "test", purpose);
        var x = new double[count];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextGaussian();
        return x;
    }

    [Test]
    public void NonSquareOrNonInvertibleLayersAreRejectedWithTheLayerAndTheFix()
    {
        var product = new ManagedMatrixProduct();
        var hidden = new Network(6, [new LayerSpec(6, Leaky), new LayerSpec(5, Leaky), new LayerSpec(5, Leaky)], product);
        var ex = Assert.Throws<ArgumentException>(() => new GaitProp().Prepare(hidden, 1));
        Assert.That(ex!.Message, Does.Contain("layer 2 (6 → 5)").And.Contain("square").And.Contain("6 wide"));

        var output = new Network(6, [new LayerSpec(6, Leaky), new LayerSpec(2, Leaky)], product);
        ex = Assert.Throws<ArgumentException>(() => new GaitProp().Prepare(output, 1));
        Assert.That(ex!.Message, Does.Contain("layer 2 (6 → 2)").And.Contain("MeanSquaredError(taskOutputs: 2)"));

        var tanh = new Network(6, [new LayerSpec(6, Leaky), new LayerSpec(6, new Tanh())], product);
        ex = Assert.Throws<ArgumentException>(() => new GaitProp().Prepare(tanh, 1));
        Assert.That(ex!.Message, Does.Contain("layer 2 (6 → 6)").And.Contain("'tanh'").And.Contain("leaky-relu:0.1"));

        var singular = Square(4, 2);
        singular.Layers[1].Weights.AsSpan(0, 4).Clear(); // a zero row
        var ex2 = Assert.Throws<InvalidOperationException>(() => new GaitProp().Prepare(singular, 1));
        Assert.That(ex2!.Message, Does.Contain("layer 2 (4 → 4)").And.Contain("singular"));

        Assert.Throws<ArgumentOutOfRangeException>(() => new GaitProp { Gamma = 0 }.Prepare(Square(4, 2), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GaitProp { Orthogonality = -1 }.Prepare(Square(4, 2), 1));
    }

    [Test]
    public void LeakyReluSlopeIsPartOfItsName()
    {
        var catalogue = new ServiceCollection().AddPlasticity().BuildServiceProvider().GetRequiredService<Catalogue>();
        var f = (LeakyRelu)catalogue.CreateActivation("leaky-relu:0.1");
        Assert.That(f.Slope, Is.EqualTo(0.1));
        Assert.That(f.Name, Is.EqualTo("leaky-relu:0.1"));
        Assert.That(catalogue.CreateActivation("leaky-relu").Name, Is.EqualTo("leaky-relu"));
        var ex = Assert.Throws<ArgumentException>(() => catalogue.CreateActivation("leaky-relu:-2"));
        Assert.That(ex!.Message, Does.Contain("'-2'").And.Contain("positive"));
    }

    /// <summary>
    /// Reference: the equations of Ahmad, van Gerven &amp; Ambrogioni (2020) as the official code states them
    /// (inv_net.py, get_gait_updates), written as plain loops per sample with their own forward pass, their
    /// own Gauss-Jordan inverse and the literal target t_{l−1} = W⁻¹(f⁻¹((1−k)y_l + k t_l) − b), error
    /// y_{l−1} − t_{l−1} (the rule computes the same difference without forming t); the orthogonality
    /// gradient is the derivative of λ Σ_{i≠j} (Σ_o W_oi W_oj)² written out element by element.
    /// A random (non-orthogonal) 3-layer net of width 6 with biases, a leaky output, 2 task units and 4
    /// auxiliary ones; γ = 0.3 keeps the literal form's cancellation (|e_l| ∝ γ^{L−l}) small, so the two
    /// agree to rounding: tolerance 1e-12 relative to the largest update.
    /// </summary>
    [Test]
    public void MatchesANaiveLoopReimplementationOfThePaper([Values(0.0, 0.05)] double lambda)
    {
        const int B = 5, n = 6, L = 3, k = 2;
        const double gamma = 0.3;
        var net = Square(n, L);
        var x = Gaussian(B * n, 4, "x");
        var y = Gaussian(B * k, 4, "y");
        var loss = new MeanSquaredError(taskOutputs: k);
        var tape = net.CreateTape(B);
        net.Forward(x, B, tape);
        loss.Evaluate(net, tape, y);
        var rule = new GaitProp { Gamma = gamma, Orthogonality = lambda };
        rule.Prepare(net, 1);
        var g = new ParameterGradients(net);
        rule.ComputeUpdates(net, tape, g);

        var (gw, gb) = Naive(net, x, y, B, k, gamma, lambda);
        for (int l = 0; l < L; l++)
        {
            double scale = gw[l].Max(Math.Abs);
            Assert.That(scale, Is.GreaterThan(1e-3), "the update is not trivially zero");
            Assert.That(g.Weights[l], Is.EqualTo(gw[l]).Within(1e-12 * scale), $"ΔW of {net.Layers[l].Name}");
            Assert.That(g.Bias[l], Is.EqualTo(gb[l]).Within(1e-12 * scale), $"Δb of {net.Layers[l].Name}");
        }
    }

    private static (double[][] W, double[][] B) Naive(Network net, double[] x, double[] y, int batch, int k, double gamma, double lambda)
    {
        int L = net.Layers.Count, n = net.InputSize;
        var w = net.Layers.Select(l => l.Weights).ToArray();
        var b = net.Layers.Select(l => l.Bias!).ToArray();
        var slope = net.Layers.Select(l => ((LeakyRelu)l.Activation).Slope).ToArray();
        var inv = w.Select(m => GaussJordan(m, n)).ToArray();
        var gw = new double[L][];
        var gb = new double[L][];
        for (int l = 0; l < L; l++) { gw[l] = new double[n * n]; gb[l] = new double[n]; }
        for (int s = 0; s < batch; s++)
        {
            // forward: a_l = W_l y_{l−1} + b_l, y_l = f(a_l)
            var a = new double[L + 1][];
            var h = new double[L + 1][];
            h[0] = new double[n];
            for (int i = 0; i < n; i++) h[0][i] = x[s * n + i];
            for (int l = 1; l <= L; l++)
            {
                a[l] = new double[n];
                h[l] = new double[n];
                for (int o = 0; o < n; o++)
                {
                    double sum = b[l - 1][o];
                    for (int i = 0; i < n; i++) sum += w[l - 1][o * n + i] * h[l - 1][i];
                    a[l][o] = sum;
                    h[l][o] = sum > 0 ? sum : slope[l - 1] * sum;
                }
            }
            // output target: the labels on the task units, the unit's own activity on the auxiliary ones
            var t = new double[n];
            for (int o = 0; o < n; o++) t[o] = o < k ? y[s * k + o] : h[L][o];
            double mult = 1.0;
            for (int l = L; l >= 1; l--)
            {
                var fp = new double[n];
                for (int o = 0; o < n; o++) fp[o] = a[l][o] > 0 ? 1.0 : slope[l - 1];
                for (int o = 0; o < n; o++)
                {
                    double delta = mult * (h[l][o] - t[o]) * fp[o] / batch;
                    gb[l - 1][o] += delta;
                    for (int i = 0; i < n; i++) gw[l - 1][o * n + i] += delta * h[l - 1][i];
                }
                if (l == 1) break;
                // t_{l−1} = W_l⁻¹ (f⁻¹((1 − k) y_l + k t_l) − b_l), k = γ f′(a_l)²
                var pre = new double[n];
                for (int o = 0; o < n; o++)
                {
                    double kk = gamma * fp[o] * fp[o];
                    double u = (1 - kk) * h[l][o] + kk * t[o];
                    pre[o] = (u > 0 ? u : u / slope[l - 1]) - b[l - 1][o];
                }
                var below = new double[n];
                for (int i = 0; i < n; i++)
                {
                    double sum = 0;
                    for (int o = 0; o < n; o++) sum += inv[l - 1][i * n + o] * pre[o];
                    below[i] = sum;
                }
                t = below;
                mult /= gamma;
            }
        }
        if (lambda > 0)
        {
            // ∂/∂W_pq of λ Σ_{i≠j} G_ij², G_ij = Σ_o W_oi W_oj: 2λ Σ_{i≠j} G_ij (δ_iq W_pj + δ_jq W_pi) = 4λ Σ_{j≠q} G_qj W_pj
            for (int l = 0; l < L; l++)
            {
                for (int p = 0; p < n; p++)
                {
                    for (int q = 0; q < n; q++)
                    {
                        double sum = 0;
                        for (int j = 0; j < n; j++)
                        {
                            if (j == q) continue;
                            double gqj = 0;
                            for (int o = 0; o < n; o++) gqj += w[l][o * n + q] * w[l][o * n + j];
                            sum += gqj * w[l][p * n + j];
                        }
                        gw[l][p * n + q] += 4 * lambda * sum;
                    }
                }
            }
        }
        return (gw, gb);
    }

    /// <summary>Textbook Gauss-Jordan elimination with partial pivoting on [A | I].</summary>
    private static double[] GaussJordan(double[] a, int n)
    {
        var m = new double[n, 2 * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) m[i, j] = a[i * n + j];
            m[i, n + i] = 1;
        }
        for (int c = 0; c < n; c++)
        {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(m[r, c]) > Math.Abs(m[p, c])) p = r;
            for (int j = 0; j < 2 * n; j++) (m[c, j], m[p, j]) = (m[p, j], m[c, j]);
            double pivot = m[c, c];
            for (int j = 0; j < 2 * n; j++) m[c, j] /= pivot;
            for (int r = 0; r < n; r++)
            {
                if (r == c) continue;
                double f = m[r, c];
                for (int j = 0; j < 2 * n; j++) m[r, j] -= f * m[c, j];
            }
        }
        var inv = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) inv[i * n + j] = m[i, n + j];
        return inv;
    }

    /// <summary>Targets equal to the outputs (and auxiliary units, whose target is their activity): e = 0, and
    /// every target is the forward activity itself, so every update is exactly zero, even with γ = 1e-3
    /// rescaling the lower layers by γ^{−3}.</summary>
    [Test]
    public void ZeroOutputErrorGivesExactlyZeroUpdates()
    {
        const int B = 4, n = 8, k = 3;
        var net = Square(n, 4);
        var tape = net.CreateTape(B);
        net.Forward(Gaussian(B * n, 2, "x"), B, tape);
        var y = new double[B * k];
        for (int r = 0; r < B; r++) for (int j = 0; j < k; j++) y[r * k + j] = tape.Output[r * n + j];
        new MeanSquaredError(taskOutputs: k).Evaluate(net, tape, y);
        var rule = new GaitProp();
        rule.Prepare(net, 1);
        var g = new ParameterGradients(net);
        for (int l = 0; l < g.Weights.Length; l++) g.Weights[l].AsSpan().Fill(double.NaN);
        rule.ComputeUpdates(net, tape, g);
        for (int l = 0; l < net.Layers.Count; l++)
        {
            Assert.That(g.Weights[l], Is.All.EqualTo(0.0), net.Layers[l].Name);
            Assert.That(g.Bias[l], Is.All.EqualTo(0.0), net.Layers[l].Name);
        }
    }

    /// <summary>
    /// With the output error zero the update is the orthogonality penalty's gradient alone; checked
    /// against central differences of P(W) = λ Σ_{i≠j} (WᵀW)_ij² (step 1e-6, P quartic in W: error
    /// O(h²) ≈ 1e-12 relative; tolerance 1e-7 of the largest entry).
    /// </summary>
    [Test]
    public void OrthogonalityGradientMatchesFiniteDifferences()
    {
        const int B = 2, n = 5;
        const double lambda = 0.07, h = 1e-6;
        var net = Square(n, 2);
        var tape = net.CreateTape(B);
        net.Forward(Gaussian(B * n, 5, "x"), B, tape);
        new MeanSquaredError().Evaluate(net, tape, tape.Output.ToArray());
        var rule = new GaitProp { Orthogonality = lambda };
        rule.Prepare(net, 1);
        var g = new ParameterGradients(net);
        rule.ComputeUpdates(net, tape, g);
        double Penalty(double[] w)
        {
            double p = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    if (i == j) continue;
                    double gij = 0;
                    for (int o = 0; o < n; o++) gij += w[o * n + i] * w[o * n + j];
                    p += gij * gij;
                }
            return lambda * p;
        }
        foreach (var layer in net.Layers)
        {
            var w = layer.Weights;
            var fd = new double[w.Length];
            for (int i = 0; i < w.Length; i++)
            {
                double keep = w[i];
                w[i] = keep + h; double plus = Penalty(w);
                w[i] = keep - h; double minus = Penalty(w);
                w[i] = keep;
                fd[i] = (plus - minus) / (2 * h);
            }
            double scale = fd.Max(Math.Abs);
            Assert.That(scale, Is.GreaterThan(1e-3));
            Assert.That(g.Weights[layer.Index - 1], Is.EqualTo(fd).Within(1e-7 * scale), layer.Name);
        }
    }

    /// <summary>
    /// After training steps through the <see cref="Trainer"/> (which calls <see cref="IUpdateListener.AfterUpdate"/>)
    /// the held inverses belong to the updated weights: ‖W⁻¹W − I‖_max &lt; 1e-10 (condition numbers here
    /// are O(10); rounding is ~1e-15). Both inverse paths (LAPACK via OpenBLAS when present, managed LU)
    /// agree to 1e-12.
    /// </summary>
    [Test]
    public void InversesAreExactAfterTrainingSteps()
    {
        const int n = 12, k = 3;
        var net = Square(n, 3, bias: true, seed: 8);
        var rule = new GaitProp { Gamma = 1e-2, Orthogonality = 0.1 };
        rule.Prepare(net, 1);
        var before = rule.Inverses[2].ToArray();
        var optimiser = new Adam(1e-2, beta2: 0.99, biasCorrection: false);
        optimiser.Prepare(net);
        var trainer = new Trainer(net, rule, optimiser, new MeanSquaredError(taskOutputs: k), 16);
        var data = TeacherStudent.Tanh(n, 8, k, 64, 3);
        trainer.Train(data, null, new TrainingOptions { Epochs = 2, BatchSize = 16, Seed = 1 });
        Assert.That(rule.Inverses[2], Is.Not.EqualTo(before), "the weights moved, so must the inverse");
        var product = new double[n * n];
        for (int l = 1; l < net.Layers.Count; l++)
        {
            var w = net.Layers[l].Weights;
            new ManagedMatrixProduct().Multiply(false, false, n, n, n, 1.0, rule.Inverses[l], w, 0.0, product);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    Assert.That(product[i * n + j], Is.EqualTo(i == j ? 1.0 : 0.0).Within(1e-10), $"(W⁻¹W)[{i},{j}] of {net.Layers[l].Name}");
            var managed = new double[n * n];
            Assert.That(MatrixInverse.TryInvertManaged(w, n, managed, new int[n], new double[MatrixInverse.WorkspaceLength(n)]));
            Assert.That(managed, Is.EqualTo(rule.Inverses[l]).Within(1e-12), $"managed LU and {MatrixInverse.Name} on {net.Layers[l].Name}");
        }
    }

    /// <summary>The initialisation is orthogonal: W Wᵀ = I to rounding (1e-13 at width 50), biases zero.</summary>
    [Test]
    public void OrthogonalInitialisationIsOrthogonal()
    {
        const int n = 50;
        var net = Square(n, 2);
        GaitProp.InitialiseOrthogonal(net, 7);
        var wwt = new double[n * n];
        foreach (var layer in net.Layers)
        {
            new ManagedMatrixProduct().Multiply(false, true, n, n, n, 1.0, layer.Weights, layer.Weights, 0.0, wwt);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) Assert.That(wwt[i * n + j], Is.EqualTo(i == j ? 1.0 : 0.0).Within(1e-13));
            Assert.That(layer.Bias, Is.All.EqualTo(0.0));
        }
    }

    /// <summary>Hot loop: a GAIT-prop training step (updates, optimiser, refreshed inverses) allocates nothing once the buffers exist.</summary>
    [Test]
    public void TrainingStepAllocatesNothing([Values("managed", "openblas")] string kernel)
    {
        IMatrixProduct product = ExternalTools.MatrixProduct(kernel);   // fails naming libopenblas0 when OpenBLAS is missing
        const int n = 9, k = 3, B = 16;
        var net = new Network(n, [new LayerSpec(n, Leaky), new LayerSpec(n, Leaky), new LayerSpec(n, Leaky)], product);
        GaitProp.InitialiseOrthogonal(net, 2);
        var rule = new GaitProp { Orthogonality = 0.1 };
        rule.Prepare(net, 1);
        var opt = new Adam(1e-3, beta2: 0.99, biasCorrection: false);
        opt.Prepare(net);
        var trainer = new Trainer(net, rule, opt, new MeanSquaredError(taskOutputs: k), B);
        var x = Gaussian(B * n, 6, "x");
        var y = new double[B * k];
        for (int r = 0; r < B; r++) y[r * k + r % k] = 1;
        trainer.Step(x, y, B);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int s = 0; s < 10; s++) trainer.Step(x, y, B);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    /// <summary>
    /// The optimiser of the published runs is the official code's Adam without bias correction
    /// (inv_layer.py update_weights: m ← 0.9 m + 0.1 g, v ← 0.99 v + 0.01 g², θ ← θ + η m/(1e-8 + √v) for its
    /// ascent direction −g): <see cref="Adam"/> with β₂ = 0.99 and biasCorrection false, over several steps
    /// with changing gradients, to rounding.
    /// </summary>
    [Test]
    public void AdamWithoutBiasCorrectionIsTheOfficialCodesUpdate()
    {
        double[] gradients = [2.0, -1.0, 0.5, 0.0, 3.0];
        var net = new Network(1, [new LayerSpec(1, new Identity(), Bias: false)], new ManagedMatrixProduct());
        var adam = new Adam(1e-4, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, biasCorrection: false);
        adam.Prepare(net);
        var g = new ParameterGradients(net);
        double theta = 0, m = 0, v = 0;
        foreach (double grad in gradients)
        {
            g.Weights[0][0] = grad;
            adam.Step(net, g);
            double direction = -grad;
            m = (1.0 - 0.9) * direction + 0.9 * m;
            v = (1.0 - 0.99) * direction * direction + 0.99 * v;
            theta += 1e-4 / (1e-8 + Math.Sqrt(v)) * m;
            Assert.That(net.Layers[0].Weights[0], Is.EqualTo(theta).Within(1e-18));
        }
    }

    /// <summary>With auxiliary output units the trainer takes data sets with as many targets as task units, and names the mismatch otherwise.</summary>
    [Test]
    public void TrainerExpectsTargetsForTheTaskUnitsOnly()
    {
        var net = Square(12, 2);
        var rule = new GaitProp();
        rule.Prepare(net, 1);
        var opt = new Adam(1e-3, beta2: 0.99, biasCorrection: false);
        opt.Prepare(net);
        var trainer = new Trainer(net, rule, opt, new MeanSquaredError(taskOutputs: 3), 8);
        var wrong = TeacherStudent.Tanh(12, 4, 12, 16, 1);
        var ex = Assert.Throws<ArgumentException>(() => trainer.Train(wrong, null, new TrainingOptions { BatchSize = 8 }));
        Assert.That(ex!.Message, Does.Contain("12 targets").And.Contain("expects 3").And.Contain("auxiliary"));
        var right = TeacherStudent.Tanh(12, 4, 3, 16, 1);
        var history = trainer.Train(right, right, new TrainingOptions { BatchSize = 8 });
        Assert.That(double.IsFinite(history.Epochs[0].TestLoss), $"test loss {history.Epochs[0].TestLoss}");
    }

    /// <summary>MSE with auxiliary units: loss and δ from the task units only (δ = 0 on the auxiliary ones).</summary>
    [Test]
    public void MeanSquaredErrorIgnoresAuxiliaryUnits()
    {
        var net = Square(4, 1, output: new Identity());
        var tape = net.CreateTape(2);
        net.Forward(Gaussian(8, 9, "x"), 2, tape);
        double[] y = [1.0, -1.0];
        double loss = new MeanSquaredError(taskOutputs: 1).Evaluate(net, tape, y);
        var h = tape.Output;
        double expected = 0.5 * ((h[0] - 1) * (h[0] - 1) + (h[4] + 1) * (h[4] + 1)) / 2;
        Assert.That(loss, Is.EqualTo(expected).Within(1e-15));
        Assert.That(tape.Delta[1][0], Is.EqualTo((h[0] - 1) / 2).Within(1e-15));
        Assert.That(tape.Delta[1].AsSpan(1, 3).ToArray(), Is.All.EqualTo(0.0));
        Assert.That(tape.Delta[1].AsSpan(5, 3).ToArray(), Is.All.EqualTo(0.0));
    }
}
