using System.Text.Json;
using BioSim.Circuits.Neurons.RateCircuit;
using BioSim.Engine.NeuralOde;
using BioSim.Engine.Ode;
using BioSim.IO.Hdf5;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>
/// The fitting examples in examples/ run as a user would run them (the real biosim program), and biosim fit on
/// arbitrary HDF5 datasets with a driven rate circuit. Training is deterministic (seeded data, initialisation and
/// minibatch order), so the numbers quoted below are what these runs give; the thresholds leave a margin above them
/// and sit far below what an untrained or broken fit gives.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class FitExamplesTests : TempDirectoryFixture
{
    private JsonElement Fit(string experiment)
    {
        string output = Path.Combine(Dir, "out");
        var (code, stdout, stderr) = BiosimProcess.Run("fit", experiment, "-o", output);
        TestContext.Out.WriteLine(stdout + stderr);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(new FileInfo(Path.Combine(output, "fit.png")).Length, Is.GreaterThan(10_000));
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "parameters.json"))).RootElement.Clone();
    }

    /// <summary>
    /// examples/fit-spiral.json: MLP 2 → 32 → 2 on 12 noisy (σ = 0.02) samples of the damped linear spiral. Held-out MSE
    /// on 4 noise-free trajectories (against the closed form, from their true initial states): measured 2.6e-4 (2.1e-4
    /// before the initial weights and the minibatch order came from the Philox streams); an
    /// untrained field gives 0.64 and the noise variance is 4e-4. Bar: 1e-3.
    /// </summary>
    [Test]
    public void SpiralExampleLearnsTheHeldOutTrajectories()
    {
        double heldOut = Fit(TestPaths.Example("fit-spiral.json")).GetProperty("heldout_mse").GetDouble();
        Assert.That(heldOut, Is.LessThan(1e-3));
    }

    /// <summary>
    /// examples/fit-lotka-volterra.json: MLP 2 → 32 → 32 → 2 on 16 noisy (σ = 0.02) Lotka–Volterra trajectories
    /// (reference states: Dormand-Prince at rtol 1e-10). Held-out MSE on 4 noise-free trajectories: measured 1.9e-3 (1.2e-3 before the Philox initial weights and data order)
    /// (training windows start at noisy observed states, and their loss levels off near 3.4e-3 because that start
    /// noise grows along the orbit); an untrained field gives 8.6. Bar: 3e-3, 1.6× the measured value (2.5× before) and
    /// 3000× below the untrained one.
    /// </summary>
    [Test]
    public void LotkaVolterraExampleLearnsTheHeldOutTrajectories()
    {
        double heldOut = Fit(TestPaths.Example("fit-lotka-volterra.json")).GetProperty("heldout_mse").GetDouble();
        Assert.That(heldOut, Is.LessThan(3e-3));
    }

    private static readonly double[] TrueW = [0.5, -2.0, 1.0, 1.5, 0.2, -1.2, -1.0, 2.0, 0.3];
    private static readonly double[] TrueTau = [1.0, 2.0, 0.5];

    private static (double W, double Tau) Errors(JsonElement parameters)
    {
        double[] w = [.. parameters.GetProperty("W").EnumerateArray().Select(e => e.GetDouble())];
        double[] tau = [.. parameters.GetProperty("tau").EnumerateArray().Select(e => e.GetDouble())];
        double scale = TrueW.Max(Math.Abs);
        return (w.Select((v, i) => Math.Abs(v - TrueW[i]) / scale).Max(), tau.Select((v, i) => Math.Abs(v - TrueTau[i]) / TrueTau[i]).Max());
    }

    /// <summary>
    /// The end-to-end case, exactly as the README gives it: <c>biosim run examples/rate-circuit.json</c> (four
    /// trials of a 3-unit rate circuit, RK4 at dt = 0.01 ms, recorded every 0.1 ms) then <c>biosim fit
    /// examples/fit-rate-circuit.json</c> on the file it wrote. The truth is the W and τ of examples/rate-circuit.json.
    /// W (relative to max |W|) and τ must be recovered within 5 %; measured 1.05 % and 1.27 % (0.9 % and 1.1 % before the Philox data order).
    /// </summary>
    [Test]
    public void RateCircuitSimulatedByBioSimIsRecoveredWithinFivePercent()
    {
        string h5 = Path.Combine(Dir, "rate-circuit.h5");
        var (code, stdout, stderr) = BiosimProcess.Run("run", TestPaths.Example("rate-circuit.json"), "-o", h5);
        TestContext.Out.WriteLine(stdout + stderr);
        Assert.That(code, Is.EqualTo(0), stderr);
        // The fit file names "../rate-circuit.h5" relative to its own folder, as in the repository.
        Directory.CreateDirectory(Path.Combine(Dir, "examples"));
        string fit = Path.Combine(Dir, "examples", "fit-rate-circuit.json");
        File.Copy(TestPaths.Example("fit-rate-circuit.json"), fit);
        var (w, tau) = Errors(Fit(fit));
        TestContext.Out.WriteLine($"W error {w:P2} of max|W|, τ error {tau:P2}");
        Assert.That(w, Is.LessThan(0.05));
        Assert.That(tau, Is.LessThan(0.05));
    }

    /// <summary>
    /// A driven circuit τ x' = −x + W tanh(x) + U u(t) + b (3 units, 2 sinusoidal inputs of amplitude up to 3) simulated
    /// by BioSim's adaptive Dormand-Prince (rtol 1e-10) from 4 initial states on [0, 12], written to an HDF5 file in a
    /// layout of our choosing (not a BioSim report): /trials/k/x [61 × 3], /trials/k/t [61], /stim/k/u [1201 × 2],
    /// /stim/k/t [1201]. biosim fit reads the datasets named in the fit file, interpolates u linearly (sampling 0.01:
    /// error ≤ 0.01²/8 · max|u''| ≈ 4e-4) and learns W, U, b, τ. W, U (relative to their largest entries) and τ within
    /// 5 %; measured 0.44 %, 0.60 % and 0.57 % (0.56 %, 0.77 %, 0.73 % before the Philox data order).
    /// </summary>
    [Test]
    public void DrivenRateCircuitIsFittedFromArbitraryDatasets()
    {
        var truth = new RateCircuitField(3, new SinusoidInput(2, 2, [3.0, 1.5, 2.4, 0.9], [1.3, 3.1, 0.7, 2.3], [0.0, 1.0, 0.5, 2.0]));
        TrueW.CopyTo(truth.W);
        double[] trueU = [1.0, 0.0, 0.0, 1.0, 0.5, -0.5];
        trueU.CopyTo(truth.U);
        double[] b = [0.1, -0.2, 0.05];
        b.CopyTo(truth.Bias);
        TrueTau.CopyTo(truth.Tau);
        var integrator = new AdaptiveIntegrator(ButcherTableau.DormandPrince54, 3, new AdaptiveOptions { RelativeTolerance = 1e-10, AbsoluteTolerance = 1e-10 });
        double[][] starts = [[1.5, -1.5, 0.6], [-2.0, 0.9, 2.0], [0.0, 2.0, -2.0], [2.0, 1.6, 0.0]];
        string path = Path.Combine(Dir, "driven.h5");
        using (var file = Hdf5File.Create(path))
        {
            for (int k = 0; k < starts.Length; k++)
            {
                double[] y = [.. starts[k]];
                double[] times = [.. Enumerable.Range(0, 61).Select(f => 0.2 * f)];
                using var x = file.CreateAppendable<double>($"/trials/{k}/x", 3);
                x.AppendRows(y, 1);
                for (int f = 1; f < times.Length; f++)
                {
                    integrator.Integrate(new FieldSystem(truth), times[f - 1], times[f], y);
                    x.AppendRows(y, 1);
                }
                using (file.CreateDataset<double>($"/trials/{k}/t", times)) { }
                double[] inputTimes = [.. Enumerable.Range(0, 1201).Select(f => 0.01 * f)];
                double[] u = new double[inputTimes.Length * 2];
                var signal = new SinusoidInput(2, 2, [3.0, 1.5, 2.4, 0.9], [1.3, 3.1, 0.7, 2.3], [0.0, 1.0, 0.5, 2.0]);
                for (int f = 0; f < inputTimes.Length; f++) signal.Value(inputTimes[f], u.AsSpan(2 * f, 2));
                using (var stimulus = file.CreateAppendable<double>($"/stim/{k}/u", 2)) stimulus.AppendRows(u, inputTimes.Length);
                using (file.CreateDataset<double>($"/stim/{k}/t", inputTimes)) { }
            }
        }
        string trajectories = string.Join(", ", Enumerable.Range(0, 4).Select(k => $$"""{ "states": "/trials/{{k}}/x", "time": "/trials/{{k}}/t", "input": "/stim/{{k}}/u", "input_time": "/stim/{{k}}/t" }"""));
        string experiment = Path.Combine(Dir, "fit.json");
        File.WriteAllText(experiment, $$"""
            { "data": { "file": "driven.h5", "trajectories": [ {{trajectories}} ] },
              "model": { "type": "rate-circuit", "min_tau": 0.05 },
              "solver": { "method": "rk4", "step": 0.05 },
              "training": { "iterations": 3000, "learning_rate": 0.1, "final_learning_rate": 0.001, "batch": 12, "window": 5, "seed": 1 } }
            """);
        JsonElement fitted = Fit(experiment);
        var (w, tau) = Errors(fitted);
        double[] fittedU = [.. fitted.GetProperty("U").EnumerateArray().Select(e => e.GetDouble())];
        double uError = fittedU.Select((v, i) => Math.Abs(v - trueU[i])).Max() / trueU.Max(Math.Abs);
        TestContext.Out.WriteLine($"W error {w:P2}, U error {uError:P2}, τ error {tau:P2}");
        Assert.That(w, Is.LessThan(0.05));
        Assert.That(uError, Is.LessThan(0.05));
        Assert.That(tau, Is.LessThan(0.05));
    }

    /// <summary>A dataset path that is not in the file: exit code 2 and one line naming the fit file, the JSON path,
    /// the HDF5 file, the missing dataset and what the group holds.</summary>
    [Test]
    public void MissingDatasetIsNamedWithFileAndPath()
    {
        string path = Path.Combine(Dir, "data.h5");
        using (var file = Hdf5File.Create(path))
        {
            using (file.CreateDataset<double>("/a/t", [0.0, 1.0])) { }
            using (file.CreateDataset<double>("/a/x", [0.0, 1.0])) { }
        }
        string experiment = Path.Combine(Dir, "fit.json");
        File.WriteAllText(experiment, """{ "data": { "file": "data.h5", "trajectories": [ { "states": "/a/y", "time": "/a/t" } ] }, "model": { "type": "mlp" } }""");
        var (code, _, stderr) = BiosimProcess.Run("fit", experiment);
        TestContext.Out.WriteLine(stderr);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("fit.json").And.Contain("$.data.trajectories[0].states").And.Contain("data.h5").And.Contain("'/a/y'").And.Contain("t, x"));
    }

    /// <summary>An input with a model that cannot take it is refused by name (exit 2).</summary>
    [Test]
    public void InputWithAnMlpIsRefused()
    {
        string path = Path.Combine(Dir, "data.h5");
        using (var file = Hdf5File.Create(path))
        {
            using (file.CreateDataset<double>("/t", [0.0, 1.0, 2.0])) { }
            using (file.CreateDataset<double>("/x", [0.0, 1.0, 0.5])) { }
            using (file.CreateDataset<double>("/u", [1.0, 1.0, 1.0])) { }
        }
        string experiment = Path.Combine(Dir, "fit.json");
        File.WriteAllText(experiment, """{ "data": { "file": "data.h5", "trajectories": [ { "states": "/x", "time": "/t", "input": "/u" } ] }, "model": { "type": "mlp" } }""");
        var (code, _, stderr) = BiosimProcess.Run("fit", experiment);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("$.data.trajectories[0].input").And.Contain("rate-circuit"));
    }

    private sealed class FieldSystem(IParametricVectorField vectorField) : IOdeSystem
    {
        public int Dimension => vectorField.Dimension;

        public void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt) => vectorField.Evaluate(t, y, dydt, default);
    }
}
