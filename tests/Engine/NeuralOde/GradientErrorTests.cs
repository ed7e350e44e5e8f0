using BioSim.Engine.NeuralOde;
using BioSim.Engine.Ode;
using BioSim.Plasticity.NeuralOde;
using NUnit.Framework;

namespace BioSim.Tests.Engine.NeuralOde;

/// <summary>Bad input gives errors that say what, where and when.</summary>
[TestFixture, Category("Unit")]
public sealed class GradientErrorTests
{
    private static IEnumerable<TestCaseData> Methods()
    {
        yield return new TestCaseData(new BackpropThroughSolver()).SetArgDisplayNames("backprop");
        yield return new TestCaseData(new CheckpointedBackprop()).SetArgDisplayNames("checkpoint");
        yield return new TestCaseData(new SymplecticAdjoint()).SetArgDisplayNames("symplectic-adjoint");
        yield return new TestCaseData(new ContinuousAdjoint()).SetArgDisplayNames("continuous-adjoint");
    }

    [TestCaseSource(nameof(Methods))]
    public void InitialStateOfTheWrongSizeIsNamed(IGradientMethod method)
    {
        var field = NeuralOdeFixtures.Mlp();
        var problem = NeuralOdeFixtures.Problem(SolverSettings.Fixed(ButcherTableau.RK4, 0.1), dimension: 3);
        var ex = Assert.Throws<ArgumentException>(() => method.Compute(field, problem, new double[field.ParameterCount], default));
        Assert.That(ex!.Message, Does.Contain("InitialState has 3 components").And.Contain("dimension 2"));
    }

    /// <summary>A field that writes a NaN once the state passes a threshold: the fixed-step replay names the step and time.</summary>
    [TestCaseSource(nameof(Methods))]
    public void NonFiniteStateNamesTheStepAndTime(IGradientMethod method)
    {
        var field = new MlpVectorField(2, [4]);
        field.Parameters.Clear();
        field.Parameters[field.BiasOffset(1)] = double.PositiveInfinity;
        var problem = NeuralOdeFixtures.Problem(SolverSettings.Fixed(ButcherTableau.Heun, 0.1));
        var ex = Assert.Throws<NonFiniteStateException>(() => method.Compute(field, problem, new double[field.ParameterCount], default));
        TestContext.Out.WriteLine(ex!.Message);
        Assert.That(ex.Message, Does.Contain("step 0").And.Contain("t = 0").And.Contain("component 0"));
    }

    /// <summary>Observation times must not go back in time; the index and value are named.</summary>
    [Test]
    public void DecreasingObservationTimesAreRejected()
    {
        var field = NeuralOdeFixtures.Mlp();
        var problem = new TrajectoryProblem(0, [0.1, 0.2], [1.0, 0.5], new MeanSquaredError(new double[4], 2, 2), SolverSettings.Fixed(ButcherTableau.RK4, 0.1));
        var ex = Assert.Throws<ArgumentException>(() => new SymplecticAdjoint().Compute(field, problem, new double[field.ParameterCount], default));
        Assert.That(ex!.Message, Does.Contain("ObservationTimes[1] = 0.5"));
    }

    /// <summary>A finite-time blow-up x' = x² (from x0 = 1, singular at t = 1) under adaptive steps: the step size
    /// underflows, and the error says at which time: measured 1 − 1.6e-9, asserted within 1e-7 of the singularity.</summary>
    [Test]
    public void StepSizeUnderflowNamesTheTime()
    {
        var field = new BlowUp();
        var problem = new TrajectoryProblem(0, [1.0], [2.0], new MeanSquaredError([0.0], 1, 1),
            new SolverSettings(ButcherTableau.DormandPrince54, null, new AdaptiveOptions { RelativeTolerance = 1e-8, AbsoluteTolerance = 1e-8, MinStep = 1e-10 }));
        var ex = Assert.Throws(Is.InstanceOf<OdeIntegrationException>(), () => new SymplecticAdjoint().Compute(field, problem, new double[1], default));
        TestContext.Out.WriteLine($"{ex!.Message} (Time = {((OdeIntegrationException)ex).Time:R})");
        Assert.That(((OdeIntegrationException)ex).Time, Is.EqualTo(1.0).Within(1e-7));
        Assert.That(ex.Message, Does.Contain("t = 0.99").Or.Contain("t = 1"));
    }

