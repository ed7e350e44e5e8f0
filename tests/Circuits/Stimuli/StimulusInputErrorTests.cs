using BioSim.Circuits.Stimuli;
using BioSim.IO.Experiments;
using BioSim.Tests.Cli;
using BioSim.Workflows.Runs;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Circuits.Stimuli;

/// <summary>Bad stimulus input is one line naming the experiment file, the JSON path of the field, the value and what is
/// allowed (the README's promise for every experiment error).</summary>
[TestFixture, Category("Unit")]
public sealed class StimulusInputErrorTests : TempDirectoryFixture
{
    private static string Json(string model, string parameters, int size = 2, string extra = "") => $$$"""
        {"name": "bad", "seed": 1, "dt": 0.1, "duration": 10.0,
         "populations": [{"name": "in", "size": {{{size}}}, "model": "{{{model}}}", "parameters": {{{parameters}}}{{{extra}}}}]}
        """;

    private static readonly object[] BadInput =
    [
        new object[] { "spike-generator", """{"times": [[1.0, -2.0], []]}""",
            "bad.json: populations[0].parameters.times: train 0, spike 1 is -2; spike times must be finite and ≥ 0 ms" },
        new object[] { "spike-generator", """{"times": [[0.5], [3.0, 1.0]]}""",
            "bad.json: populations[0].parameters.times: train 1, spike 1 (1 ms) comes before spike 0 (3 ms); times must be non-decreasing" },
        new object[] { "spike-generator", """{"ids": [0, 1, 0], "spike_times": [2.0, 1.0, 1.5]}""",
            "bad.json: populations[0].parameters.spike_times: entry 2 (1.5 ms) comes before the previous spike of neuron 0 (2 ms); give each neuron's times in non-decreasing order" },
        new object[] { "spike-generator", """{"ids": [0, -1], "spike_times": [2.0, 1.0]}""",
            "bad.json: populations[0].parameters.ids: entry 1 is -1; neuron ids are ≥ 0" },
        new object[] { "spike-generator", """{"ids": [0, 1], "spike_times": [2.0]}""",
            "bad.json: populations[0].parameters.spike_times: 1 times for 2 ids; give one time per id" },
        new object[] { "spike-generator", """{"times": [[1.0], []], "file": "x.h5"}""",
            "bad.json: populations[0].parameters.times: give the spike times one way only: times (one list per neuron), ids with spike_times, or file" },
        new object[] { "poisson-generator", """{"rate": -5.0}""",
            "bad.json: populations[0].parameters.rate: must be a non-negative number of Hz, got -5" },
        new object[] { "poisson-generator", """{"rate": 5.0, "rate_times": [100.0, 50.0], "rates": [1.0, 2.0]}""",
            "bad.json: populations[0].parameters.rate_times: entry 1 (50 ms) does not follow entry 0 (100 ms); times must be strictly increasing" },
        new object[] { "poisson-generator", """{"rate_times": [100.0], "rates": [-1.0]}""",
            "bad.json: populations[0].parameters.rates: entry 0 is -1; rates must be finite and ≥ 0 Hz" },
        new object[] { "poisson-generator", """{"rate_times": [100.0, 200.0], "rates": [1.0]}""",
            "bad.json: populations[0].parameters.rates: 1 rates for 2 rate_times; give one rate per time" },
    ];

    [TestCaseSource(nameof(BadInput))]
    public void BadParametersAreOneLineNamingFileAndField(string model, string parameters, string message)
    {
        var error = Assert.Throws<ExperimentException>(() => StimulusExperiments.Reader.Read(Json(model, parameters), "bad.json"))!;
        Assert.That(error.Message, Is.EqualTo(message));
    }

    [Test]
    public void AMissingSpikeFileIsNamedWithItsField()
    {
        string experiment = Path.Combine(Dir, "bad.json");
        File.WriteAllText(experiment, Json("spike-generator", """{"file": "missing.h5"}"""));
        var error = Assert.Throws<ExperimentException>(() => StimulusExperiments.Reader.ReadFile(experiment))!;
        Assert.That(error.Message, Is.EqualTo($"{experiment}: populations[0].parameters.file: the spike file '{Path.Combine(Dir, "missing.h5")}' does not exist; " +
            "give a SONATA spike file (.h5) relative to the experiment file"));
    }

