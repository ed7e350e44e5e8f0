using BioSim.Engine.Plugins;
using BioSim.IO.Compare;
using BioSim.Workflows;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>Contract tests over every comparison task the catalogue knows, through each task's own example settings: the
/// settings describe the shapes the data then has, and the same settings give the same data.</summary>
[TestFixture, Category("Unit")]
public sealed class CompareTaskContractTests
{
    private static readonly Catalogue Catalogue = BioSimServiceCollectionExtensions.BuildBioSimServices().GetRequiredService<Catalogue>();

    /// <summary>Every registered task with the index of each of its examples.</summary>
    public static IEnumerable<TestCaseData> TaskExamples() =>
        Catalogue.Names<ITask>().SelectMany(name => Catalogue.Get<ITask>(name, "task").Examples.Select((_, i) => new TestCaseData(name, i)));

    [Test]
    public void EveryTaskHasAnExample([ValueSource(typeof(CompareTaskContractTests), nameof(Names))] string name) =>
        Assert.That(Catalogue.Get<ITask>(name, "task").Examples, Is.Not.Empty, "a task's examples drive its contract test");

    public static IEnumerable<string> Names() => Catalogue.Names<ITask>();

    [TestCaseSource(nameof(TaskExamples))]
    public void EveryTaskLoadsTheSameDataFromTheSameSettings(string name, int example)
    {
        var task = Catalogue.Get<ITask>(name, "task");
        var settings = task.Examples[example];
        Assert.That(settings, Is.InstanceOf(task.SettingsType));
        var spec = task.Describe(name, settings);
        Assert.That(spec.Type, Is.EqualTo(name), "a task's settings name the task they were read for");
        Assert.That(spec.Description, Does.StartWith(name));
        // A missing data set (dataset-fashion-mnist, installed by .ci/setup) fails here: a skip would hide a broken machine.
        var a = Catalogue.LoadTask(spec);
        var b = Catalogue.LoadTask(spec);
        Assert.That((a.Train.InputSize, a.Train.OutputSize), Is.EqualTo((spec.Inputs, spec.Outputs)));
        Assert.That(a.Train.Labels is not null, Is.EqualTo(spec.Classification), "classification tasks carry labels, regressions targets");
        Assert.That(b.Train.Inputs, Is.EqualTo(a.Train.Inputs));
        Assert.That(b.Test.Inputs, Is.EqualTo(a.Test.Inputs));
        Assert.That(b.Train.Targets ?? [], Is.EqualTo(a.Train.Targets ?? []));
        Assert.That(b.Train.Labels ?? [], Is.EqualTo(a.Train.Labels ?? []));
        Assert.That(a.Train.Inputs, Is.Not.EqualTo(a.Test.Inputs.Concat(a.Test.Inputs).ToArray()), "train and test rows differ");
    }

    /// <summary>The examples' sample counts (40 training, 20 test rows in every example) are what the data has.</summary>
    [TestCaseSource(nameof(TaskExamples))]
    public void EveryTaskGivesTheSamplesItsSettingsAskFor(string name, int example)
    {
        var task = Catalogue.Get<ITask>(name, "task");
        var (train, test) = Catalogue.LoadTask(task.Describe(name, task.Examples[example]));
        Assert.That((train.Count, test.Count), Is.EqualTo((40, 20)));
    }

    [Test]
    public void AnUnknownTaskListsTheKnownOnes()
    {
        var ex = Assert.Throws<UnknownPluginException>(() => Catalogue.LoadTask(new TaskSpec("cifar-10", new object(), 3072, 10, true, "cifar-10")));
        Assert.That(ex!.Message, Does.Contain("'cifar-10'").And.Contain("fashion-mnist, teacher-student"));
    }

    [Test]
    public void SettingsOfAnotherTaskAreRefused()
    {
        var ex = Assert.Throws<ArgumentException>(() => Catalogue.Get<ITask>("teacher-student", "task").Describe("teacher-student", new FashionMnistSettings()));
        Assert.That(ex!.Message, Does.Contain("TeacherStudentSettings"));
    }
}
