using BioSim.IO.Experiments;
using BioSim.Tests.Cli;
using NUnit.Framework;

namespace BioSim.Tests.Circuits.Stimuli;

/// <summary>Bad current-device input (times not increasing, negative dt_noise, a target that cannot take current, a missing
/// or malformed schedule file, a bad delay or receptor) is one line naming the experiment file, the JSON path of the field,
/// the value and what is allowed; and a schedule file that is good is read into the device.</summary>
[TestFixture, Category("Unit")]
public sealed class CurrentInputErrorTests : TempDirectoryFixture
{
    private static string Json(string model, string parameters, string target = "lif", string projection = "") => $$$"""
        {"name": "bad", "seed": 1, "dt": 0.1, "duration": 10.0,
         "populations": [{"name": "in", "size": 1, "model": "{{{model}}}", "parameters": {{{parameters}}}},
                         {"name": "out", "size": 2, "model": "{{{target}}}", "parameters": {}}],
         "projections": [{"source": "in", "target": "out", "connectivity": {"rule": "all-to-all"}, "weight": 1.0{{{projection}}}}]}
        """;

    private static readonly object[] BadInput =
    [
        new object[] { Json("step-current-generator", """{"amplitude_times": [5.0, 2.0], "amplitude_values": [1.0, 2.0]}"""),
            "bad.json: populations[0].parameters.amplitude_times: entry 1 (2 ms) does not follow entry 0 (5 ms); times must be strictly increasing" },
        new object[] { Json("step-current-generator", """{"amplitude_times": [-1.0], "amplitude_values": [1.0]}"""),
            "bad.json: populations[0].parameters.amplitude_times: entry 0 is -1; times must be finite and ≥ 0 ms" },
        new object[] { Json("step-current-generator", """{"amplitude_times": [1.0, 2.0], "amplitude_values": [1.0]}"""),
            "bad.json: populations[0].parameters.amplitude_values: 1 values for 2 amplitude_times; give one value per time" },
        new object[] { Json("step-current-generator", """{"amplitude_times": [1.0, 20.0], "amplitude_values": [1.0, 0.0], "repeat_period": 15.0}"""),
            "bad.json: populations[0].parameters.repeat_period: 15 ms does not exceed the last amplitude time (20 ms); the period must contain every time" },
        new object[] { Json("noise-generator", """{"mean": 10.0, "std": 5.0, "dt_noise": -0.5}"""),
            "bad.json: populations[0].parameters.dt_noise: must be a positive number of ms, got -0.5" },
        new object[] { Json("noise-generator", """{"std": -5.0}"""),
            "bad.json: populations[0].parameters.std: must be a finite number of pA ≥ 0, got -5" },
        new object[] { Json("noise-generator", """{"start": 50.0, "stop": 20.0}"""),
            "bad.json: populations[0].parameters.stop: must come after start (50 ms), got 20" },
        new object[] { Json("noise-generator", """{"std": 5.0}""", target: "spike-generator"),
            "bad.json: projections[0].target: population 'out' (model 'spike-generator') cannot take the current of device 'in' (noise-generator); current devices drive: adex, hh, lif, lif-cond" },
        new object[] { Json("noise-generator", """{"std": 5.0}""", target: "poisson-generator"),
            "bad.json: projections[0].target: population 'out' (model 'poisson-generator') cannot take the current of device 'in' (noise-generator); current devices drive: adex, hh, lif, lif-cond" },
        new object[] { Json("noise-generator", """{"std": 5.0}""", projection: ", \"receptor\": \"exc\""),
            "bad.json: projections[0].receptor: 'in' is a current device (noise-generator); its current enters the membrane directly: give \"receptor\": \"current\" or leave it out" },
        new object[] { Json("noise-generator", """{"std": 5.0}""", projection: ", \"delay\": {\"uniform\": [1.0, 2.0]}"),
            "bad.json: projections[0].delay: a current device's projection takes one delay ≥ 0 ms (a number), got {\"uniform\": [1.0, 2.0]}" },
        new object[] { Json("step-current-generator", """{"amplitude_times": [1.0], "amplitude_values": [1.0]}""", projection: ", \"plasticity\": {\"rule\": \"stdp\", \"w_max\": 2}"),
            "bad.json: projections[0].plasticity: 'in' is a current device (step-current-generator); its projections carry a current, not synapses a rule could change; remove \"plasticity\"" },
        new object[] { Json("noise-generator", """{"std": 5.0}""", projection: ", \"name\": \"drive\"")[..^1] + ", \"record\": {\"weights\": [{\"projection\": \"drive\"}]}}",
            "bad.json: record.weights[0].projection: 'drive' is the projection of current device 'in': its weights scale a current and never change; record the target's \"I_stim\" instead" },
    ];