    /// <summary>A file that is not HDF5, a population the file does not hold, and node ids beyond the generator's size.</summary>
    [Test]
    public void ASpikeFileThatDoesNotFitIsNamedWithItsField()
    {
        string experiment = Path.Combine(Dir, "bad.json");
        File.WriteAllText(Path.Combine(Dir, "text.h5"), "not HDF5");
        File.WriteAllText(experiment, Json("spike-generator", """{"file": "text.h5"}"""));
        var error = Assert.Throws<ExperimentException>(() => StimulusExperiments.Reader.ReadFile(experiment))!;
        Assert.That(error.Message, Does.StartWith($"{experiment}: populations[0].parameters.file: '{Path.Combine(Dir, "text.h5")}' is not a readable SONATA spike file (HDF5)"));
        Assert.That(error.Message, Does.Not.Contain('\n'));

        string recorded = Path.Combine(Dir, "three.json");
        File.WriteAllText(recorded, Json("spike-generator", """{"times": [[1.0], [2.0], [3.0]]}""", size: 3).Replace("]}]}", "]}], \"record\": {\"spikes\": [\"in\"]}}", StringComparison.Ordinal));
        StimulusExperiments.Services.GetRequiredService<ExperimentRunner>().Run(StimulusExperiments.Reader.ReadFile(recorded), Path.Combine(Dir, "three.h5"));

        File.WriteAllText(experiment, Json("spike-generator", """{"file": "three.h5", "population": "exc"}""", size: 3));
        error = Assert.Throws<ExperimentException>(() => StimulusExperiments.Reader.ReadFile(experiment))!;
        Assert.That(error.Message, Is.EqualTo($"{experiment}: populations[0].parameters.population: '{Path.Combine(Dir, "three.h5")}' has no spike population 'exc'; it has: in"));

        File.WriteAllText(experiment, Json("spike-generator", """{"file": "three.h5"}""", size: 2));
        error = Assert.Throws<ExperimentException>(() => StimulusExperiments.Reader.ReadFile(experiment))!;
        Assert.That(error.Message, Is.EqualTo($"{experiment}: populations[0].parameters.file: '{Path.Combine(Dir, "three.h5")}': /spikes/in has node id 2, but this population has 2 neurons (ids 0 to 1)"));
    }

    [Test]
    public void AGeneratorTakesNoReceptors()
    {
        string json = Json("poisson-generator", """{"rate": 5.0}""", extra: """, "receptors": [{"name": "exc", "model": "exp-current", "tau": 5.0}]""");
        var error = Assert.Throws<ExperimentException>(() => StimulusExperiments.Reader.Read(json, "bad.json"))!;
        Assert.That(error.Message, Is.EqualTo("bad.json: populations[0].receptors[0].model: model 'poisson-generator' has no receptors (no projection can target it); remove \"receptors\""));
    }

    /// <summary>Spike times that do not fit the population's size are named when the file is read, and again if a program
    /// builds the population itself.</summary>
    [Test]
    public void TimesForAnotherNumberOfNeuronsAreNamed()
    {
        var error = Assert.Throws<ExperimentException>(() => StimulusExperiments.Reader.Read(Json("spike-generator", """{"times": [[1.0], [2.0], [3.0]]}"""), "bad.json"))!;
        Assert.That(error.Message, Is.EqualTo("bad.json: populations[0].parameters.times: 3 trains for 2 neurons; give one list per neuron"));
        error = Assert.Throws<ExperimentException>(() => StimulusExperiments.Reader.Read(Json("spike-generator", """{"ids": [0, 2], "spike_times": [1.0, 2.0]}"""), "bad.json"))!;
        Assert.That(error.Message, Is.EqualTo("bad.json: populations[0].parameters.ids: entry 1 is 2, but the population has 2 neurons (ids 0 to 1)"));
        var direct = Assert.Throws<ArgumentException>(() => new SpikeGeneratorPopulation("in", 2, new SpikeGeneratorParameters { ids = [0, 2], spike_times = [1.0, 2.0] }, []))!;
        Assert.That(direct.Message, Is.EqualTo("Population 'in' (spike-generator): ids: entry 1 is 2, but the population has 2 neurons (ids 0 to 1)"));
    }
}
