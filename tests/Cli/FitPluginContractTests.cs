using System.Text.Json;
using BioSim.Engine.NeuralOde;
using BioSim.Engine.Numerics;
using BioSim.Engine.Ode;
using BioSim.Engine.Plugins;
using BioSim.IO.Experiments;
using BioSim.Plasticity.NeuralOde;
using BioSim.Tests.Engine.NeuralOde;
using BioSim.Workflows;
using BioSim.Workflows.Fit;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>
/// Contract tests over every gradient method and every fit model that <c>AddBioSim()</c> registers, by name from
/// the catalogue, so that a new one is covered without a test of its own; and unknown names are refused with the
/// list of known ones.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class FitPluginContractTests : TempDirectoryFixture
{
    private static readonly ServiceProvider Services = BioSimServiceCollectionExtensions.BuildBioSimServices();

    private static Catalogue Catalogue => Services.GetRequiredService<Catalogue>();

    public static IEnumerable<string> GradientMethods() => Catalogue.Names<IGradientMethod>();

    public static IEnumerable<string> FitModels() => Catalogue.Names<IFitModel>();

    /// <summary>
    /// Each gradient method against backprop through the solver (the chain rule on the forward pass's own arithmetic) on
    /// the small problems of the exactness tests: an MLP 2 + t → 8 → 8 → 2 and a driven 3-unit rate circuit, RK4 with
    /// h = 0.05, 4 observations on [0, 2]. A method that differentiates the discrete map (<see cref="DiscreteGradientMethod"/>)
    /// must agree to round-off, 1e-10 relative (as in GradientExactnessTests); any other approximates it: central
    /// differences (error O(ε²) plus round-off ~1e-16/ε) and the continuous adjoint at its default tolerances (rtol 1e-6,
    /// plus the forward discretisation it does not differentiate, O(h⁴)) both within 1e-3 relative, far below what a
    /// dropped term gives (percent).
    /// </summary>
    [TestCaseSource(nameof(GradientMethods))]
    public void GradientMethodAgreesWithBackpropThroughTheSolver(string name)
    {
        IGradientMethod method = Catalogue.Get<IGradientMethod>(name, "gradient method");
        Assert.That(method.Name, Is.EqualTo(name));
        double bar = method is DiscreteGradientMethod ? 1e-10 : 1e-3;
        foreach (IParametricVectorField field in new IParametricVectorField[] { NeuralOdeFixtures.Mlp(), NeuralOdeFixtures.RateCircuit() })
        {
            var problem = NeuralOdeFixtures.Problem(SolverSettings.Fixed(ButcherTableau.RK4, 0.05), field.Dimension);
            var reference = NeuralOdeFixtures.Gradient(new BackpropThroughSolver(), field, problem);
            var result = NeuralOdeFixtures.Gradient(method, field, problem);
            double error = NeuralOdeFixtures.RelativeError(NeuralOdeFixtures.Concat(result.Parameters, result.State), NeuralOdeFixtures.Concat(reference.Parameters, reference.State));
            TestContext.Out.WriteLine($"{name} on {field.GetType().Name}: relative error {error:E2} against backprop (bar {bar:E0})");
            Assert.That(result.Result.Loss, Is.EqualTo(reference.Result.Loss).Within(1e-12 * Math.Abs(reference.Result.Loss)));
            Assert.That(error, Is.LessThan(bar));
        }
    }

    /// <summary>Each fit model builds a field of the data's dimension (with an input when it takes one) whose evaluation is
    /// finite, whose constraint keeps its parameters finite, and whose named blocks are parts of its parameters.</summary>
    [TestCaseSource(nameof(FitModels))]
    public void FitModelBuildsAFieldOfTheDataDimension(string name)
    {
        IFitModel model = Catalogue.Get<IFitModel>(name, "fit model");
        IInputSignal? input = model.TakesInput ? NeuralOdeFixtures.Inputs() : null;
        IParametricVectorField field = model.Create(3, input, new FitModelSettings { Hidden = [5], Seed = 2 }, MatrixProducts.CreateDefault());
        Assert.That(field.Dimension, Is.EqualTo(3));
        double[] dxdt = new double[3];
        field.Evaluate(0.3, [0.1, -0.2, 0.4], dxdt, default);
        Assert.That(dxdt.All(double.IsFinite), Is.True);
        model.Constraint(field, new FitModelSettings())?.Invoke(field.Parameters);
        Assert.That(field.Parameters.ToArray().All(double.IsFinite), Is.True);
        Assert.That(model.Describe(field).Sum(b => b.Value.Length), Is.LessThanOrEqualTo(field.ParameterCount + 8));
    }

    /// <summary>Each fit model, named in a fit file and run by the workflow on a short generated spiral, lowers the loss and
    /// writes parameters.json naming it and loss.csv with one row per step.</summary>
    [TestCaseSource(nameof(FitModels))]
    public void FitModelTrainsThroughTheWorkflow(string name)
    {
        string file = Path.Combine(Dir, "fit.json");
        File.WriteAllText(file, $$"""
            { "data": { "generate": "spiral", "trajectories": 4, "held_out": 1, "samples": 13, "seed": 2 },
              "model": { "type": "{{name}}", "hidden": [8] },
              "solver": { "method": "rk4", "step": 0.2 },
              "training": { "iterations": 40, "learning_rate": 0.02, "final_learning_rate": 0.005, "batch": 4, "window": 4, "seed": 1 } }
            """);
        FitResult result = Services.GetRequiredService<FitWorkflow>().Run(file, Path.Combine(Dir, "out"));
        Assert.That(result.LossCurve, Has.Count.EqualTo(40));
        Assert.That(result.LossCurve.Skip(30).Average(), Is.LessThan(result.LossCurve.Take(4).Average()));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "out", "parameters.json")));
        Assert.That(json.RootElement.GetProperty("model").GetString(), Is.EqualTo(name));
        Assert.That(File.ReadAllLines(Path.Combine(Dir, "out", "loss.csv")), Has.Length.EqualTo(41));
    }

    /// <summary>Unknown names in a fit file: the file, the JSON path and the known names from the catalogue.</summary>
    [TestCase("model", "$.model.type", "fit model")]
    [TestCase("gradient", "$.gradient", "gradient method")]
    public void UnknownNamesListTheCatalogue(string kind, string path, string what)
    {
        string file = Path.Combine(Dir, "fit.json");
        string model = kind == "model" ? "magic" : "mlp", gradient = kind == "gradient" ? "magic" : "backprop";
        File.WriteAllText(file, $$"""{ "data": { "generate": "spiral" }, "model": { "type": "{{model}}" }, "gradient": "{{gradient}}" }""");
        var ex = Assert.Throws<ExperimentException>(() => Services.GetRequiredService<FitWorkflow>().Run(file));
        IEnumerable<string> known = kind == "model" ? FitModels() : GradientMethods();
        Assert.That(ex!.Message, Does.Contain("fit.json").And.Contain(path).And.Contain($"unknown {what} 'magic'").And.Contain(string.Join(", ", known)));
    }

    /// <summary>A camelCase key from before the snake_case migration is refused with the key to write.</summary>
    [Test]
    public void CamelCaseKeysPointToTheirSnakeCaseForm()
    {
        string file = Path.Combine(Dir, "fit.json");
        File.WriteAllText(file, """{ "data": { "generate": "spiral" }, "model": { "type": "mlp" }, "training": { "learningRate": 0.1 } }""");
        var ex = Assert.Throws<ExperimentException>(() => BioSim.IO.NeuralOde.FitExperiment.Read(file));
        Assert.That(ex!.Message, Does.Contain("$.training.learningRate").And.Contain("learning_rate"));
    }
}
