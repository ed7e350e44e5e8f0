using System.Text.Json.Nodes;
using BioSim.IO.Hdf5;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>
/// A state that grows without bound but stays finite is a divergence, not a completed run: exit code 1, the file says
/// "diverged: …", and the message names population, variable, neuron, value, the model's plausible range and time.
/// The two cases a new user found (issue 14): `hh` driven far beyond its reversal potentials (V reached 1e298 mV and the
/// run ended "completed"), and a rate circuit stepped beyond RK4's stability limit (dt = 2 ms, x reached 4e69). Expected
/// ranges: hh |V| ≤ 1000 mV (HhPopulation.PlausibleVoltage); the rate circuit's exact solution never leaves
/// max(|x(0)|, Σ|W_ij| + |b_i| + …) and RK4 on a linear decay is stable for dt ≤ 2.785 τ (its stability polynomial).
/// </summary>
[TestFixture, Category("Validation")]
public sealed class PlausibleRangeTests : TempDirectoryFixture
{
    private static string StatusOf(string path)
    {
        using var file = Hdf5File.OpenReadOnly(path);
        return file.GetStringAttribute("status");
    }

    /// <summary>Runs <paramref name="json"/> (written to <c>name.json</c>) and checks that it stops as a divergence: exit code 1 and
    /// the output file's status "diverged: …"; returns what biosim wrote to stderr.</summary>
    private string RunDiverging(string name, string json)
    {
        string experiment = Path.Combine(Dir, name + ".json");
        File.WriteAllText(experiment, json);
        string output = Path.Combine(Dir, name + ".h5");
        var (code, _, stderr) = BiosimProcess.Run("run", experiment, "-o", output, "-q");
        Assert.That(code, Is.EqualTo(1), stderr);
        Assert.That(StatusOf(output), Does.StartWith("diverged: "));
        return stderr;
    }

    [Test]
    public void HhDrivenBeyondItsReversalPotentialsDiverges()
    {
        string stderr = RunDiverging("hh", """
            {"name": "hh-runaway", "seed": 1, "dt": 0.025, "duration": 50.0,
             "populations": [{"name": "cell", "size": 2, "model": "hh", "parameters": {"I_e": 1e9}}],
             "projections": [], "record": {"spikes": ["cell"]}}
            """);
        Assert.That(stderr, Does.Contain("Numerical blow-up in population 'cell': V[0] = ").And.Contain("left its plausible range [−1000, 1000] mV at t = 0.025 ms"));
    }

    /// <summary>A LIF neuron under a runaway inhibitory input (one spike of −1e6 mV) stops the run at the first step its
    /// V falls below −1000 mV, instead of completing with V near −1e6 mV.</summary>
    [Test]
    public void LifDrivenFarBelowRestDiverges()
    {
        // The spike at 5.05 ms reaches the cells at 6.05 ms (grid: the step starting at 6.1 ms); V leaves the range in that step.
        string stderr = RunDiverging("lif", """
            {"name": "lif-runaway", "seed": 1, "dt": 0.1, "duration": 100.0,
             "populations": [{"name": "in", "size": 1, "model": "spike-generator", "parameters": {"times": [[5.05]]}},
                             {"name": "cell", "size": 2, "model": "lif", "receptors": [{"name": "i", "model": "exp-current", "tau": 10}]}],
             "projections": [{"source": "in", "target": "cell", "receptor": "i", "connectivity": {"rule": "all-to-all"}, "weight": -1e6, "delay": 1.0}],
             "record": {"spikes": ["cell"]}}
            """);
        Assert.That(stderr, Does.Contain("Numerical blow-up in population 'cell': V[0] = ").And.Contain("left its plausible range [-1000, V_th] mV at t = 6.2 ms"));
    }

