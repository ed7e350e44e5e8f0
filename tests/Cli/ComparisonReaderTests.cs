using BioSim.Engine.Plugins;
using BioSim.IO.Compare;
using BioSim.IO.Experiments;
using BioSim.Plasticity.Rules;
using BioSim.Workflows;
using BioSim.Workflows.Compare;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>
/// Rule-comparison files: what a valid file turns into, and one sentence per mistake naming the file,
/// the JSON path, the value and what is allowed (the convention of ExperimentReader).
/// </summary>
[TestFixture, Category("Unit")]
public sealed class ComparisonReaderTests
{
    private static readonly IServiceProvider Services = BioSimServiceCollectionExtensions.BuildBioSimServices();

    private const string Valid = """
        { "task": {"type": "teacher-student", "teacher": "tanh", "inputs": 5, "hidden": 4, "outputs": 2, "train_samples": 50, "test_samples": 10},
          "architecture": {"layers": [8, 2], "activation": "tanh", "loss": "mse"},
          "optimiser": {"type": "adam", "bias_correction": false}, "lr": 0.01, "batch": 4, "epochs": 2, "seeds": [3, 1],
          "rules": ["backprop", {"name": "feedback-alignment", "label": "fa-wide", "options": {"feedback": {"uniform": [-0.5, 0.5]}}}] }
        """;

    private static ComparisonExperiment Read(string json) => Services.GetRequiredService<ComparisonReader>().Read(json, "c.json");

    private static string Error(Func<string, string> change) =>
        Assert.Throws<ExperimentException>(() => Read(change(Valid)))!.Message;

    [Test]
    public void AValidFileGivesRulesWithTheirOptions()
    {
        var e = Read(Valid);
        Assert.That(e.Seeds, Is.EqualTo(new ulong[] { 3, 1 }));
        Assert.That(e.Rules.Select(r => r.Label), Is.EqualTo(new[] { "backprop", "fa-wide" }));
        var fa = (FeedbackAlignment)e.Rules[1].Create(Services.GetRequiredService<Catalogue>());
        Assert.That(fa.Feedback, Is.InstanceOf<BioSim.Engine.Random.UniformDistribution>());
        Assert.That(((BioSim.Plasticity.Optimisers.Adam)e.Optimiser.Create(Services.GetRequiredService<Catalogue>())).BiasCorrection, Is.False);
        Assert.That(e.Alignment, Is.True);
    }

    /// <summary>GAIT-prop's network: square layers with an orthogonal start, and an mse output layer wider than the
    /// task whose extra units are auxiliary (their target is their own activity).</summary>
    [Test]
    public void OrthogonalInitAndAuxiliaryOutputUnits()
    {
        var e = Read(Valid.Replace("\"layers\": [8, 2], \"activation\": \"tanh\"", "\"layers\": [5, 5], \"activation\": \"leaky-relu:0.1\", \"init\": \"orthogonal\""));
        Assert.That(e.Architecture.Init.Name, Is.EqualTo("orthogonal"));
        Assert.That(e.Architecture.TaskOutputs, Is.EqualTo(2));
        Assert.That(((BioSim.Plasticity.Networks.MeanSquaredError)e.Architecture.CreateLoss(Services.GetRequiredService<BioSim.Engine.Plugins.Catalogue>())).TaskOutputs, Is.EqualTo(2));

        Assert.That(Error(j => j.Replace("\"activation\": \"tanh\"", "\"activation\": \"tanh\", \"init\": \"orthogonal\"")),
            Is.EqualTo("c.json: architecture.init: \"orthogonal\" needs square layers, but layer 1 maps 5 → 8; make every layer 5 wide or choose another init"));
        Assert.That(Error(j => j.Replace("\"layers\": [8, 2]", "\"layers\": [8, 3]").Replace("\"loss\": \"mse\"", "\"loss\": \"softmax-cross-entropy\"")),
            Does.Contain("has 3 units but"));
    }

    /// <summary>List options (per-layer rates) and the Xavier-uniform start of the correlative infomax code.</summary>
    [Test]
    public void ListOptionsAndXavierInit()
    {
        var e = Read(Valid.Replace("\"activation\": \"tanh\"", "\"activation\": \"unit-clip\", \"init\": \"xavier-uniform\"")
            .Replace("\"rules\": [\"backprop\",", "\"rules\": [{\"name\": \"correlative-infomax\", \"options\": {\"forward_rates\": [0.3, 0.22]}},"));
        Assert.That(e.Architecture.Init.Name, Is.EqualTo("xavier-uniform"));
        var rule = (CorrelativeInfomax)e.Rules[0].Create(Services.GetRequiredService<Catalogue>());
        Assert.That(rule.ForwardRates, Is.EqualTo(new[] { 0.3, 0.22 }));
        Assert.That(Error(j => j.Replace("\"rules\": [\"backprop\",", "\"rules\": [{\"name\": \"correlative-infomax\", \"options\": {\"forward_rates\": 0.3}},")),
            Does.Contain("rules[0].options.forward_rates: must be an array of finite numbers, got the number 0.3"));
    }

