using BioSim.Engine.Numerics;
using BioSim.Engine.Random;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity;

/// <summary>
/// The update alignment <c>biosim compare</c> reports: each layer's raw update under a rule against backprop's gradient on
/// the same probe batch and weights. Expected values come from loops written here from the rules' equations (feedback
/// alignment on a linear 6-5-3 net: ΔW_2 = eᵀh_1 for both, ΔW_1 = (e Bᵀ)ᵀ x against (e W_2)ᵀ x, e = h_2 − y; the loss's
/// constant factor cancels in both the cosine and the relative error), and measuring must leave a run unchanged.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class UpdateAlignmentTests
{
    [Test]
    public void FeedbackAlignmentOnALinearNetMatchesLoopsFromTheEquations()
    {
        const int n = 6, m = 5, k = 3, rows = 12;
        var net = new Network(n, [new LayerSpec(m, new Identity(), Bias: false), new LayerSpec(k, new Identity(), Bias: false)], new ManagedMatrixProduct());
        net.Initialise(5);
        var data = TeacherStudent.Tanh(n, 4, k, 20, 2);
        var fa = new FeedbackAlignment();
        fa.Prepare(net, 7);
        double[] cos = new double[2], rel = new double[2];
        new UpdateAlignment(net, new MeanSquaredError(), data, rows).Measure(fa, cos, rel);

        double[] w1 = net.Layers[0].Weights, w2 = net.Layers[1].Weights, b = fa.FeedbackWeights[0];
        var faUpdate = new double[m * n];
        var bpUpdate = new double[m * n];
        var x = new double[n]; var y = new double[k]; var h1 = new double[m]; var e = new double[k];
        for (int r = 0; r < rows; r++)
        {
            data.Gather([r], x, y);
            for (int j = 0; j < m; j++) { h1[j] = 0; for (int i = 0; i < n; i++) h1[j] += w1[j * n + i] * x[i]; }
            for (int o = 0; o < k; o++) { double h2 = 0; for (int j = 0; j < m; j++) h2 += w2[o * m + j] * h1[j]; e[o] = h2 - y[o]; }
            for (int j = 0; j < m; j++)
            {
                double viaB = 0, viaW = 0;
                for (int o = 0; o < k; o++) { viaB += b[j * k + o] * e[o]; viaW += w2[o * m + j] * e[o]; }
                for (int i = 0; i < n; i++) { faUpdate[j * n + i] += viaB * x[i]; bpUpdate[j * n + i] += viaW * x[i]; }
            }
        }
        double dot = 0, nf = 0, nb = 0, diff = 0;
        for (int i = 0; i < faUpdate.Length; i++)
        {
            dot += faUpdate[i] * bpUpdate[i]; nf += faUpdate[i] * faUpdate[i]; nb += bpUpdate[i] * bpUpdate[i];
            diff += (faUpdate[i] - bpUpdate[i]) * (faUpdate[i] - bpUpdate[i]);
        }
        TestContext.Out.WriteLine($"layer 1: cos {cos[0]:R} (loop {dot / Math.Sqrt(nf * nb):R}), relative error {rel[0]:R} (loop {Math.Sqrt(diff / nb):R})");
        Assert.That(cos[0], Is.EqualTo(dot / Math.Sqrt(nf * nb)).Within(1e-12));
        Assert.That(rel[0], Is.EqualTo(Math.Sqrt(diff / nb)).Within(1e-12));
        Assert.That(Math.Abs(cos[0]), Is.LessThan(0.99), "random feedback is not backprop");
        Assert.That(cos[1], Is.EqualTo(1.0).Within(1e-15), "the output layer's update is backprop's");
        Assert.That(rel[1], Is.Zero);
    }

    [Test]
    public void CompareGivesTheClosedForms()
    {
        double[] a = [1, -2, 3], twice = [2, -4, 6], orthogonal = [2, 1, 0];
        Assert.That(UpdateAlignment.Compare(a, twice), Is.EqualTo((1.0, 0.5)));
        Assert.That(UpdateAlignment.Compare(orthogonal, a).Cosine, Is.Zero);
        Assert.That(UpdateAlignment.Compare(a, new double[3]).Cosine, Is.NaN);
    }

    /// <summary>Correlative infomax changes its own state in ComputeUpdates (backward and lateral weights, step count): measuring
    /// between training steps must leave the run's weights the same bits as never measuring, and give the same numbers twice.</summary>
    [Test]
    public void MeasuringLeavesASettlingRuleUnchanged()
    {
        var data = TeacherStudent.Tanh(8, 5, 3, 40, 4);
        double[][] Train(bool measure)
        {
            var net = new Network(8, [new LayerSpec(6, new UnitClip(), Bias: false), new LayerSpec(3, new UnitClip(), Bias: false)], new ManagedMatrixProduct());
            foreach (var layer in net.Layers) net.Initialise(layer, new UniformDistribution(-0.5, 0.5), 2);
            var rule = new CorrelativeInfomax();
            rule.Prepare(net, 2);
            var sgd = new SgdMomentum(0.5);
            sgd.Prepare(net);
            var trainer = new Trainer(net, rule, sgd, new MeanSquaredError(), 10);
            var probe = new UpdateAlignment(net, new MeanSquaredError(), data, 16);
            double[] c1 = new double[2], r1 = new double[2], c2 = new double[2], r2 = new double[2];
            for (int e = 1; e <= 3; e++)
            {
                if (measure)
                {
                    probe.Measure(rule, c1, r1);
                    probe.Measure(rule, c2, r2);
                    Assert.That((c2, r2), Is.EqualTo((c1, r1)), "measured twice");
                    Assert.That(c1, Has.All.InRange(-1.0, 1.0));
                }
                trainer.Train(data, null, new TrainingOptions { Epochs = e, FirstEpoch = e, BatchSize = 10, Seed = 1 });
            }
            return [.. net.Layers.Select(l => l.Weights), [rule.LastBeta]];
        }
        var plain = Train(false);
        var measured = Train(true);
        for (int i = 0; i < plain.Length; i++) Assert.That(measured[i], Is.EqualTo(plain[i]), $"array {i}");
    }
}
