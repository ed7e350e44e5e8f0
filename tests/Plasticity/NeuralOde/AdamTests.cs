using BioSim.Engine.NeuralOde;
using BioSim.Engine.Ode;
using BioSim.Plasticity.NeuralOde;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Training;
using BioSim.Tests.Engine.NeuralOde;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity.NeuralOde;

/// <summary>The one Adam on a flat parameter vector (as a neural-ODE fit uses it) against its definition (Kingma and Ba 2015, Algorithm 1).</summary>
[TestFixture, Category("Unit")]
public sealed class AdamTests
{
    /// <summary>With bias correction the first step is −α g/(|g| + ε) ≈ −α sign(g), whatever |g|.</summary>
    [Test]
    public void FirstStepMovesEachParameterByTheLearningRate()
    {
        var adam = new Adam(0.1);
        adam.Prepare(3);
        double[] p = [1.0, 2.0, 3.0];
        adam.Step(p, [5.0, -1e-3, 0.0]);
        Assert.That(p[0], Is.EqualTo(0.9).Within(1e-9));
        Assert.That(p[1], Is.EqualTo(2.1).Within(1e-5));
        Assert.That(p[2], Is.EqualTo(3.0));
    }

    /// <summary>A hand-rolled loop of the algorithm over a sequence of gradients gives the same parameters.</summary>
    [Test]
    public void MatchesALoopOverTheAlgorithm()
    {
        var adam = new Adam(0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6);
        adam.Prepare(1);
        double[] p = [0.5];
        double q = 0.5, m = 0, v = 0;
        for (int k = 1; k <= 20; k++)
        {
            double g = Math.Sin(k) + 0.1 * q;
            adam.Step(p, [Math.Sin(k) + 0.1 * p[0]]);
            m = 0.8 * m + 0.2 * g;
            v = 0.99 * v + 0.01 * g * g;
            q -= 0.01 * (m / (1 - Math.Pow(0.8, k))) / (Math.Sqrt(v / (1 - Math.Pow(0.99, k))) + 1e-6);
        }
        Assert.That(p[0], Is.EqualTo(q).Within(1e-14));
    }

    [Test]
    public void InvalidSettingsAreNamed()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(0.1, beta2: 1.0));
        Assert.That(ex!.Message, Does.Contain("beta2"));
    }
}

/// <summary>A fit on the one training loop is deterministic: the same seed gives the same parameters bit for bit.</summary>
[TestFixture, Category("Unit")]
public sealed class TrajectoryFitProblemTests
{
    [Test]
    public void SameSeedGivesTheSameParameters()
    {
        double[] Train()
        {
            var field = NeuralOdeFixtures.Mlp();
            var problems = Enumerable.Range(0, 5).Select(i => NeuralOdeFixtures.Problem(SolverSettings.Fixed(ButcherTableau.Heun, 0.1)) with { InitialState = [0.1 * i, -0.2] }).ToList();
            var problem = new TrajectoryFitProblem(field, new SymplecticAdjoint(), problems, new Adam(0.01));
            var history = TrainingLoop.Run(problem, new TrainingOptions { Epochs = 4, BatchSize = 2, Seed = 9, MaxSteps = 10, Evaluate = false });
            Assert.That(history.BatchLosses, Has.Count.EqualTo(10));
            Assert.That(history.BatchLosses[^1], Is.LessThan(history.BatchLosses[0]));
            return field.Parameters.ToArray();
        }
        Assert.That(Train(), Is.EqualTo(Train()));
    }

    /// <summary>The geometric decay goes from the base rate at the first step to base · r at the last.</summary>
    [Test]
    public void GeometricDecayRunsFromTheFirstToTheFinalRate()
    {
        var schedule = new GeometricRateDecay(0.01);
        Assert.That(schedule.Factor(1, 0, 101), Is.EqualTo(1.0));
        Assert.That(schedule.Factor(1, 50, 101), Is.EqualTo(0.1).Within(1e-15));
        Assert.That(schedule.Factor(3, 100, 101), Is.EqualTo(0.01).Within(1e-15));
    }

    /// <summary>A solution that blows up stops the loop with a divergence that says where, and the curve so far.</summary>
    [Test]
    public void ANonFiniteSolutionIsADivergenceNamingTheWindow()
    {
        var field = new MlpVectorField(2, []);  // linear: x' = W x + b
        field.Parameters.Fill(1000);             // eigenvalue 2000: Euler at h = 0.5 multiplies by ~1000 per step
        var problems = new List<TrajectoryProblem> { NeuralOdeFixtures.Problem(SolverSettings.Fixed(ButcherTableau.Euler, 0.5), duration: 200) };
        var problem = new TrajectoryFitProblem(field, new BackpropThroughSolver(), problems, new Adam(0.01));
        var ex = Assert.Throws<TrainingDivergedException>(() => TrainingLoop.Run(problem, new TrainingOptions { Epochs = 3, BatchSize = 1, Evaluate = false }));
        Assert.That(ex!.Message, Does.Contain("window 0").And.Contain("non-finite"));
        Assert.That(ex.History.BatchLosses, Has.Count.EqualTo(1));
    }
}
