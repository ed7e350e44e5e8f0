using BioSim.Circuits.Neurons.RateCircuit;
using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;
using BioSim.Workflows;
using BioSim.Workflows.Runs;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Circuits;

/// <summary>
/// The "rate-circuit" population τ dx/dt = −x + W tanh(x) + U u(t) + b against closed forms, and its contracts
/// (snapshot round trip, thread count, parameter errors by name).
/// </summary>
[TestFixture, Category("Unit")]
public sealed class RateCircuitPopulationTests
{
    private static Simulator Run(RateCircuitPopulation population, double dt, int steps, int threads = 1)
    {
        var simulation = new Simulator([population], [], dt, threads, minElementsForThreads: 0);
        simulation.Run(steps);
        return simulation;
    }

    /// <summary>
    /// W = 0: each unit relaxes as x(t) = b + (x0 − b) e^(−t/τ). RK4 at dt = 0.01 ms with τ ≥ 0.5 ms has a global
    /// error ≈ (dt/τ)⁴/120 relative ≈ 1e-9; asserted within 1e-9 absolute (|x| ≤ 2).
    /// </summary>
    [Test]
    public void UncoupledUnitsRelaxExponentially()
    {
        var p = new RateCircuitParameters { tau = [0.5, 2.0], W = [[0, 0], [0, 0]], b = [0.3, -0.2] };
        var population = new RateCircuitPopulation("rc", 2, p, []);
        double[] x0 = [1.5, -2.0];
        x0.CopyTo(population.Variable("x"), 0);
        Run(population, 0.01, 300);
        for (int i = 0; i < 2; i++)
        {
            double expected = p.b[i] + (x0[i] - p.b[i]) * Math.Exp(-3.0 / p.tau[i]);
            Assert.That(population.Variable("x")[i], Is.EqualTo(expected).Within(1e-9));
        }
    }

    /// <summary>
    /// Driven, W = 0: τ x' = −x + sin(ω t) has x(t) = x0 e^(−t/τ) + (sin ωt − ωτ cos ωt + ωτ e^(−t/τ)) / (1 + ω²τ²).
    /// τ = 1 ms, ω = 2 rad/ms, 2 ms at dt = 0.01 ms; tolerance 1e-9 as above.
    /// </summary>
    [Test]
    public void SinusoidalDriveMatchesTheClosedForm()
    {
        var p = new RateCircuitParameters { tau = [1.0], W = [[0]], U = [[1.0]], input_amplitude = [[1.0]], input_omega = [[2.0]] };
        var population = new RateCircuitPopulation("rc", 1, p, []);
        population.Variable("x")[0] = 0.4;
        Run(population, 0.01, 200);
        double t = 2.0, w = 2.0, decay = Math.Exp(-t);
        double expected = 0.4 * decay + (Math.Sin(w * t) - w * Math.Cos(w * t) + w * decay) / (1 + w * w);
        Assert.That(population.Variable("x")[0], Is.EqualTo(expected).Within(1e-9));
    }

    private static RateCircuitPopulation Coupled()
    {
        var p = new RateCircuitParameters { tau = [1.0, 2.0, 0.5], W = [[0.5, -2.0, 1.0], [1.5, 0.2, -1.2], [-1.0, 2.0, 0.3]], b = [0.3, -0.2, 0.1] };
        var population = new RateCircuitPopulation("rc", 3, p, []);
        double[] x0 = [2.0, -1.5, 1.0];
        x0.CopyTo(population.Variable("x"), 0);
        return population;
    }

    /// <summary>Contract: a snapshot half-way restored into a fresh population continues bit for bit; two threads give the same bits.</summary>
    [Test]
    public void SnapshotAndThreadsGiveTheSameBits()
    {
        var straight = Coupled();
        Run(straight, 0.01, 400);
        var first = Coupled();
        var snapshot = Run(first, 0.01, 200).Snapshot();
        var resumed = Coupled();
        var simulation = new Simulator([resumed], [], 0.01, 1, minElementsForThreads: 0);
        simulation.Restore(snapshot);
        simulation.Run(200);
        Assert.That(resumed.Variable("x"), Is.EqualTo(straight.Variable("x")));
        var threaded = Coupled();
        Run(threaded, 0.01, 400, threads: 2);
        Assert.That(threaded.Variable("x"), Is.EqualTo(straight.Variable("x")));
    }

    private static readonly ExperimentReader Reader = BioSimServiceCollectionExtensions.BuildBioSimServices().GetRequiredService<ExperimentReader>();
    private static readonly ModelBuilder Builder = BioSimServiceCollectionExtensions.BuildBioSimServices().GetRequiredService<ModelBuilder>();

    private static string Experiment(int size, string parameters) =>
        $$"""
        { "name": "rc", "seed": 1, "dt": 0.01, "duration": 1.0,
          "populations": [ { "name": "rc", "size": {{size}}, "model": "rate-circuit", "parameters": {{parameters}} } ],
          "projections": [], "record": { "spikes": [], "state": [] } }
        """;

    /// <summary>Bad parameters are named with the file and JSON path, and a size that disagrees with W is caught.</summary>
    [TestCase(2, """{"tau": [1, 0], "W": [[0, 0], [0, 0]]}""", "populations[0].parameters", "tau")]
    [TestCase(2, """{"tau": [1, 1], "W": [[0, 0], [0]]}""", "populations[0].parameters", "square")]
    [TestCase(2, """{"W": [[0, 0], [0, 0]]}""", "populations[0].parameters", "tau")]
    [TestCase(3, """{"tau": [1, 1], "W": [[0, 0], [0, 0]]}""", "populations[0]", "size is 3, but W has 2 rows")]
    [TestCase(1, """{"tau": [1], "W": [[0]], "input_amplitude": [[1]], "input_omega": [[1]]}""", "populations[0].parameters", "U")]
    public void InvalidParametersAreNamed(int size, string parameters, string path, string hint)
    {
        var ex = Assert.Throws<ExperimentException>(() => Builder.Build(Reader.Read(Experiment(size, parameters), "rc.json")));
        TestContext.Out.WriteLine(ex!.Message);
        Assert.That(ex.Message, Does.Contain("rc.json").And.Contain(path).And.Contain(hint));
    }
}
