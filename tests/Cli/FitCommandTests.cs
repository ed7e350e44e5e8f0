using System.Text.Json;
using BioSim.Circuits.Neurons.RateCircuit;
using BioSim.Engine.NeuralOde;
using BioSim.Engine.Ode;
using BioSim.IO.Hdf5;
using BioSim.IO.Sonata;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>
/// biosim fit end to end: a 3-unit rate circuit (no external input) is simulated by BioSim's adaptive
/// Dormand-Prince integrator from three initial conditions and written as three SONATA state reports
/// (populations trial0..trial2, dt 0.1, 60 frames); the fit experiment names them. The program must exit 0 and
/// write parameters.json (W and τ close to the truth: within 10 % here, a smoke bar for a short run), loss.csv
/// (falling) and fit.png. Bad input gets one line naming the field and exit code 2.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class FitCommandTests : TempDirectoryFixture
{
    private static readonly double[] TrueW = [0.5, -2.0, 1.0, 1.5, 0.2, -1.2, -1.0, 2.0, 0.3];
    private static readonly double[] TrueTau = [1.0, 2.0, 0.5];

    private string WriteTraces()
    {
        var truth = new RateCircuitField(3);
        TrueW.CopyTo(truth.W);
        TrueTau.CopyTo(truth.Tau);
        double[] b = [0.3, -0.2, 0.1];
        b.CopyTo(truth.Bias);
        var integrator = new AdaptiveIntegrator(ButcherTableau.DormandPrince54, 3, new AdaptiveOptions { RelativeTolerance = 1e-10, AbsoluteTolerance = 1e-10 });
        string path = Path.Combine(Dir, "traces.h5");
        double[][] starts = [[2.0, -1.5, 1.0], [-2.0, 1.0, 2.0], [0.5, 2.0, -2.0]];
        using (var file = Hdf5File.Create(path))
        using (var writer = new SonataReportWriter(file))
        {
            for (int trial = 0; trial < starts.Length; trial++)
            {
                var population = writer.AddPopulation($"trial{trial}", [0ul, 1ul, 2ul], new SonataReportOptions { DtMs = 0.1, Units = "1", VariableName = "rate" });
                double[] y = [.. starts[trial]];
                population.AppendFrame(y);
                for (int f = 1; f < 60; f++)
                {
                    integrator.Integrate(new System(truth), 0.1 * (f - 1), 0.1 * f, y);
                    population.AppendFrame(y);
                }
            }
        }
        return path;
    }

    [Test]
    public void FitRecoversARateCircuitFromBioSimReports()
    {
        WriteTraces();
        string experiment = Path.Combine(Dir, "fit.json");
        File.WriteAllText(experiment, """
            { "data": { "file": "traces.h5", "populations": ["trial0", "trial1", "trial2"] },
              "model": { "type": "rate-circuit" },
              "solver": { "method": "rk4", "step": 0.05 },
              "gradient": "symplectic-adjoint",
              "training": { "iterations": 1500, "learning_rate": 0.1, "final_learning_rate": 0.001, "batch": 12, "window": 5, "seed": 1 } }
            """);
        string output = Path.Combine(Dir, "out");
        var (code, stdout, stderr) = BiosimProcess.Run("fit", experiment, "-o", output);
        TestContext.Out.WriteLine(stdout + stderr);
        Assert.That(code, Is.EqualTo(0), stderr);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "parameters.json")));
        double[] w = [.. json.RootElement.GetProperty("W").EnumerateArray().Select(e => e.GetDouble())];
        double[] tau = [.. json.RootElement.GetProperty("tau").EnumerateArray().Select(e => e.GetDouble())];
        double wError = w.Select((v, i) => Math.Abs(v - TrueW[i]) / 2.0).Max(), tauError = tau.Select((v, i) => Math.Abs(v - TrueTau[i]) / TrueTau[i]).Max();
        TestContext.Out.WriteLine($"W error {wError:P2} of max|W|, τ error {tauError:P2}");
        Assert.That(wError, Is.LessThan(0.10));
        Assert.That(tauError, Is.LessThan(0.10));
        string[] loss = File.ReadAllLines(Path.Combine(output, "loss.csv"));
        Assert.That(loss, Has.Length.EqualTo(1501));
        Assert.That(new FileInfo(Path.Combine(output, "fit.png")).Length, Is.GreaterThan(10_000));
    }

    [Test]
    public void UnknownGradientMethodIsBadInputNamingTheField()
    {
        WriteTraces();
        string experiment = Path.Combine(Dir, "fit.json");
        File.WriteAllText(experiment, """{ "data": { "file": "traces.h5", "populations": ["trial0"] }, "model": { "type": "rate-circuit" }, "gradient": "magic" }""");
        var (code, _, stderr) = BiosimProcess.Run("fit", experiment);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("$.gradient").And.Contain("symplectic-adjoint"));
    }

    /// <summary>SIGTERM (a scheduler stopping the job) or Ctrl-C stops a fit between steps through the shared command
    /// session: exit code 75 (interrupted; fit restarts), a message saying how far it got, and no half-written parameters.json. Expected: the fit of
    /// 10⁷ steps cannot finish in the test's time, so the only way to exit 75 is the signal.</summary>
    [Test]
    public void TerminatedFitStopsWithExitCode75()
    {
        WriteTraces();
        string experiment = Path.Combine(Dir, "long.json");
        File.WriteAllText(experiment, """
            { "data": { "file": "traces.h5", "populations": ["trial0"] }, "model": { "type": "rate-circuit" },
              "solver": { "method": "rk4", "step": 0.05 }, "gradient": "symplectic-adjoint",
              "training": { "iterations": 10000000, "learning_rate": 0.01, "batch": 4, "window": 5, "seed": 1 } }
            """);
        string output = Path.Combine(Dir, "long-out");
        var (code, stderr) = BiosimProcess.StopAfterProgress(["fit", experiment, "-o", output], p => BiosimProcess.Signal(p, "TERM"),
            lines: 1, marker: "biosim: fit step 1/");
        Assert.That(code, Is.EqualTo(75), stderr);
        Assert.That(stderr, Does.Contain("interrupted; stopped after").And.Contain("of 10000000 steps"));
        Assert.That(File.Exists(Path.Combine(output, "parameters.json")), Is.False, "nothing half-written");
    }

    private sealed class System(IParametricVectorField vectorField) : IOdeSystem
    {
        public int Dimension => vectorField.Dimension;

        public void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt) => vectorField.Evaluate(t, y, dydt, default);
    }
}
