using BioSim.Engine.NeuralOde;
using NUnit.Framework;

namespace BioSim.Tests.Engine.NeuralOde;

/// <summary>Adam against its definition (Kingma and Ba 2015, Algorithm 1).</summary>
[TestFixture, Category("Unit")]
public sealed class AdamTests
{
    /// <summary>With bias correction the first step is −α g/(|g| + ε) ≈ −α sign(g), whatever |g|.</summary>
    [Test]
    public void FirstStepMovesEachParameterByTheLearningRate()
    {
        var adam = new Adam(3, new AdamOptions { LearningRate = 0.1 });
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
        var options = new AdamOptions { LearningRate = 0.01, Beta1 = 0.8, Beta2 = 0.99, Epsilon = 1e-6 };
        var adam = new Adam(1, options);
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
        var ex = Assert.Throws<ArgumentException>(() => new Adam(2, new AdamOptions { Beta2 = 1.0 }));
        Assert.That(ex!.Message, Does.Contain("Beta2"));
    }
}

/// <summary>The trainer is deterministic: the same seed gives the same parameters bit for bit.</summary>
[TestFixture, Category("Unit")]
public sealed class NeuralOdeTrainerTests
{
    [Test]
    public void SameSeedGivesTheSameParameters()
    {
        double[] Train()
        {
            var field = NeuralOdeFixtures.Mlp();
            var problems = Enumerable.Range(0, 5).Select(i => NeuralOdeFixtures.Problem(SolverSettings.Fixed(BioSim.Engine.Ode.ButcherTableau.Heun, 0.1)) with { InitialState = [0.1 * i, -0.2] }).ToList();
            var trainer = new NeuralOdeTrainer(field, new SymplecticAdjoint(), new AdamOptions { LearningRate = 0.01 }, batchSize: 2, seed: 9);
            for (int i = 0; i < 10; i++) trainer.Step(problems);
            Assert.That(trainer.LossCurve, Has.Count.EqualTo(10));
            Assert.That(trainer.LossCurve[^1], Is.LessThan(trainer.LossCurve[0]));
            return field.Parameters.ToArray();
        }
        Assert.That(Train(), Is.EqualTo(Train()));
    }
}