    /// <summary>
    /// A field whose output has the wrong size: it declares dimension 2 but, once t passes 0.5, writes a third
    /// component (as a field built for the wrong state size would). RK4 with h = 0.1 first evaluates past t = 0.5 in
    /// step 5 (from t = 0.5, stage at t = 0.55): every method reports that step and time, with the field's own error inside.
    /// </summary>
    [TestCaseSource(nameof(Methods))]
    public void FieldWithAnOutputOfTheWrongSizeNamesTheStepAndTime(IGradientMethod method)
    {
        var field = new WrongSizeAfter(0.5);
        var problem = NeuralOdeFixtures.Problem(SolverSettings.Fixed(ButcherTableau.RK4, 0.1));
        var ex = Assert.Throws<VectorFieldException>(() => method.Compute(field, problem, new double[field.ParameterCount], default));
        TestContext.Out.WriteLine(ex!.Message);
        Assert.That(ex.Message, Does.Contain("step 5").And.Contain("t = 0.5").And.Contain("forward"));
        Assert.That(ex.InnerException, Is.InstanceOf<IndexOutOfRangeException>());
        Assert.That(ex.Time, Is.EqualTo(0.5).Within(1e-12));
    }

    /// <summary>The same field under adaptive steps fails while the steps are chosen; the interval is named.</summary>
    [Test]
    public void FieldWithAnOutputOfTheWrongSizeUnderAdaptiveStepsNamesTheInterval()
    {
        var field = new WrongSizeAfter(0.7);
        var problem = NeuralOdeFixtures.Problem(SolverSettings.WithTolerance(ButcherTableau.DormandPrince54, 1e-6));
        var ex = Assert.Throws<VectorFieldException>(() => new SymplecticAdjoint().Compute(field, problem, new double[field.ParameterCount], default));
        TestContext.Out.WriteLine(ex!.Message);
        Assert.That(ex.Message, Does.Contain("between t = 0.5 and t = 1"));
    }

    /// <summary>x' = −θ x (2-D), but writes dxdt[2] for t &gt; <c>limit</c>.</summary>
    private sealed class WrongSizeAfter(double limit) : IParametricVectorField
    {
        private readonly double[] _theta = [1.0];

        public int Dimension => 2;

        public Span<double> Parameters => _theta;

        public int ParameterCount => 1;

        public int TapeLength => 2;

        public void Evaluate(double t, ReadOnlySpan<double> x, Span<double> dxdt, Span<double> tape)
        {
            int size = t > limit ? 3 : 2;
            for (int i = 0; i < size; i++) dxdt[i] = -_theta[0] * x[Math.Min(i, 1)];
            if (!tape.IsEmpty) x.CopyTo(tape);
        }

        public void VectorJacobianProduct(ReadOnlySpan<double> tape, ReadOnlySpan<double> v, Span<double> stateGradient, Span<double> parameterGradient)
        {
            for (int i = 0; i < 2; i++)
            {
                stateGradient[i] = -_theta[0] * v[i];
                parameterGradient[0] -= v[i] * tape[i];
            }
        }
    }

    /// <summary>x' = θ x², one parameter.</summary>
    private sealed class BlowUp : IParametricVectorField
    {
        private readonly double[] _theta = [1.0];

        public int Dimension => 1;

        public Span<double> Parameters => _theta;

        public int ParameterCount => 1;

        public int TapeLength => 1;

        public void Evaluate(double t, ReadOnlySpan<double> x, Span<double> dxdt, Span<double> tape)
        {
            dxdt[0] = _theta[0] * x[0] * x[0];
            if (!tape.IsEmpty) tape[0] = x[0];
        }

        public void VectorJacobianProduct(ReadOnlySpan<double> tape, ReadOnlySpan<double> v, Span<double> stateGradient, Span<double> parameterGradient)
        {
            stateGradient[0] = v[0] * 2 * _theta[0] * tape[0];
            parameterGradient[0] += v[0] * tape[0] * tape[0];
        }
    }
}