    /// <summary>lif-cond and adex under a runaway negative current (I_e = −1e9 pA) stop at |V| beyond 1000 mV, naming the range,
    /// in grid mode and with adaptive steps per cell alike.</summary>
    [TestCase("lif-cond", "", "[-1000, 1000] mV")]
    [TestCase("adex", "", "[-1000, ∞] mV")]
    [TestCase("lif-cond", ", \"integration\": {\"method\": \"adaptive\"}", "[-1000, 1000] mV")]
    public void ConductanceAndAdExNeuronsDrivenFarBelowRestDiverge(string model, string integration, string range)
    {
        string stderr = RunDiverging("runaway", """{"name": "runaway", "seed": 1, "dt": 0.1, "duration": 20.0, "populations": [{"name": "cell", "size": 2, "model": """
            + $"\"{model}\", \"parameters\": {{\"I_e\": -1e9}}{integration}" + """}], "record": {"spikes": ["cell"]}}""");
        Assert.That(stderr, Does.Contain("Numerical blow-up in population 'cell': V[0] = ").And.Contain($"left its plausible range {range}"));
    }

    /// <summary>A cable cell under a runaway clamp (examples/ball-and-stick.json with the IClamp at 1e6 nA from 20 ms) stops when
    /// V at its spike detector leaves [−1000, 1000] mV.</summary>
    [Test]
    public void CableCellDrivenBeyondItsReversalPotentialsDiverges()
    {
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("ball-and-stick.json")),
            documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
        string text = json.ToJsonString().Replace("\"amp\":0.12", "\"amp\":1e6", StringComparison.Ordinal);
        Assert.That(text, Does.Contain("\"amp\":1e6"), "the clamp's amplitude was replaced");
        string stderr = RunDiverging("cable", text);
        Assert.That(stderr, Does.Contain("Numerical blow-up in population").And.Contain("left its plausible range [-1000, 1000] mV"));
    }

    /// <summary>A dendritic pyramidal cell under a runaway somatic current (a 1e9 spike into an exp-current receptor at the soma)
    /// stops when U leaves [−1000, 1000] mV.</summary>
    [Test]
    public void PyramidalCellDrivenFarBeyondItsRangeDiverges()
    {
        string stderr = RunDiverging("pyramidal", """
            {"name": "pyramidal-runaway", "seed": 1, "dt": 0.1, "duration": 20.0,
             "populations": [{"name": "in", "size": 1, "model": "spike-generator", "parameters": {"times": [[2.05]]}},
                             {"name": "cell", "size": 2, "model": "pyramidal", "receptors": [{"name": "soma", "model": "exp-current", "tau": 5}]}],
             "projections": [{"source": "in", "target": "cell", "receptor": "soma", "connectivity": {"rule": "all-to-all"}, "weight": 1e9, "delay": 1.0}],
             "record": {"spikes": ["cell"]}}
            """);
        Assert.That(stderr, Does.Contain("Numerical blow-up in population 'cell': U[0] = ").And.Contain("left its plausible range [-1000, 1000] mV"));
    }

    [Test]
    public void ARateCircuitBeyondRk4sStabilityLimitDiverges()
    {
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("rate-circuit.json")),
            documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
        json["dt"] = 2.0;
        json["duration"] = 200.0;
        string stderr = RunDiverging("rate-dt2", json.ToJsonString());
        Assert.That(stderr, Does.Contain("left its plausible range |x| ≤ ")
            .And.Contain("dt = 2 ms is beyond RK4's stability limit for the fastest unit (dt ≤ 2.785 τ = 1.393 ms): lower dt"));

        // The example's own dt (0.01 ms) stays inside the range and completes.
        json["dt"] = 0.01;
        json["duration"] = 6.0;
        string fine = Path.Combine(Dir, "rate-ok.json");
        File.WriteAllText(fine, json.ToJsonString());
        var (code, _, errors) = BiosimProcess.Run("run", fine, "-o", Path.Combine(Dir, "rate-ok.h5"), "-q");
        Assert.That(code, Is.EqualTo(0), errors);
    }
}