    /// <summary>A rule's own "init" (GAIT-prop from orthogonal and from Xavier-uniform weights in one comparison), read with the
    /// architecture's rules and errors at the rule's path.</summary>
    [Test]
    public void ARuleMayStartFromItsOwnInitialWeights()
    {
        var e = Read(Valid.Replace("\"label\": \"fa-wide\",", "\"label\": \"fa-wide\", \"init\": \"xavier-uniform\","));
        Assert.That((e.Rules[0].Init?.Name, e.Rules[1].Init?.Name), Is.EqualTo(((string?)null, "xavier-uniform")));
        e = Read(Valid.Replace("\"label\": \"fa-wide\",", "\"label\": \"fa-wide\", \"init\": {\"normal\": [0, 1]},"));
        Assert.That(e.Rules[1].Init!.Name, Is.EqualTo("distribution"));
        var law = ((BioSim.Plasticity.Networks.DistributionInitialisation)e.Rules[1].Init!.Create(Services.GetRequiredService<Catalogue>())).Law;
        Assert.That(law, Is.EqualTo((BioSim.Engine.Random.Distribution)new BioSim.Engine.Random.NormalDistribution(0, 1)));
        Assert.That(e.Rules[1].Init!.ToString(), Is.EqualTo(law.ToString()), "the summary names the law as the file gave it");
        // The long form names the initialisation and its settings, like an optimiser.
        e = Read(Valid.Replace("\"label\": \"fa-wide\",", "\"label\": \"fa-wide\", \"init\": {\"type\": \"distribution\", \"law\": {\"uniform\": [-1, 1]}},"));
        Assert.That(((BioSim.Plasticity.Networks.DistributionInitialisation)e.Rules[1].Init!.Create(Services.GetRequiredService<Catalogue>())).Law,
            Is.EqualTo((BioSim.Engine.Random.Distribution)new BioSim.Engine.Random.UniformDistribution(-1, 1)));
        Assert.That(Error(j => j.Replace("\"label\": \"fa-wide\",", "\"label\": \"fa-wide\", \"init\": {\"type\": \"distribution\", \"lw\": 1},")),
            Is.EqualTo("c.json: rules[1].init.lw: unknown field; allowed: type, law"));
        Assert.That(Error(j => j.Replace("\"label\": \"fa-wide\",", "\"label\": \"fa-wide\", \"init\": {\"type\": \"he\"},")),
            Does.StartWith("c.json: rules[1].init.type: unknown initialisation 'he'; allowed: distribution, orthogonal, pytorch, xavier-uniform"));
        Assert.That(Error(j => j.Replace("\"label\": \"fa-wide\",", "\"label\": \"fa-wide\", \"init\": \"orthogonal\",")),
            Is.EqualTo("c.json: rules[1].init: \"orthogonal\" needs square layers, but layer 1 maps 5 → 8; make every layer 5 wide or choose another init"));
        Assert.That(Error(j => j.Replace("\"label\": \"fa-wide\",", "\"label\": \"fa-wide\", \"init\": \"he\",")),
            Does.StartWith("c.json: rules[1].init: must be a number or a distribution, got the string \"he\"; give \"pytorch\""));
    }

    /// <summary>The task's own settings are checked by the task plug-in, with errors at the file's path.</summary>
    [Test]
    public void TaskSettingsAreCheckedByTheTask()
    {
        Assert.That(Error(j => j.Replace("\"teacher\": \"tanh\"", "\"teacher\": \"cubic\"")),
            Is.EqualTo("c.json: task.teacher: unknown teacher 'cubic'; allowed: linear, tanh"));
        Assert.That(Error(j => j.Replace("\"teacher\": \"tanh\"", "\"teacher\": \"linear\"")),
            Does.StartWith("c.json: task.hidden: the linear teacher y = T x has no hidden layer"));
        Assert.That(Error(j => j.Replace("\"hidden\": 4, ", "")), Does.StartWith("c.json: task.hidden: required by the tanh teacher"));
        Assert.That(Error(j => j.Replace("\"train_samples\": 50", "\"train_samples\": 0")),
            Is.EqualTo("c.json: task.train_samples: must be an integer in [1, 10000000], got 0"));
        Assert.That(Error(j => j.Replace("\"hidden\": 4", "\"hiden\": 4")), Does.StartWith("c.json: task.hiden: unknown field; allowed: teacher, inputs, hidden"));
        Assert.That(Error(j => j.Replace("\"type\": \"teacher-student\"", "\"type\": \"cifar-10\"")),
            Is.EqualTo("c.json: task.type: unknown task 'cifar-10'; allowed: fashion-mnist, teacher-student"));
        Assert.That(Error(j => j.Replace("\"outputs\": 2, ", "")), Does.StartWith("c.json: task: ").And.Contain("outputs"));
    }

