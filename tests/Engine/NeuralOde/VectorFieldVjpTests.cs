using BioSim.Engine.NeuralOde;
using BioSim.Plasticity.Networks;
using NUnit.Framework;

namespace BioSim.Tests.Engine.NeuralOde;

/// <summary>
/// The hand-written vector-Jacobian products against central finite differences of f: for random cotangents v,
/// vᵀ ∂f/∂x and vᵀ ∂f/∂θ component by component. With ε = 1e-6 the truncation error is O(ε²|f'''|) ≈ 1e-12 and
/// the round-off O(1e-16/ε) ≈ 1e-10, so 1e-7 relative leaves ample room while catching any wrong term.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class VectorFieldVjpTests
{
    private static IEnumerable<TestCaseData> Fields()
    {
        yield return new TestCaseData((Func<IParametricVectorField>)(() => NeuralOdeFixtures.Mlp(new Tanh(), timeInput: false))).SetArgDisplayNames("mlp-tanh");
        yield return new TestCaseData((Func<IParametricVectorField>)(() => NeuralOdeFixtures.Mlp(new Softplus(), timeInput: true))).SetArgDisplayNames("mlp-softplus-time");
        yield return new TestCaseData((Func<IParametricVectorField>)(() => NeuralOdeFixtures.Mlp(new Tanh(), timeInput: true))).SetArgDisplayNames("mlp-tanh-time");
        yield return new TestCaseData((Func<IParametricVectorField>)(() => NeuralOdeFixtures.RateCircuit())).SetArgDisplayNames("rate-circuit");
    }

    [TestCaseSource(nameof(Fields))]
    public void VjpMatchesFiniteDifferences(Func<IParametricVectorField> create)
    {
        IParametricVectorField field = create();
        int d = field.Dimension, p = field.ParameterCount;
        var random = new Random(5);
        double t = 0.7;
        double[] x = new double[d], v = new double[d];
        for (int i = 0; i < d; i++)
        {
            x[i] = 2 * random.NextDouble() - 1;
            v[i] = 2 * random.NextDouble() - 1;
        }
        double[] tape = new double[field.TapeLength], f = new double[d];
        field.Evaluate(t, x, f, tape);
        double[] gx = new double[d], gp = new double[p];
        field.VectorJacobianProduct(tape, v, gx, gp);

        const double eps = 1e-6;
        double Directional(Action<double> perturb)
        {
            double[] plus = new double[d], minus = new double[d];
            perturb(eps);
            field.Evaluate(t, x, plus, default);
            perturb(-2 * eps);
            field.Evaluate(t, x, minus, default);
            perturb(eps);
            double sum = 0;
            for (int i = 0; i < d; i++) sum += v[i] * (plus[i] - minus[i]) / (2 * eps);
            return sum;
        }
        double[] fdx = new double[d], fdp = new double[p];
        for (int j = 0; j < d; j++)
        {
            int jj = j;
            fdx[j] = Directional(e => x[jj] += e);
        }
        for (int j = 0; j < p; j++)
        {
            int jj = j;
            fdp[j] = Directional(e => field.Parameters[jj] += e);
        }
        double ex = NeuralOdeFixtures.RelativeError(gx, fdx), ep = NeuralOdeFixtures.RelativeError(gp, fdp);
        TestContext.Out.WriteLine($"relative error vs FD: state {ex:E2}, parameters {ep:E2} ({p} parameters)");
        Assert.That(ex, Is.LessThan(1e-7));
        Assert.That(ep, Is.LessThan(1e-7));
    }

    /// <summary>VJPs accumulate into the parameter gradient and overwrite the state gradient.</summary>
    [Test]
    public void VjpAccumulatesParameterGradient()
    {
        var field = NeuralOdeFixtures.Mlp();
        double[] x = [0.3, -0.2], v = [1.0, -0.5], f = new double[2], tape = new double[field.TapeLength];
        field.Evaluate(0.1, x, f, tape);
        double[] once = new double[field.ParameterCount], twice = new double[field.ParameterCount], gx = [9.0, 9.0];
        field.VectorJacobianProduct(tape, v, gx, once);
        field.VectorJacobianProduct(tape, v, gx, twice);
        field.VectorJacobianProduct(tape, v, gx, twice);
        for (int i = 0; i < once.Length; i++) Assert.That(twice[i], Is.EqualTo(2 * once[i]).Within(1e-15).Percent);
        Assert.That(gx[0], Is.Not.EqualTo(9.0 + 0));
    }

    [Test]
    public void WrongSizedBuffersAreRejectedWithTheirSizes()
    {
        var field = NeuralOdeFixtures.RateCircuit();
        var ex = Assert.Throws<ArgumentException>(() => field.Evaluate(0, new double[3], new double[2], default));
        Assert.That(ex!.Message, Does.Contain("2 components").And.Contain("dimension 3"));
        Assert.Throws<ArgumentException>(() => field.Evaluate(0, new double[3], new double[3], new double[1]));
    }
}