    [TestCaseSource(nameof(BadInput))]
    public void BadInputIsOneLineNamingFileAndField(string json, string message)
    {
        var error = Assert.Throws<ExperimentException>(() => StimulusExperiments.Reader.Read(json, "bad.json"))!;
        Assert.That(error.Message, Is.EqualTo(message));
    }

    [Test]
    public void AMissingScheduleFileIsNamedWithItsField()
    {
        string experiment = Path.Combine(Dir, "bad.json");
        File.WriteAllText(experiment, Json("step-current-generator", """{"file": "missing.txt"}"""));
        var error = Assert.Throws<ExperimentException>(() => StimulusExperiments.Reader.ReadFile(experiment))!;
        Assert.That(error.Message, Is.EqualTo($"{experiment}: populations[0].parameters.file: the schedule file '{Path.Combine(Dir, "missing.txt")}' does not exist; " +
            "give a text file of \"time amplitude\" lines (ms, pA) relative to the experiment file"));
    }

    [TestCase("0 10\n5 20\n3 0\n", "line 3: time 3 ms does not follow the previous time (5 ms); times must be strictly increasing")]
    [TestCase("# t I\n0 10\n5 twenty\n", "line 3: \"5 twenty\" is not two numbers \"time amplitude\" (ms, pA)")]
    [TestCase("-1 10\n", "line 1: time -1 ms; times must be finite and ≥ 0 ms")]
    public void ABadScheduleFileNamesTheFileAndLine(string content, string problem)
    {
        string experiment = Path.Combine(Dir, "bad.json");
        File.WriteAllText(Path.Combine(Dir, "steps.txt"), content);
        File.WriteAllText(experiment, Json("step-current-generator", """{"file": "steps.txt"}"""));
        var error = Assert.Throws<ExperimentException>(() => StimulusExperiments.Reader.ReadFile(experiment))!;
        Assert.That(error.Message, Is.EqualTo($"{experiment}: populations[0].parameters.file: '{Path.Combine(Dir, "steps.txt")}' {problem}"));
    }

    /// <summary>A schedule file gives the same device as the same schedule inline: the same LIF spike times, bit for bit.</summary>
    [Test]
    public void AScheduleFileDrivesTheSameSpikesAsTheInlineSchedule()
    {
        File.WriteAllText(Path.Combine(Dir, "steps.txt"), "# time (ms), amplitude (pA)\n1.25, 300000\n\n9.5 0\n");
        string fromFile = Path.Combine(Dir, "file.json");
        string inline = Path.Combine(Dir, "inline.json");
        File.WriteAllText(fromFile, Json("step-current-generator", """{"file": "steps.txt"}"""));
        File.WriteAllText(inline, Json("step-current-generator", """{"amplitude_times": [1.25, 9.5], "amplitude_values": [300000, 0]}"""));
        var a = StimulusExperiments.Builder.Build(StimulusExperiments.Reader.ReadFile(fromFile), 1, 0);
        var b = StimulusExperiments.Builder.Build(StimulusExperiments.Reader.ReadFile(inline), 1, 0);
        var logA = new SpikeLog(1);
        var logB = new SpikeLog(1);
        a.Simulator.AddObserver(logA);
        b.Simulator.AddObserver(logB);
        a.Simulator.Run(100);
        b.Simulator.Run(100);
        Assert.That(logA.Spikes, Has.Count.GreaterThanOrEqualTo(4), "300 nA through R_m = 1 MΩ (300 mV) makes both lif neurons fire, every ~3.4 ms");
        Assert.That(logA.Spikes, Is.EqualTo(logB.Spikes));
    }
}
