using BioSim.Engine.Plugins;
using BioSim.IO.Compare;
using BioSim.IO.Datasets;
using BioSim.Workflows;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>Contract tests over every comparison task the catalogue knows: the same settings give the same data, of the
/// shapes the settings ask for.</summary>
[TestFixture, Category("Unit")]
public sealed class CompareTaskContractTests
{
    private static readonly Catalogue Catalogue = BioSimServiceCollectionExtensions.BuildBioSimServices().GetRequiredService<Catalogue>();

    public static IEnumerable<string> TaskNames() => Catalogue.Names<ITask>();

    /// <summary>Small settings for the task named <paramref name="name"/> (its description).</summary>
    private static TaskSpec Small(string name) => name == "fashion-mnist"
        ? new TaskSpec("fashion-mnist", "", 784, 0, FashionMnist.Classes, 40, 20, 0, FashionMnist.DefaultDirectory)
        : new TaskSpec(name.Split('/')[0], name.Split('/')[^1], 5, 4, 3, 40, 20, 9, "", TargetRms: 1.5);

    [Test]
    public void EveryTaskLoadsTheSameDataFromTheSameSettings([ValueSource(nameof(TaskNames))] string name)
    {
        var spec = Small(name);
        Assert.That(spec.Description, Is.EqualTo(name), "a task's name is its settings' description");
        // A missing data set (dataset-fashion-mnist, installed by .ci/setup) fails here: a skip would hide a broken machine.
        var a = Catalogue.LoadTask(spec);
        var b = Catalogue.LoadTask(spec);
        Assert.That((a.Train.Count, a.Test.Count), Is.EqualTo((40, 20)));
        Assert.That((a.Train.InputSize, a.Train.OutputSize), Is.EqualTo((spec.Inputs, spec.Outputs)));
        Assert.That(b.Train.Inputs, Is.EqualTo(a.Train.Inputs));
        Assert.That(b.Test.Inputs, Is.EqualTo(a.Test.Inputs));
        Assert.That(b.Train.Targets ?? [], Is.EqualTo(a.Train.Targets ?? []));
        Assert.That(b.Train.Labels ?? [], Is.EqualTo(a.Train.Labels ?? []));
        Assert.That(a.Train.Inputs, Is.Not.EqualTo(a.Test.Inputs.Concat(a.Test.Inputs).ToArray()), "train and test rows differ");
    }

    [Test]
    public void AnUnknownTaskListsTheKnownOnes()
    {
        var ex = Assert.Throws<UnknownPluginException>(() => Catalogue.LoadTask(new TaskSpec("teacher-student", "cubic", 2, 0, 1, 4, 4, 0, "")));
        Assert.That(ex!.Message, Does.Contain("'teacher-student/cubic'").And.Contain("fashion-mnist, teacher-student/linear, teacher-student/tanh"));
    }
}