    /// <summary>
    /// The Song, Xu &amp; Lafferty task and net as a comparison describes them: unit-norm inputs, targets scaled to unit RMS
    /// on the training rows, output layer scaled by 1/√p with a rule's own L2. Expected: the training set equals, bit for
    /// bit, the one tests/Validation/FeedbackAlignmentSongTests.cs builds (the first 50 rows of the same streams, scaled
    /// by the same factor), every input row has norm 1 (1e-6: stored as float), and the layer spec carries 1/√1000 and λ.
    /// </summary>
    [Test]
    public void SongTaskAndMeanFieldOutputLayer()
    {
        string json = Valid.Replace("\"inputs\": 5, \"hidden\": 4, \"outputs\": 2, \"train_samples\": 50, \"test_samples\": 10}",
                "\"inputs\": 20, \"hidden\": 10, \"outputs\": 1, \"train_samples\": 50, \"test_samples\": 10, \"seed\": 3, \"unit_norm_inputs\": true, \"target_rms\": 1.0}")
            .Replace("\"layers\": [8, 2]", "\"layers\": [1000, 1], \"output_scale\": \"1/sqrt(n_in)\", \"init\": {\"normal\": [0, 1]}, \"bias\": false")
            .Replace("\"label\": \"fa-wide\",", "\"label\": \"fa-wide\", \"output_l2\": 0.002,");
        var e = Read(json);
        var (train, test) = Services.GetRequiredService<RuleComparison>().LoadData(e.Task);
        var reference = BioSim.Plasticity.Data.TeacherStudent.Tanh(20, 10, 1, 50, 3, unitNormInputs: true);
        double rms = Math.Sqrt(reference.Targets!.Sum(v => (double)v * v) / 50);
        Assert.That(train.Inputs, Is.EqualTo(reference.Inputs));
        Assert.That(train.Targets, Is.EqualTo(Array.ConvertAll(reference.Targets!, v => (float)(v / rms))));
        Assert.That(test.Count, Is.EqualTo(10));
        for (int r = 0; r < test.Count; r++)
            Assert.That(Math.Sqrt(test.Inputs.AsSpan(r * 20, 20).ToArray().Sum(v => (double)v * v)), Is.EqualTo(1.0).Within(1e-6));
        var net = Services.GetRequiredService<RuleComparison>().CreateNetwork(e, 1, e.Rules[1]);
        Assert.That((net.Layers[1].Scale, net.Layers[1].L2, net.Layers[0].L2), Is.EqualTo((1 / Math.Sqrt(1000), 0.002, 0.0)));
        Assert.That(Services.GetRequiredService<RuleComparison>().CreateNetwork(e, 1, e.Rules[0]).Layers[1].L2, Is.Zero);
        Assert.That(Error(j => j.Replace("\"layers\": [8, 2]", "\"layers\": [8, 2], \"output_scale\": \"mean-field\"")),
            Is.EqualTo("c.json: architecture.output_scale: must be a non-zero number or \"1/sqrt(n_in)\" (1/√8 here, the mean-field scaling of Song, Xu & Lafferty 2021), got the string \"mean-field\""));
        Assert.That(Error(j => j.Replace("\"label\": \"fa-wide\",", "\"label\": \"fa-wide\", \"output_l2\": -1,")),
            Is.EqualTo("c.json: rules[1].output_l2: must be ≥ 0 (λ of the penalty (λ/2)‖W_L‖²), got -1"));
        Assert.That(Error(j => j.Replace("\"test_samples\": 10}", "\"test_samples\": 10, \"target_rms\": 0}")),
            Is.EqualTo("c.json: task.target_rms: must be positive, got 0"));
    }

