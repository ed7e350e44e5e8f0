using System.Text.Json.Nodes;
using BioSim.Engine.Random;
using BioSim.IO.Experiments;
using BioSim.Workflows;
using BioSim.Workflows.Sweep;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>
/// How a sweep file becomes tasks (workflows/Sweep/SweepExpansion): list entries outer, grid axes inner with the first axis
/// slowest (nested loops in the file's order), every value written at its JSON path of a copy of the base file; each task's
/// seed derived from the sweep's seed and its number (the top 32 bits of word k of the Philox stream (seed, "sweep",
/// "task-seed") for element = task number, the contract documented in SweepExpansion.DeriveSeed), different per task, the
/// same on every expansion, and placed where each base kind keeps its seed.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class SweepExpansionTests : TempDirectoryFixture
{
    private static readonly System.Text.Json.JsonDocumentOptions Comments = new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private static SweepWorkflow Workflow(ServiceProvider services) => ActivatorUtilities.CreateInstance<SweepWorkflow>(services);

    private string SweepFile(string json, string name = "sweep.json")
    {
        string path = Path.Combine(Dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    private static JsonObject Parse(string json) => JsonNode.Parse(json, documentOptions: Comments)!.AsObject();

    [Test]
    public void GridIsNestedLoopsInFileOrderWithTheListOutside()
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        string cuba = TestPaths.Example("cuba.json").Replace("\\", "/", StringComparison.Ordinal);
        var plan = Workflow(services).Plan(SweepFile($$$"""
            {"base": "{{{cuba}}}", "seed": 3,
             "list": [{"populations[0].parameters.tau_m": 10.0}, {"populations[0].parameters.tau_m": 30.0}],
             "grid": {"projections[2].weight": [-3.0, -6.0], "duration": [10.0, 20.0, 30.0]}}
            """));
        Assert.That(plan.Kind, Is.EqualTo("experiment"));
        Assert.That(plan.Parameters, Is.EqualTo(new[] { "populations[0].parameters.tau_m", "projections[2].weight", "duration" }));
        Assert.That(plan.Tasks, Has.Count.EqualTo(2 * 2 * 3));
        int i = 0;
        foreach (double tau in new[] { 10.0, 30.0 })
        {
            foreach (double w in new[] { -3.0, -6.0 })
            {
                foreach (double duration in new[] { 10.0, 20.0, 30.0 })
                {
                    var task = plan.Tasks[i];
                    Assert.That(task.Index, Is.EqualTo(i));
                    var json = Parse(task.Json);
                    Assert.That((double)json["populations"]![0]!["parameters"]!["tau_m"]!, Is.EqualTo(tau), $"task {i}");
                    Assert.That((double)json["projections"]![2]!["weight"]!, Is.EqualTo(w), $"task {i}");
                    Assert.That((double)json["duration"]!, Is.EqualTo(duration), $"task {i}");
                    // Everything else is the base file's.
                    Assert.That((double)json["projections"]![3]!["weight"]!, Is.EqualTo(-9.0));
                    Assert.That((double)json["populations"]![1]!["parameters"]!["tau_m"]!, Is.EqualTo(20.0));
                    Assert.That(task.Settings.Select(s => s.Path.Text), Is.EqualTo(plan.Parameters));
                    i++;
                }
            }
        }
    }

    [Test]
    public void DerivedSeedsDifferPerTaskAreReproducibleAndGoWhereEachKindKeepsItsSeed()
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var workflow = Workflow(services);
        string cuba = TestPaths.Example("cuba.json").Replace("\\", "/", StringComparison.Ordinal);
        string grid = """{"duration": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0]}""";
        var plan = workflow.Plan(SweepFile($$$"""{"base": "{{{cuba}}}", "seed": 42, "grid": {{{grid}}}}"""));
        var again = workflow.Plan(SweepFile($$$"""{"base": "{{{cuba}}}", "seed": 42, "grid": {{{grid}}}}""", "again.json"));
        var other = workflow.Plan(SweepFile($$$"""{"base": "{{{cuba}}}", "seed": 43, "grid": {{{grid}}}}""", "other.json"));
        ulong[] seeds = [.. plan.Tasks.Select(t => (ulong)Parse(t.Json)["seed"]!)];
        Assert.That(seeds.Distinct().Count(), Is.EqualTo(8), "every task has its own seed");
        Assert.That(again.Tasks.Select(t => (ulong)Parse(t.Json)["seed"]!), Is.EqualTo(seeds), "the same sweep seed gives the same task seeds");
        Assert.That(other.Tasks.Select(t => (ulong)Parse(t.Json)["seed"]!).Intersect(seeds), Is.Empty, "another sweep seed gives other task seeds");
        for (int i = 0; i < seeds.Length; i++)
        {
            var stream = new RandomStream(42, "sweep", "task-seed").ForElement((uint)i);
            Assert.That(seeds[i], Is.EqualTo(stream.NextUInt64() >> 32), $"task {i}: the documented derivation");
            Assert.That(plan.Tasks[i].Seed, Is.EqualTo(seeds[i]));
            Assert.That(seeds[i], Is.LessThan(1UL << 32));
        }

        // "seed": "base" keeps the base file's seed; a grid over the seed replaces the derived one.
        var kept = workflow.Plan(SweepFile($$$"""{"base": "{{{cuba}}}", "seed": "base", "grid": {"duration": [10.0, 20.0]}}""", "base.json"));
        Assert.That(kept.Tasks.Select(t => (ulong)Parse(t.Json)["seed"]!), Is.EqualTo(new ulong[] { 12345, 12345 }));
        var swept = workflow.Plan(SweepFile($$$"""{"base": "{{{cuba}}}", "grid": {"seed": [1, 2]}}""", "swept.json"));
        Assert.That(swept.Tasks.Select(t => (ulong)Parse(t.Json)["seed"]!), Is.EqualTo(new ulong[] { 1, 2 }));

        // A comparison's seed list: as many derived seeds as the base lists (words 0, 1, 2 of the task's stream).
        string teacher = TestPaths.Example("compare-teacher.json").Replace("\\", "/", StringComparison.Ordinal);
        var comparison = workflow.Plan(SweepFile($$$"""{"base": "{{{teacher}}}", "seed": 5, "grid": {"lr": [0.001, 0.002]}}""", "cmp.json"));
        Assert.That(comparison.Kind, Is.EqualTo("comparison"));
        for (int i = 0; i < 2; i++)
        {
            ulong[] list = [.. Parse(comparison.Tasks[i].Json)["seeds"]!.AsArray().Select(s => (ulong)s!)];
            Assert.That(list, Is.EqualTo(Enumerable.Range(0, 3).Select(k => SweepWorkflow.TaskSeed(5, i, k))));
            Assert.That(list.Distinct().Count(), Is.EqualTo(3));
        }
        // A fit's training.seed; its relative data file (none here: generated) and the rest unchanged.
        string spiral = TestPaths.Example("fit-spiral.json").Replace("\\", "/", StringComparison.Ordinal);
        var fit = workflow.Plan(SweepFile($$$"""{"base": "{{{spiral}}}", "seed": 5, "grid": {"training.learning_rate": [0.01, 0.02]}}""", "fit.json"));
        Assert.That(fit.Kind, Is.EqualTo("fit"));
        Assert.That((ulong)Parse(fit.Tasks[1].Json)["training"]!["seed"]!, Is.EqualTo(SweepWorkflow.TaskSeed(5, 1)));
        Assert.That((double)Parse(fit.Tasks[1].Json)["training"]!["learning_rate"]!, Is.EqualTo(0.02));
    }

    [Test]
    public void BadSweepsAreRefusedNamingTheSweepFileAndField()
    {
        using var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var workflow = Workflow(services);
        string cuba = TestPaths.Example("cuba.json").Replace("\\", "/", StringComparison.Ordinal);
        void Refused(string grid, string field, string problem)
        {
            var e = Assert.Throws<ExperimentException>(() => workflow.Plan(SweepFile($$$"""{"base": "{{{cuba}}}", {{{grid}}}}""", "bad.json")))!;
            Assert.That(e.File, Does.EndWith("bad.json"));
            Assert.That(e.FieldPath, Is.EqualTo(field));
            Assert.That(e.Problem, Does.Contain(problem));
        }
        Refused("""
            "grid": {"projections[7].weight": [1.0]}
            """, "grid.projections[7].weight", "'projections' has 4 elements, so there is no [7]");
        Refused("""
            "grid": {"populations[0].receptor.tau": [1.0]}
            """, "grid.populations[0].receptor.tau", "'populations[0]' has no field 'receptor'");
        Refused("""
            "grid": {"projections[2].weight": [-3.0, "strong"]}
            """, "grid.projections[2].weight[1]", "\"strong\" is a string, but projections[2].weight in cuba.json is a number (-9.0)");
        Refused("""
            "list": [{"populations[0].parameters.tau_m": -5.0}]
            """, "list[0].populations[0].parameters.tau_m", "-5.0 is not a valid populations[0].parameters.tau_m of cuba.json: must be a positive number");
        Refused("""
            "list": [{"populations[0].parameters.tau_mem": 5.0}]
            """, "list[0].populations[0].parameters.tau_mem", "unknown field; allowed: tau_m");
        Refused("""
            "grid": {"projections[2]..weight": [1.0]}
            """, "grid.projections[2]..weight", "not a path into the base file");
        Refused("""
            "grid": {}
            """, "", "give a \"grid\"");
    }
}
