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
        Assert.That(stderr, Does.Contain("interrupted; stopped after").And.Contain($"of 10000000 steps with a checkpoint in {Path.Combine(output, "checkpoint.h5")}"));
        Assert.That(File.Exists(Path.Combine(output, "parameters.json")), Is.False, "nothing half-written");
        Assert.That(File.Exists(Path.Combine(output, "checkpoint.h5")), Is.True, "the checkpoint written on SIGTERM");
        var (again, _, err) = BiosimProcess.Run("fit", experiment, "-o", output);
        Assert.That(again, Is.EqualTo(2));
        Assert.That(err, Does.Contain("holds a stopped fit with a checkpoint: continue it with --resume"));
    }

    /// <summary>
    /// A fit killed with SIGKILL (checkpoints after every step), resumed and killed twice more, and continued with --resume ends with the same fitted
    /// parameters and loss curve, bit for bit (as text: every value printed round-trip), as the fit never stopped; resuming
    /// the finished fit says it is complete. The kill lands after the 10 % progress line (step 150 of 1500), so the
    /// resumed fit really continues from a checkpoint past step 0, which the first progress line of the resume shows.
    /// </summary>
    [Test]
    public void KilledFitResumesToTheSameParameters()
    {
        WriteTraces();
        string experiment = Path.Combine(Dir, "fit.json");
        File.WriteAllText(experiment, """
            { "data": { "file": "traces.h5", "populations": ["trial0", "trial1", "trial2"] },
              "model": { "type": "rate-circuit" }, "solver": { "method": "rk4", "step": 0.05 }, "gradient": "symplectic-adjoint",
              "training": { "iterations": 1500, "learning_rate": 0.1, "final_learning_rate": 0.001, "batch": 12, "window": 5, "seed": 1 } }
            """);
        string straight = Path.Combine(Dir, "straight"), killed = Path.Combine(Dir, "killed");
        var (code, _, stderr) = BiosimProcess.Run("fit", experiment, "-o", straight, "-q");
        Assert.That(code, Is.EqualTo(0), stderr);

        BiosimProcess.StopAfterProgress(["fit", experiment, "-o", killed, "--checkpoint-every", "0"], p => p.Kill(), lines: 1, marker: "biosim: fit step 150/");
        Assert.That(File.Exists(Path.Combine(killed, "checkpoint.h5")), Is.True);
        Assert.That(File.Exists(Path.Combine(killed, "parameters.json")), Is.False);
        // Two more SIGKILLs of resumed fits, after 1-2 progress lines each (drawn from a seeded generator): each resumes
        // from the checkpoint the last one left.
        var moments = new Random(3);
        for (int kill = 0; kill < 2; kill++)
        {
            BiosimProcess.StopAfterProgress(["fit", experiment, "-o", killed, "--resume", "--checkpoint-every", "0"], p => p.Kill(),
                lines: moments.Next(1, 3), marker: "biosim: fit step ");
            Assert.That(File.Exists(Path.Combine(killed, "parameters.json")), Is.False, "killed before the end");
        }
        (code, _, stderr) = BiosimProcess.Run("fit", experiment, "-o", killed, "--resume");
        Assert.That(code, Is.EqualTo(0), stderr);
        long resumedAt = long.Parse(stderr.Split("biosim: fit step ")[1].Split('/')[0], global::System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(resumedAt, Is.GreaterThan(300), "the last resumed fit's first step follows the checkpoints of the killed resumes, not step 1 or 150");
        Assert.That(File.ReadAllText(Path.Combine(killed, "loss.csv")), Is.EqualTo(File.ReadAllText(Path.Combine(straight, "loss.csv"))));
        Assert.That(File.ReadAllText(Path.Combine(killed, "parameters.json")), Is.EqualTo(File.ReadAllText(Path.Combine(straight, "parameters.json"))));
        Assert.That(File.Exists(Path.Combine(killed, "checkpoint.h5")), Is.False, "a finished fit keeps no checkpoint");

        var (done, stdout, _) = BiosimProcess.Run("fit", experiment, "-o", killed, "--resume");
        Assert.That(done, Is.EqualTo(0));
        Assert.That(stdout.Trim(), Is.EqualTo($"{killed}: the fit is complete (parameters.json); there is nothing to resume"));
    }

    private sealed class System(IParametricVectorField vectorField) : IOdeSystem
    {
        public int Dimension => vectorField.Dimension;

        public void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt) => vectorField.Evaluate(t, y, dydt, default);
    }
}