    /// <summary>"lr_schedule": segments become a <see cref="BioSim.Plasticity.Training.LearningRateSchedule"/> whose factors are
    /// f^(E − 1) with f of the segment holding epoch E; each mistake names the segment and field.</summary>
    [Test]
    public void LearningRateScheduleSegments()
    {
        const string official = "\"lr_schedule\": [{\"from_epoch\": 1, \"factor_per_epoch\": 0.95}, {\"from_epoch\": 21, \"factor_per_epoch\": 0.9}, {\"from_epoch\": 26, \"factor_per_epoch\": 0.8}], \"epochs\": 2";
        var e = Read(Valid.Replace("\"epochs\": 2", official));
        Assert.That(e.Schedule!.Segments, Is.EqualTo(BioSim.Plasticity.Training.LearningRateSchedule.CorInfoMaxFashion.Segments));
        Assert.That(e.Schedule.Factor(22), Is.EqualTo(Math.Pow(0.9, 21)));
        Assert.That(Read(Valid).Schedule, Is.Null);
        string With(string schedule) => Error(j => j.Replace("\"epochs\": 2", $"\"lr_schedule\": {schedule}, \"epochs\": 2"));
        Assert.That(With("0.95"), Does.StartWith("c.json: lr_schedule: must be a non-empty array of segments"));
        Assert.That(With("[]"), Does.StartWith("c.json: lr_schedule: must be a non-empty array of segments"));
        Assert.That(With("[{\"from_epoch\": 3, \"factor_per_epoch\": 0.9}]"),
            Does.StartWith("c.json: lr_schedule[0].from_epoch: the first segment must start at epoch 1, got 3"));
        Assert.That(With("[{\"from_epoch\": 1, \"factor_per_epoch\": 0.9}, {\"from_epoch\": 1, \"factor_per_epoch\": 0.8}]"),
            Does.StartWith("c.json: lr_schedule[1].from_epoch: segment 2 starts at epoch 1, not after the segment before it"));
        Assert.That(With("[{\"from_epoch\": 1, \"factor_per_epoch\": -0.9}]"), Is.EqualTo("c.json: lr_schedule[0].factor_per_epoch: must be positive, got -0.9"));
        Assert.That(With("[{\"from_epoch\": 1, \"factor\": 0.9}]"), Is.EqualTo("c.json: lr_schedule[0].factor: unknown field; allowed: from_epoch, factor_per_epoch"));
        Assert.That(With("[{\"from_epoch\": 0.5, \"factor_per_epoch\": 0.9}]"), Is.EqualTo("c.json: lr_schedule[0].from_epoch: must be an integer in [1, 100000], got 0.5"));
    }

    [Test]
    public void MistakesNameTheFieldAndWhatIsAllowed()
    {
        Assert.That(Error(j => j.Replace("\"layers\": [8, 2]", "\"input\": 6, \"layers\": [8, 2]")),
            Is.EqualTo("c.json: architecture.input: layer 1 takes 6 inputs but teacher-student/tanh gives 5 per sample; make it 5"));
        Assert.That(Error(j => j.Replace("\"loss\": \"mse\"", "\"loss\": \"hinge\"")),
            Is.EqualTo("c.json: architecture.loss: unknown loss 'hinge'; allowed: mse, softmax-cross-entropy"));
        Assert.That(Error(j => j.Replace("\"activation\": \"tanh\"", "\"activation\": \"swish\"")),
            Does.StartWith("c.json: architecture.activation: unknown activation 'swish'; allowed: hard-sigmoid, identity,"));
        Assert.That(Error(j => j.Replace("\"label\": \"fa-wide\"", "\"label\": \"backprop\"")),
            Does.StartWith("c.json: rules[1]: 'backprop' is compared twice"));
        Assert.That(Error(j => j.Replace("\"type\": \"adam\"", "\"type\": \"lbfgs\"")),
            Is.EqualTo("c.json: optimiser.type: unknown optimiser 'lbfgs'; allowed: adam, rmsprop, sgd"));
        Assert.That(Error(j => j.Replace("\"seeds\": [3, 1]", "\"seeds\": [3, 3]")), Is.EqualTo("c.json: seeds[1]: seed 3 is listed twice"));
        Assert.That(Error(j => j.Replace("\"epochs\": 2", "\"epochs\": 2, \"precision\": \"float16\"")),
            Does.StartWith("c.json: precision: got the string \"float16\"; allowed: float64, float32"));
        Assert.That(Error(j => j.Replace("\"uniform\": [-0.5, 0.5]", "\"uniform\": [0.5, -0.5]")),
            Is.EqualTo("c.json: rules[1].options.feedback.uniform: low (0.5) must not exceed high (-0.5)"));
        Assert.That(Error(j => j.Replace("\"lr\": 0.01", "\"lr\": -1")), Is.EqualTo("c.json: lr: must be positive, got -1"));
    }
}
