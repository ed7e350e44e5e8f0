using System.Text.Json;
using BioSim.Engine.NeuralOde;
using BioSim.IO.Experiments;
using BioSim.IO.NeuralOde;
using NUnit.Framework;

namespace BioSim.Tests.IO;

/// <summary>The generated fitting data (<see cref="GeneratedData"/>) and the sampled input, against invariants and closed forms.</summary>
[TestFixture, Category("Unit")]
public sealed class GeneratedDataTests
{
    private static FitData Generate(string json) => GeneratedData.Generate("fit.json", JsonDocument.Parse(json).RootElement);

    /// <summary>
    /// Lotka–Volterra conserves V = δ x − γ ln x + β y − α ln y (α = 2/3, β = 4/3, γ = δ = 1). The noise-free states of
    /// every trajectory (Dormand-Prince at rtol 1e-10 over 10 time units) must keep V to 1e-8 relative.
    /// </summary>
    [Test]
    public void LotkaVolterraTruthConservesTheFirstIntegral()
    {
        FitData data = Generate("""{ "generate": "lotka-volterra", "trajectories": 3, "held_out": 1, "samples": 41, "seed": 3 }""");
        Assert.That(data.Train, Has.Count.EqualTo(3));
        Assert.That(data.HeldOut, Has.Count.EqualTo(1));
        foreach (Trace trace in data.Train.Concat(data.HeldOut))
        {
            double[] truth = trace.Truth!;
            double V(int k) => truth[2 * k] - Math.Log(truth[2 * k]) + 4.0 / 3.0 * truth[2 * k + 1] - 2.0 / 3.0 * Math.Log(truth[2 * k + 1]);
            for (int k = 1; k < trace.Times.Length; k++) Assert.That(V(k), Is.EqualTo(V(0)).Within(1e-8 * Math.Abs(V(0))));
        }
    }

    /// <summary>
    /// The spiral's noise-free states are x(t) = e^(−0.1 t) R(t) x0, so |x(t)| = e^(−0.1 t) |x0| (to round-off), and the
    /// noise has the requested standard deviation: 12 × 25 × 2 = 600 residuals at σ = 0.05 give a sample σ within 10 %
    /// (its standard error is σ/√(2·600) ≈ 3 %). The same seed gives the same bits; another seed other data.
    /// </summary>
    [Test]
    public void SpiralFollowsItsClosedFormWithTheRequestedNoise()
    {
        const string Spec = """{ "generate": "spiral", "trajectories": 12, "held_out": 0, "samples": 25, "noise": 0.05, "seed": 2 }""";
        FitData data = Generate(Spec);
        double sum = 0;
        int count = 0;
        foreach (Trace trace in data.Train)
        {
            double r0 = Math.Sqrt(trace.Truth![0] * trace.Truth[0] + trace.Truth[1] * trace.Truth[1]);
            Assert.That(r0, Is.InRange(0.5, 1.5));
            for (int k = 0; k < trace.Times.Length; k++)
            {
                double r = Math.Sqrt(trace.Truth[2 * k] * trace.Truth[2 * k] + trace.Truth[2 * k + 1] * trace.Truth[2 * k + 1]);
                Assert.That(r, Is.EqualTo(Math.Exp(-0.1 * trace.Times[k]) * r0).Within(1e-12));
                for (int i = 0; i < 2; i++)
                {
                    double e = trace.States[2 * k + i] - trace.Truth[2 * k + i];
                    sum += e * e;
                    count++;
                }
            }
        }
        Assert.That(Math.Sqrt(sum / count), Is.EqualTo(0.05).Within(0.005));
        Assert.That(Generate(Spec).Train[3].States, Is.EqualTo(data.Train[3].States));
        Assert.That(Generate(Spec.Replace("\"seed\": 2", "\"seed\": 5", StringComparison.Ordinal)).Train[3].States, Is.Not.EqualTo(data.Train[3].States));
    }

    /// <summary>Unknown systems and fields are named with the JSON path and the allowed values.</summary>
    [TestCase("""{ "generate": "lorenz" }""", "$.data.generate", "spiral, lotka-volterra")]
    [TestCase("""{ "generate": "spiral", "noise": -1 }""", "$.data.noise", "≥ 0")]
    [TestCase("""{ "generate": "spiral", "colour": 1 }""", "$.data.colour", "allowed")]
    public void BadSpecificationsAreNamed(string json, string path, string hint)
    {
        var ex = Assert.Throws<ExperimentException>(() => Generate(json));
        Assert.That(ex!.Message, Does.Contain("fit.json").And.Contain(path).And.Contain(hint));
    }

    /// <summary>Linear interpolation reproduces a linear input exactly between samples and holds the end values outside.</summary>
    [Test]
    public void SampledInputInterpolatesLinearly()
    {
        double[] times = [0.0, 0.5, 2.0, 3.0];
        double[] values = new double[8];
        for (int k = 0; k < 4; k++)
        {
            values[2 * k] = 1 + 2 * times[k];
            values[2 * k + 1] = -times[k];
        }
        var input = new SampledInput(times, values, 2);
        Span<double> u = stackalloc double[2];
        foreach (double t in new[] { 0.0, 0.25, 0.5, 1.3, 2.0, 2.999, 3.0 })
        {
            input.Value(t, u);
            Assert.That(u[0], Is.EqualTo(1 + 2 * t).Within(1e-14));
            Assert.That(u[1], Is.EqualTo(-t).Within(1e-14));
        }
        input.Value(-1, u);
        Assert.That(u[0], Is.EqualTo(1.0));
        input.Value(7, u);
        Assert.That(u[1], Is.EqualTo(-3.0));
        Assert.Throws<ArgumentException>(() => new SampledInput([0.0, 1.0, 1.0], new double[3], 1));
    }
}
