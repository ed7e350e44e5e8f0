using System.Text.Json;
using BioSim.Engine.NeuralOde;
using BioSim.Engine.Ode;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.NeuralOde;
using NUnit.Framework;
using MeanSquaredError = BioSim.Engine.NeuralOde.MeanSquaredError;

namespace BioSim.Tests.Engine.NeuralOde;

/// <summary>
/// Outside reference: tests/data/torch_neural_ode_rk4.json, written by tests/reference/torch_neural_ode_rk4.py
/// (PyTorch 1.13 from Debian's python3-torch, float64): the same MLP field (2+t → 16 → 16 → 2, tanh), the same
/// weights, classical RK4 with the same step schedule (h = 0.05 on [0, 2], 40 steps), MSE at five observation
/// times, gradient by autograd through the solver. Both sides compute the same discrete map in double; they
/// differ only in the order of floating-point operations (matrix products, the RK4 sum), so agreement is
/// expected to ~1e-14, and 1e-9 relative (per component, against the largest component) is the bar.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class PyTorchReferenceTests
{
    private static IEnumerable<TestCaseData> Methods()
    {
        yield return new TestCaseData(new BackpropThroughSolver()).SetArgDisplayNames("backprop");
        yield return new TestCaseData(new CheckpointedBackprop()).SetArgDisplayNames("checkpoint");
        yield return new TestCaseData(new SymplecticAdjoint()).SetArgDisplayNames("symplectic-adjoint");
    }

    [TestCaseSource(nameof(Methods))]
    public void GradientMatchesTorchAutogradThroughRk4(IGradientMethod method)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(TestPaths.Data("torch_neural_ode_rk4.json")));
        JsonElement root = json.RootElement;
        double[] Array(string name) => [.. root.GetProperty(name).EnumerateArray().Select(e => e.GetDouble())];
        int[] sizes = [.. root.GetProperty("layer_sizes").EnumerateArray().Select(e => e.GetInt32())];
        Assert.That(root.GetProperty("activation").GetString(), Is.EqualTo("tanh"));
        Assert.That(root.GetProperty("time_input").GetBoolean(), Is.True);

        var field = new MlpVectorField(sizes[^1], sizes[1..^1], new Tanh(), timeInput: true);
        double[] parameters = Array("parameters");
        Assert.That(parameters, Has.Length.EqualTo(field.ParameterCount));
        parameters.CopyTo(field.Parameters);
        double[] times = Array("observation_times");
        var loss = new MeanSquaredError(Array("targets"), times.Length, field.Dimension);
        var problem = new TrajectoryProblem(0, Array("initial_state"), times, loss,
            SolverSettings.Fixed(ButcherTableau.RK4, root.GetProperty("step").GetDouble()));

        var gp = new double[field.ParameterCount];
        var gx = new double[field.Dimension];
        GradientResult result = method.Compute(field, problem, gp, gx);

        double[] expectedP = Array("parameter_gradient"), expectedX = Array("initial_state_gradient");
        Assert.That(result.Steps, Is.EqualTo(root.GetProperty("steps").GetInt32()));
        double expectedLoss = root.GetProperty("loss").GetDouble();
        double[] ours = [.. gp, .. gx], theirs = [.. expectedP, .. expectedX];
        double scale = theirs.Max(Math.Abs), worst = 0;
        for (int i = 0; i < ours.Length; i++) worst = Math.Max(worst, Math.Abs(ours[i] - theirs[i]) / scale);
        TestContext.Out.WriteLine($"{method.Name}: loss {result.Loss:R} vs torch {expectedLoss:R} (rel {Math.Abs(result.Loss - expectedLoss) / expectedLoss:E2}); gradient worst component {worst:E2} of max |g| = {scale:G4}; norm-wise {NeuralOdeFixtures.RelativeError(ours, theirs):E2}");
        Assert.That(result.Loss, Is.EqualTo(expectedLoss).Within(1e-12 * expectedLoss));
        Assert.That(worst, Is.LessThan(1e-9));
    }
}
