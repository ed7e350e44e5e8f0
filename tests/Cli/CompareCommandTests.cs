using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using BioSim.Engine.Numerics;
using BioSim.Engine.Random;
using BioSim.IO.Hdf5;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>
/// <c>biosim compare</c> end to end, through the real program. The curves file is read back with h5py
/// (Debian python3-h5py, tests/scripts/compare_curves.py) and checked against a plain <see cref="Trainer"/>
/// run written here from the library's parts (same seed ⇒ the same numbers, bit for bit), against a
/// per-sample loop for the alignment angle, and against Lillicrap et al. (2016), Fig. 2 for its size.
/// Resuming and the thread count must not change a single bit.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class CompareCommandTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = BiosimProcess.TempDirectory();

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string Variant(string example, Action<JsonObject> change, string name)
    {
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example(example)), documentOptions: options)!.AsObject();
        change(json);
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    private static JsonObject Curves(string output) =>
        JsonNode.Parse(IO.ExternalTools.RunPythonScript("compare_curves.py", Path.Combine(output, "curves.h5")))!.AsObject();

    private static double[] Values(JsonNode? node) =>
        [.. node!.AsArray().Select(v => v!.GetValue<string>() == "nan" ? double.NaN : double.Parse(v.GetValue<string>(), CultureInfo.InvariantCulture))];

    private static (int Code, string Out, string Err) Compare(params string[] arguments)
    {
        var result = BiosimProcess.Run(["compare", .. arguments]);
        TestContext.Out.WriteLine(result.StandardOutput + result.StandardError);
        return result;
    }

    /// <summary>
    /// examples/compare-infomax.json (the authors' official setting: 784-500-10 unit-clip, no biases, Xavier-uniform, SGD
    /// lr 1 with per-layer forward rates given as a list option, 50 epochs with the per-epoch rate decay) cut to 2 epochs
    /// with --epochs, on the first 2000 training and 1000 test images: the rule learns well above chance (0.1), and the
    /// checkpoint holds the file's schedule's factor for epoch 2 (0.95¹) as the rule's rate scale. Measured 0.502 after
    /// 1 epoch and 0.569 after 2 here; tests/Validation/CorrelativeInfomaxFashionMnistTests measures 0.582 with 4000 images
    /// through the library, so the bounds leave room for another machine's rounding.
    /// </summary>
    [Test]
    public void CorrelativeInfomaxRunsInTheOfficialSetting()
    {
        string file = Variant("compare-infomax.json", j =>
        {
            j["task"]!["train_samples"] = 2000;
            j["task"]!["test_samples"] = 1000;
        }, "infomax.json");
        string output = Path.Combine(_dir, "infomax");
        var (code, stdout, err) = Compare(file, "-o", output, "-q", "--epochs", "2");
        Assert.That(code, Is.Zero, err);
        Assert.That(stdout, Does.Contain("2 epochs"));
        double[] accuracy = Values(Curves(output)["runs"]!["correlative-infomax/seed_1"]!["epoch_test_accuracy"]);
        Assert.That(accuracy, Has.Length.EqualTo(2));
        Assert.That(accuracy[^1], Is.GreaterThan(0.4).And.LessThan(0.75));
        using var checkpoint = Hdf5File.OpenReadOnly(Path.Combine(output, "checkpoints", "correlative-infomax-seed1.h5"));
        Assert.That(checkpoint.ReadDataset<double>("reals/rule/rate-scale"), Is.EqualTo(new[] { 0.95 }));
        Assert.That(Compare(file, "-o", output, "--epochs", "0").Code, Is.EqualTo(2));
    }

    /// <summary>
    /// A comparison with "lr_schedule" against the benchmark's hand-written loop (benchmarks/Plasticity/CorInfoMaxFashion.cs:
    /// set rule.RateScale = f^e before each epoch, SGD rate unscaled), and for backprop against a new plain SGD built with
    /// the rate lr·f^e each epoch (no momentum, so no optimiser state is lost): the batch losses and the final weights
    /// must be the same bits. Tiny: 784-20-10 unit-clip on 200 Fashion-MNIST images, 4 epochs, a three-segment schedule
    /// written out independently below as e &lt; 1 ? 0.9 : e &lt; 3 ? 0.8 : 0.5.
    /// </summary>
    [Test]
    public void ScheduleScalesEveryRuleAsTheBenchmarkLoopDoes()
    {
        IO.ExternalTools.RequireFashionMnist();
        string file = Variant("compare-infomax.json", j =>
        {
            j["task"] = JsonNode.Parse("""{"type": "fashion-mnist", "train_samples": 200, "test_samples": 100}""");
            j["architecture"]!["layers"] = new JsonArray(20, 10);
            j["lr"] = 0.1;
            j["epochs"] = 4;
            j["seeds"] = new JsonArray(3);
            j["lr_schedule"] = JsonNode.Parse("""[{"from_epoch": 1, "factor_per_epoch": 0.9}, {"from_epoch": 2, "factor_per_epoch": 0.8}, {"from_epoch": 4, "factor_per_epoch": 0.5}]""");
            j["rules"] = JsonNode.Parse("""[{"name": "correlative-infomax", "options": {"forward_rates": [3.0, 2.2], "feedback_rates": [0.07]}}, "backprop"]""");
        }, "schedule.json");
        string output = Path.Combine(_dir, "schedule");
        var (code, _, err) = Compare(file, "-o", output, "-q");
        Assert.That(code, Is.Zero, err);
        var runs = Curves(output)["runs"]!;
        foreach (string rule in new[] { "correlative-infomax", "backprop" })
        {
            var (losses, weights) = BenchmarkStyleLoop(rule, 3, 4);
            Assert.That(Values(runs[$"{rule}/seed_3"]!["batch_loss"]), Is.EqualTo(losses), $"{rule}: batch losses");
            using var checkpoint = Hdf5File.OpenReadOnly(Path.Combine(output, "checkpoints", $"{rule}-seed3.h5"));
            for (int l = 0; l < 2; l++)
                Assert.That(checkpoint.ReadDataset<double>($"reals/network/W{l + 1}"), Is.EqualTo(weights[l]), $"{rule}: W{l + 1}");
        }
    }

    private static (double[] Losses, double[][] Weights) BenchmarkStyleLoop(string rule, ulong seed, int epochs)
    {
        var (fullTrain, fullTest) = BioSim.IO.Datasets.FashionMnist.Load();
        var train = new Dataset("train", 784, fullTrain.Inputs[..(200 * 784)], fullTrain.Labels![..200], 10);
        var test = new Dataset("test", 784, fullTest.Inputs[..(100 * 784)], fullTest.Labels![..100], 10);
        var net = new Network(784, [new LayerSpec(20, new UnitClip(), Bias: false), new LayerSpec(10, new UnitClip(), Bias: false)], MatrixProducts.CreateDefault());
        foreach (var layer in net.Layers)
        {
            double a = Math.Sqrt(6.0 / (layer.Inputs + layer.Outputs));
            net.Initialise(layer, new UniformDistribution(-a, a), seed);
        }
        var infomax = new CorrelativeInfomax { ForwardRates = [3.0, 2.2], FeedbackRates = [0.07] };
        ICreditAssignmentRule credit = rule == "backprop" ? new Backpropagation() : infomax;
        credit.Prepare(net, seed);
        var losses = new List<double>();
        for (int e = 0; e < epochs; e++)
        {
            double factor = Math.Pow(e < 1 ? 0.9 : e < 3 ? 0.8 : 0.5, e);
            infomax.RateScale = factor;
            var sgd = new SgdMomentum(rule == "backprop" ? 0.1 * factor : 0.1);
            sgd.Prepare(net);
            var trainer = new Trainer(net, credit, sgd, new MeanSquaredError(), 20);
            losses.AddRange(trainer.Train(train, test, new TrainingOptions { Epochs = e + 1, FirstEpoch = e + 1, BatchSize = 20, Seed = seed }).BatchLosses);
        }
        return ([.. losses], [.. net.Layers.Select(l => l.Weights)]);
    }

    /// <summary>
    /// examples/compare-gait.json on a 600-image subset, 1 epoch (10 Adam steps): the comparison builds GAIT-prop's
    /// square network (784-wide leaky-ReLU layers, orthogonal start, 774 auxiliary output units). Expected, from
    /// Ahmad et al. (2020): with orthogonal weights and no orthogonality penalty GAIT-prop's updates equal backprop's
    /// to first order in γ (tests/Validation/GaitPropEquivalenceTests.cs measures 1 − cos ≈ 2e-13 at γ = 1e-3), so its
    /// losses track backprop's closely (bounds below); with the published penalty (0.1) it still learns (chance: 0.1).
    /// </summary>
    [Test]
    public void GaitPropRunsOnItsSquareNetworkAndTracksBackprop()
    {
        string file = Variant("compare-gait.json", j =>
        {
            j["task"]!["train_samples"] = 600;
            j["task"]!["test_samples"] = 300;
            j["epochs"] = 1;
            j["seeds"] = new JsonArray(1);
        }, "gait.json");
        string output = Path.Combine(_dir, "gait");
        var (code, _, err) = Compare(file, "-o", output, "-q");
        Assert.That(code, Is.Zero, err);
        var runs = Curves(output)["runs"]!;
        double[] bp = Values(runs["backprop/seed_1"]!["batch_loss"]);
        double[] plain = Values(runs["gait-prop-no-penalty/seed_1"]!["batch_loss"]);
        Assert.That(plain, Has.Length.EqualTo(bp.Length).And.Length.EqualTo(10));
        // Batch 0 is evaluated on the shared initial weights; batch 1 after one update, which agrees to rounding.
        Assert.That(plain[0], Is.EqualTo(bp[0]));
        Assert.That(plain[1], Is.EqualTo(bp[1]).Within(1e-12).Percent);
        // Later batches drift apart slowly (measured: ≤ 1.4e-4 relative over 10 steps): Adam without bias
        // correction moves every weight by about ±lr at first whatever its gradient's size, so the ~1e-7 relative
        // difference between the two updates decides the sign of the move for weights whose gradient is near zero.
        for (int k = 2; k < bp.Length; k++) Assert.That(plain[k], Is.EqualTo(bp[k]).Within(0.1).Percent, $"batch {k}");
        double accuracy = Values(runs["gait-prop/seed_1"]!["epoch_test_accuracy"])[^1];
        Assert.That(accuracy, Is.GreaterThan(0.3));
    }

    /// <summary>
    /// examples/compare-gait-equivalence.json as a new user runs it. Expected values are the issue's, from the theorem of
    /// Ahmad et al. (2020) (GAIT-prop's update is backprop's with orthogonal weights and small γ; see
    /// tests/Validation/GaitPropEquivalenceTests.cs, which checks the rule alone): at the first probe (row 0 of
    /// update_cosine and update_relative_error, the initial weights) with orthogonal weights cosine &gt; 1 − 1e-9 and
    /// relative error &lt; 1e-4 in every layer; from Xavier-uniform weights the cosine of layers 1 and 2 below 0.2. The
    /// output layer's update is backprop's by construction in both (relative error exactly 0), and backprop against
    /// itself is exact (0; cosine 1 to rounding).
    /// </summary>
    [Test]
    public void GaitEquivalenceExampleMeetsTheIssuesNumbers()
    {
        string output = Path.Combine(_dir, "equivalence");
        var (code, stdout, err) = Compare(TestPaths.Example("compare-gait-equivalence.json"), "-o", output, "-q");
        Assert.That(code, Is.Zero, err);
        Assert.That(stdout, Does.Contain("cos ΔW4 vs BP").And.Contain("gait-prop-xavier (gait-prop), init xavier-uniform"));
        Assert.That(new FileInfo(Path.Combine(output, "alignment.png")).Length, Is.GreaterThan(10_000));
        var runs = Curves(output)["runs"]!;
        foreach (int seed in new[] { 1, 2 })
        {
            double[] Row0(string label, string curve) => Values(runs[$"{label}/seed_{seed}"]![curve]!.AsArray()[0]);
            Assert.That(runs[$"gait-prop/seed_{seed}"]!["update_cosine"]!.AsArray(), Has.Count.EqualTo(3), "rows: initial weights, epochs 1 and 2");
            double[] cos = Row0("gait-prop", "update_cosine"), rel = Row0("gait-prop", "update_relative_error");
            TestContext.Out.WriteLine($"seed {seed}, orthogonal: 1 − cos {string.Join(", ", cos.Select(c => (1 - c).ToString("E2", CultureInfo.InvariantCulture)))}; relative error {string.Join(", ", rel.Select(r => r.ToString("E2", CultureInfo.InvariantCulture)))}");
            Assert.That(cos, Has.Length.EqualTo(4));
            for (int l = 0; l < 4; l++)
            {
                Assert.That(cos[l], Is.GreaterThan(1 - 1e-9), $"seed {seed}, layer {l + 1}: cosine");
                Assert.That(rel[l], Is.LessThan(1e-4), $"seed {seed}, layer {l + 1}: relative error");
            }
            Assert.That(rel[3], Is.Zero, "the output layer's update is backprop's");
            double[] xavier = Row0("gait-prop-xavier", "update_cosine");
            TestContext.Out.WriteLine($"seed {seed}, Xavier-uniform: cos {string.Join(", ", xavier.Select(c => c.ToString("F3", CultureInfo.InvariantCulture)))}");
            Assert.That(Math.Abs(xavier[0]), Is.LessThan(0.2), $"seed {seed}: layer 1");
            Assert.That(Math.Abs(xavier[1]), Is.LessThan(0.2), $"seed {seed}: layer 2");
            Assert.That(Row0("gait-prop-xavier", "update_relative_error")[3], Is.Zero);
            Assert.That(Row0("backprop", "update_relative_error"), Is.All.Zero);
            Assert.That(Row0("backprop", "update_cosine"), Is.All.EqualTo(1.0).Within(1e-15));
        }
    }

    /// <summary>
    /// examples/compare-song.json (Song, Xu &amp; Lafferty 2021: two-layer tanh net with 1/√p output scaling, FA with N(0, 1)
    /// feedback, full-batch GD, λ = 0, 0.01, 0.1 as three rules) cut to 1000 steps with --epochs. Expected, from the paper's
    /// Thm. 3 and tests/Validation/FeedbackAlignmentSongTests.cs (same setting through the library, 10 000 steps: cos 0.086,
    /// 0.766, 0.865): the alignment cos∠(b, β) grows with λ, already after 1000 steps (measured 0.082, 0.152, 0.763), and
    /// stays low without the penalty. The reported cosine equals cos∠(b, β) computed here from the checkpoint's W2 and B2
    /// (1e-12 for the order of the sums), and the unregularised error keeps falling (the paper's Thm. 1).
    /// </summary>
    [Test]
    public void SongExampleAlignsMoreWithMoreRegularisation()
    {
        string output = Path.Combine(_dir, "song");
        var (code, stdout, err) = Compare(TestPaths.Example("compare-song.json"), "-o", output, "-q", "--epochs", "1000");
        Assert.That(code, Is.Zero, err);
        Assert.That(stdout, Does.Contain("cos(B2, W2ᵀ)"));
        var runs = Curves(output)["runs"]!;
        var cosines = new List<double>();
        foreach (string label in new[] { "fa-lambda-0", "fa-lambda-0.01", "fa-lambda-0.1" })
        {
            var rows = runs[$"{label}/seed_1"]!["feedback_weight_cosine"]!.AsArray();
            Assert.That(rows, Has.Count.EqualTo(1001), "rows: initial weights and every step");
            double reported = Values(rows[^1])[0];
            using var checkpoint = Hdf5File.OpenReadOnly(Path.Combine(output, "checkpoints", $"{label}-seed1.h5"));
            double[] beta = checkpoint.ReadDataset<double>("reals/network/W2"), b = checkpoint.ReadDataset<double>("reals/rule/B2");
            Assert.That(beta, Has.Length.EqualTo(1000));
            double dot = 0, nb = 0, nbeta = 0;
            for (int r = 0; r < 1000; r++) { dot += b[r] * beta[r]; nb += b[r] * b[r]; nbeta += beta[r] * beta[r]; }
            Assert.That(reported, Is.EqualTo(dot / Math.Sqrt(nb * nbeta)).Within(1e-12), label);
            Assert.That(Math.Abs(Values(rows[0])[0]), Is.LessThan(0.15), $"{label}: b and β are independent draws at the start");
            cosines.Add(reported);
            TestContext.Out.WriteLine($"{label}: cos∠(b, β) {reported:F4}");
        }
        Assert.That(cosines[0], Is.LessThan(0.3), "λ = 0 stays unaligned");
        Assert.That(cosines[1], Is.GreaterThan(cosines[0]));
        Assert.That(cosines[2], Is.GreaterThan(cosines[1]).And.GreaterThan(0.6));
        double[] loss = Values(runs["fa-lambda-0/seed_1"]!["batch_loss"]);
        Assert.That(loss[^1], Is.LessThan(1e-3 * loss[0]), "the error goes to zero without regularisation");
    }

    /// <summary>
    /// Lillicrap et al. (2016) Fig. 2 setting (examples/compare-teacher.json, 1 epoch = 1000 single-sample steps,
    /// seeds 1 and 2). Expected values: (1) the batch losses and test loss h5py reads equal, bit for bit, those of a
    /// Trainer built here from the same seed (W ~ U[−0.01, 0.01] from stream (seed, network, W{l}), B ~ U[−0.5, 0.5],
    /// data order from (seed, trainer, order)); (2) the FA angle equals arccos of ⟨B e, Wᵀ e⟩ summed sample by sample
    /// over the 200 probe rows (a loop written here; 1e-9° for rounding), and lies in the paper's 20°-45°;
    /// (3) backprop's angle to itself is 0 (1e-6° for the arccos of a rounded 1).
    /// </summary>
    [Test]
    public void CurvesReadByH5pyMatchAPlainTrainerAndThePaper()
    {
        string file = Variant("compare-teacher.json", j => { j["epochs"] = 1; j["seeds"] = new JsonArray(1, 2); }, "teacher.json");
        string output = Path.Combine(_dir, "out");
        var (code, stdout, stderr) = Compare(file, "-o", output);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("| feedback-alignment | 2 |"));
        Assert.That(File.ReadAllText(Path.Combine(output, "summary.md")), Does.Contain("∠ layer 1 vs BP"));
        Assert.That(new FileInfo(Path.Combine(output, "learning-curves.png")).Length, Is.GreaterThan(10_000));
        Assert.That(new FileInfo(Path.Combine(output, "alignment.png")).Length, Is.GreaterThan(10_000));
        var runs = Curves(output)["runs"]!.AsObject();
        Assert.That(runs.Select(r => r.Key).Order(), Is.EqualTo(new[] { "backprop/seed_1", "backprop/seed_2", "feedback-alignment/seed_1", "feedback-alignment/seed_2" }));

        foreach (ulong seed in new ulong[] { 1, 2 })
        {
            foreach (string rule in new[] { "backprop", "feedback-alignment" })
            {
                var run = runs[$"{rule}/seed_{seed}"]!.AsObject();
                Assert.That(run["status"]!.GetValue<string>(), Is.EqualTo("completed"));
                var (losses, testLoss, angle) = PlainLillicrapRun(rule, seed);
                Assert.That(Values(run["batch_loss"]), Is.EqualTo(losses), $"{rule} seed {seed}: batch losses");
                Assert.That(Values(run["epoch_test_loss"]), Is.EqualTo(new[] { testLoss }), $"{rule} seed {seed}: test loss");
                Assert.That(Values(run["epoch_test_accuracy"])[0], Is.NaN, "regression has no accuracy");
                var rows = run["alignment_deg"]!.AsArray();
                Assert.That(rows, Has.Count.EqualTo(2), "rows: before training and after epoch 1");
                double measured = Values(rows[1])[0];
                TestContext.Out.WriteLine($"{rule} seed {seed}: angle {measured:F3}° (loop {angle:F3}°), test loss {testLoss:E3}");
                if (rule == "backprop") Assert.That(measured, Is.EqualTo(0).Within(1e-6));
                else
                {
                    Assert.That(measured, Is.EqualTo(angle).Within(1e-9));
                    Assert.That(measured, Is.InRange(20.0, 45.0), "Lillicrap et al. 2016 Fig. 2b");
                }
            }
        }
    }

    /// <summary>The run written from the library's parts, and the FA angle from a per-sample loop on the 200 test rows.</summary>
    private static (double[] Losses, double TestLoss, double Angle) PlainLillicrapRun(string rule, ulong seed)
    {
        var all = TeacherStudent.Linear(30, 10, 1200, 7, out _);
        var train = new Dataset("train", 30, all.Inputs[..(1000 * 30)], all.Targets![..(1000 * 10)], 10);
        var test = new Dataset("test", 30, all.Inputs[(1000 * 30)..], all.Targets![(1000 * 10)..], 10);
        var net = new Network(30, [new LayerSpec(20, new Identity(), Bias: false), new LayerSpec(10, new Identity(), Bias: false)], MatrixProducts.CreateDefault());
        foreach (var layer in net.Layers) net.Initialise(layer, new UniformDistribution(-0.01, 0.01), seed);
        var fa = new FeedbackAlignment { Feedback = new UniformDistribution(-0.5, 0.5) };
        fa.Prepare(net, seed);
        var optimiser = new SgdMomentum(0.005);
        optimiser.Prepare(net);
        var trainer = new Trainer(net, rule == "backprop" ? new Backpropagation() : fa, optimiser, new MeanSquaredError(), 1);
        var history = trainer.Train(train, test, new TrainingOptions { Epochs = 1, BatchSize = 1, Seed = seed });

        // ∠(B e, Wᵀ e) over the probe rows, one sample at a time: e = h_2 − y (MSE, linear output, batch 1).
        double[] w2 = net.Layers[1].Weights, b2 = fa.FeedbackWeights[0];
        double dot = 0, nFa = 0, nBp = 0;
        var x = new double[30]; var y = new double[10]; var h1 = new double[20]; var e = new double[10];
        for (int s = 0; s < 200; s++)
        {
            test.Gather([s], x, y);
            for (int j = 0; j < 20; j++) { h1[j] = 0; for (int i = 0; i < 30; i++) h1[j] += net.Layers[0].Weights[j * 30 + i] * x[i]; }
            for (int k = 0; k < 10; k++) { double h2 = 0; for (int j = 0; j < 20; j++) h2 += w2[k * 20 + j] * h1[j]; e[k] = h2 - y[k]; }
            for (int j = 0; j < 20; j++)
            {
                double bp = 0, f = 0;
                for (int k = 0; k < 10; k++) { bp += w2[k * 20 + j] * e[k]; f += b2[j * 10 + k] * e[k]; }
                dot += bp * f; nBp += bp * bp; nFa += f * f;
            }
        }
        return ([.. history.BatchLosses], history.Epochs[0].TestLoss, Math.Acos(dot / Math.Sqrt(nFa * nBp)) * 180 / Math.PI);
    }

    private string TanhTeacher(string name, int epochs, Action<JsonObject>? change = null) => Variant("compare-teacher.json", j =>
    {
        j["task"] = JsonNode.Parse("""{"type": "teacher-student", "teacher": "tanh", "inputs": 20, "hidden": 12, "outputs": 4, "train_samples": 400, "test_samples": 100, "seed": 3}""");
        j["architecture"] = JsonNode.Parse("""{"layers": [16, 16, 4], "activation": "tanh", "output_activation": "identity", "loss": "mse"}""");
        j["optimiser"] = JsonNode.Parse("""{"type": "adam"}""");
        j["lr"] = 0.003;
        j["batch"] = 8;
        j["epochs"] = epochs;
        j["seeds"] = new JsonArray(4, 5);
        j["rules"] = JsonNode.Parse("""["backprop", "feedback-alignment", "direct-feedback-alignment"]""");
        change?.Invoke(j);
    }, name);

    /// <summary>
    /// Two epochs straight against one epoch, then --resume with two: every curve (except wall times) and the final
    /// weights, rule state and Adam moments must be identical bit for bit (tanh teacher, Adam, BP/FA/DFA, two seeds).
    /// </summary>
    [Test]
    public void ResumeContinuesBitIdentically()
    {
        string straight = Path.Combine(_dir, "straight"), resumed = Path.Combine(_dir, "resumed");
        Assert.That(Compare(TanhTeacher("two.json", 2), "-o", straight).Code, Is.EqualTo(0));
        Assert.That(Compare(TanhTeacher("one.json", 1), "-o", resumed).Code, Is.EqualTo(0));
        var (code, _, stderr) = Compare(TanhTeacher("two-again.json", 2), "-o", resumed, "--resume");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stderr, Does.Contain("resuming at epoch 2"));
        var a = Curves(straight)["runs"]!.AsObject();
        var b = Curves(resumed)["runs"]!.AsObject();
        Assert.That(b.Select(r => r.Key), Is.EqualTo(a.Select(r => r.Key)));
        foreach (var (key, run) in a)
        {
            foreach (string curve in new[] { "batch_loss", "epoch_train_loss", "epoch_test_loss" })
            {
                Assert.That(Values(b[key]![curve]), Is.EqualTo(Values(run![curve])), $"{key} {curve}");
            }
            Assert.That(Values(run!["batch_loss"]), Has.Length.EqualTo(2 * 50));
            Assert.That(b[key]!["alignment_deg"]!.ToJsonString(), Is.EqualTo(run["alignment_deg"]!.ToJsonString()), key);
            Assert.That(b[key]!["update_cosine"]!.AsArray(), Has.Count.EqualTo(3), key);
            foreach (string curve in new[] { "update_cosine", "update_relative_error" })
                Assert.That(b[key]![curve]!.ToJsonString(), Is.EqualTo(run[curve]!.ToJsonString()), $"{key} {curve}");
        }
        foreach (string label in new[] { "backprop", "feedback-alignment", "direct-feedback-alignment" })
        {
            foreach (int seed in new[] { 4, 5 })
            {
                using var x = Hdf5File.OpenReadOnly(Path.Combine(straight, "checkpoints", $"{label}-seed{seed}.h5"));
                using var y = Hdf5File.OpenReadOnly(Path.Combine(resumed, "checkpoints", $"{label}-seed{seed}.h5"));
                Assert.That(y.GetLongAttribute("epoch"), Is.EqualTo(2));
                foreach (string state in new[] { "network", "rule", "optimiser" })
                {
                    if (!x.Exists($"reals/{state}")) continue;
                    foreach (string member in Members(x, $"reals/{state}"))
                        Assert.That(y.ReadDataset<double>(member), Is.EqualTo(x.ReadDataset<double>(member)), $"{label} seed {seed}: {member}");
                }
                Assert.That(y.ReadDataset<long>("integers/optimiser/steps"), Is.EqualTo(new long[] { 100 }));
            }
        }
    }

    /// <summary>
    /// A comparison killed with SIGKILL after its first checkpoint, resumed and killed again after its next epoch, then run
    /// again with --resume, must end with the same curves as one never interrupted (the kill lands wherever it lands: mid-epoch, mid-checkpoint or later;
    /// the result may not depend on it). Equal curves alone would also follow from a resume that silently trained
    /// from scratch, so the checkpoints the killed process left are read (@epoch: epochs completed, at least 1 for
    /// the first run, which is what the kill waited for) and the resumed command must say that each run continues
    /// right after its checkpoint ("resuming at epoch e + 1"), starts afresh only where there was none, and skips
    /// a run whose checkpoint holds all 5 epochs.
    /// </summary>
    [Test]
    public void ResumeAfterKillMinusNineEqualsAnUninterruptedRun()
    {
        string file = TanhTeacher("kill.json", 5, j =>
        {
            j["task"]!["train_samples"] = 8000;
            j["seeds"] = new JsonArray(4);
            j["rules"] = JsonNode.Parse("""["feedback-alignment", "backprop"]""");
        });
        string straight = Path.Combine(_dir, "straight"), killed = Path.Combine(_dir, "killed");
        Assert.That(Compare(file, "-o", straight).Code, Is.EqualTo(0));
        // A checkpoint after every epoch (not every 30 s), so that the kill can land between two checkpoints of one run.
        using (var process = System.Diagnostics.Process.Start(BiosimProcess.StartInfo("compare", file, "-o", killed, "--checkpoint-every", "0"))!)
        {
            string first = Path.Combine(killed, "checkpoints", "feedback-alignment-seed4.h5");
            while (!File.Exists(first) && !process.HasExited) Thread.Sleep(20);
            Assert.That(process.HasExited, Is.False, "the comparison finished before the kill: nothing to resume");
            process.Kill();
            process.WaitForExit();
            TestContext.Out.WriteLine($"killed with exit code {process.ExitCode}");
        }
        Dictionary<string, long> Epochs()
        {
            var done = new Dictionary<string, long>();
            foreach (string label in new[] { "feedback-alignment", "backprop" })
            {
                string path = Path.Combine(killed, "checkpoints", $"{label}-seed4.h5");
                if (!File.Exists(path)) continue;   // killed before this run's first checkpoint
                using var checkpoint = Hdf5File.OpenReadOnly(path);
                done[label] = checkpoint.GetLongAttribute("epoch");
            }
            return done;
        }
        var epochs = Epochs();
        TestContext.Out.WriteLine($"checkpoints left by the kill: {string.Join(", ", epochs.Select(e => $"{e.Key} after epoch {e.Value}"))}");
        Assert.That(epochs.GetValueOrDefault("feedback-alignment"), Is.InRange(1, 5), "the first run's checkpoint holds at least one epoch");
        // A second SIGKILL, of the resumed comparison, after its next completed epoch.
        BiosimProcess.StopAfterProgress(["compare", file, "-o", killed, "--resume", "--checkpoint-every", "0"], p => p.Kill(), lines: 1, marker: ": train loss ");
        var before = epochs;
        epochs = Epochs();
        TestContext.Out.WriteLine($"checkpoints left by the second kill: {string.Join(", ", epochs.Select(e => $"{e.Key} after epoch {e.Value}"))}");
        Assert.That(epochs.Sum(e => e.Value), Is.GreaterThan(before.Sum(e => e.Value)), "the resumed comparison got further before the second kill");
        var (code, _, stderr) = Compare(file, "-o", killed, "--resume");
        Assert.That(code, Is.EqualTo(0), stderr);
        foreach (string label in new[] { "feedback-alignment", "backprop" })
        {
            long done = epochs.GetValueOrDefault(label);
            string started = $"biosim: {label} seed 4: ";
            if (done == 0) Assert.That(stderr, Does.Contain(started + "starting"), label);
            else if (done < 5) Assert.That(stderr, Does.Contain($"{started}resuming at epoch {done + 1} "), label);
            else Assert.That(stderr, Does.Not.Contain(started), $"{label}: its checkpoint holds all 5 epochs, nothing to train");
        }
        var a = Curves(straight)["runs"]!.AsObject();
        var b = Curves(killed)["runs"]!.AsObject();
        foreach (var (key, run) in a)
        {
            foreach (string curve in new[] { "batch_loss", "epoch_train_loss", "epoch_test_loss" })
                Assert.That(Values(b[key]![curve]), Is.EqualTo(Values(run![curve])), $"{key} {curve}");
            Assert.That(b[key]!["alignment_deg"]!.ToJsonString(), Is.EqualTo(run!["alignment_deg"]!.ToJsonString()), key);
        }
    }

    /// <summary>
    /// SIGTERM in the middle of an epoch: exit code 75 and a checkpoint of the running run at that point (@epoch: epochs
    /// completed; position: the minibatches of the next one done), though the checkpoint interval (an hour) was far from due;
    /// --resume continues from that minibatch ("resuming at epoch e, minibatch b + 1") and ends with the curves of a run
    /// never stopped, bit for bit.
    /// </summary>
    [Test]
    public void SigtermCheckpointsMidEpochAndResumesBitForBit()
    {
        string file = TanhTeacher("term.json", 3, j =>
        {
            j["task"]!["train_samples"] = 40000;   // 5000 minibatches of 8 per epoch
            j["seeds"] = new JsonArray(4);
            j["rules"] = JsonNode.Parse("""["feedback-alignment"]""");
        });
        string straight = Path.Combine(_dir, "straight"), stopped = Path.Combine(_dir, "stopped");
        Assert.That(Compare(file, "-o", straight).Code, Is.EqualTo(0));
        var (code, stderr) = BiosimProcess.StopAfterProgress(["compare", file, "-o", stopped, "--checkpoint-every", "3600"],
            p => BiosimProcess.Signal(p, "TERM"), lines: 1, marker: "biosim: feedback-alignment seed 4 epoch 1:");
        Assert.That(code, Is.EqualTo(75), stderr);
        string path = Path.Combine(stopped, "checkpoints", "feedback-alignment-seed4.h5");
        long epochs, batches;
        using (var checkpoint = Hdf5File.OpenReadOnly(path))
        {
            epochs = checkpoint.GetLongAttribute("epoch");
            batches = checkpoint.ReadDataset<long>("integers/position")[0];
        }
        TestContext.Out.WriteLine($"stopped after epoch {epochs} and {batches} minibatches of the next");
        Assert.That(epochs * 5000 + batches, Is.GreaterThanOrEqualTo(5000), "the checkpoint holds the first epoch (its line was printed) and what came after");
        Assert.That(epochs, Is.LessThan(3), "stopped before the end");
        var (resumed, _, err) = Compare(file, "-o", stopped, "--resume");
        Assert.That(resumed, Is.EqualTo(0), err);
        Assert.That(err, Does.Contain(batches > 0
            ? $"biosim: feedback-alignment seed 4: resuming at epoch {epochs + 1}, minibatch {batches + 1} "
            : $"biosim: feedback-alignment seed 4: resuming at epoch {epochs + 1} "));
        var a = Curves(straight)["runs"]!["feedback-alignment/seed_4"]!;
        var b = Curves(stopped)["runs"]!["feedback-alignment/seed_4"]!;
        foreach (string curve in new[] { "batch_loss", "epoch_train_loss", "epoch_test_loss" })
            Assert.That(Values(b[curve]), Is.EqualTo(Values(a[curve])), curve);
        Assert.That(b["alignment_deg"]!.ToJsonString(), Is.EqualTo(a["alignment_deg"]!.ToJsonString()));
    }

    private static IEnumerable<string> Members(Hdf5Location file, string group)
    {
        foreach (string m in file.ListMembers(group))
        {
            string path = $"{group}/{m}";
            if (file.GetKind(path) == Hdf5ObjectKind.Group) foreach (string inner in Members(file, path)) yield return inner;
            else yield return path;
        }
    }

    /// <summary>
    /// One epoch of a 3000-image Fashion-MNIST subset through 784-256-256-10 with OpenBLAS on 1 and on 2 threads:
    /// the curves and angles must be the same bits (OpenBLAS splits C between threads, never the sum over k).
    /// </summary>
    [Test]
    public void SameCurvesWhateverTheThreadCount()
    {
        IO.ExternalTools.RequireFashionMnist();
        string file = Variant("compare-fashion.json", j =>
        {
            j["task"] = JsonNode.Parse("""{"type": "fashion-mnist", "train_samples": 3000, "test_samples": 1000}""");
            j["epochs"] = 1;
            j["batch"] = 64;
            j["seeds"] = new JsonArray(1);
            j["rules"] = JsonNode.Parse("""["backprop", "direct-feedback-alignment"]""");
        }, "fashion.json");
        // OpenBLAS is what this test is about: without it the command would fall back to the managed kernel and
        // compare that with itself, so a missing libopenblas0 fails here instead.
        IO.ExternalTools.OpenBlas();
        string one = Path.Combine(_dir, "t1"), two = Path.Combine(_dir, "t2");
        // Forced: on a CPU OpenBLAS does not know, the automatic choice is the managed kernel (single-threaded).
        var openBlas = new Dictionary<string, string?> { ["BIOSIM_GEMM"] = "openblas" };
        (int, string, string) CompareOnOpenBlas(params string[] arguments)
        {
            var result = BiosimProcess.RunWithEnvironment(openBlas, ["compare", .. arguments]);
            TestContext.Out.WriteLine(result.StandardOutput + result.StandardError);
            return result;
        }
        var (code, _, stderr) = CompareOnOpenBlas(file, "-o", one, "--threads", "1");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stderr, Does.Match(@"OpenBLAS \([^)]*, 1 threads\)"), "the first run used one OpenBLAS thread");
        (code, _, stderr) = CompareOnOpenBlas(file, "-o", two, "--threads", "2");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stderr, Does.Match(@"OpenBLAS \([^)]*, 2 threads\)"), "the second run used two OpenBLAS threads");
        var a = Curves(one)["runs"]!.AsObject();
        var b = Curves(two)["runs"]!.AsObject();
        foreach (var (key, run) in a)
        {
            foreach (string curve in new[] { "batch_loss", "epoch_train_loss", "epoch_test_loss", "epoch_test_accuracy" })
                Assert.That(Values(b[key]![curve]), Is.EqualTo(Values(run![curve])), $"{key} {curve}");
            Assert.That(b[key]!["alignment_deg"]!.ToJsonString(), Is.EqualTo(run!["alignment_deg"]!.ToJsonString()), key);
            // A smoke bar, not a reference: 1 epoch on 3000 images reaches well above chance (0.1).
            Assert.That(Values(run["epoch_test_accuracy"])[0], Is.GreaterThan(0.5), key);
        }
    }

    /// <summary>
    /// A learning rate of 40 makes Adam-free SGD blow up on the tanh teacher: the command must finish the other runs,
    /// mark the diverged ones in the table, keep their curves up to the failing batch in curves.h5 with a status that
    /// names epoch, batch and layer, and exit 1.
    /// </summary>
    [Test]
    public void DivergenceStopsTheRunKeepsItsCurvesAndFailsTheCommand()
    {
        string file = TanhTeacher("diverge.json", 2, j =>
        {
            j["optimiser"] = JsonNode.Parse("""{"type": "sgd", "momentum": 0.9}""");
            j["lr"] = 40.0;
            j["seeds"] = new JsonArray(4);
            j["divergence_loss"] = 1e6;
            j["rules"] = JsonNode.Parse("""["backprop"]""");
        });
        string output = Path.Combine(_dir, "out");
        var (code, stdout, stderr) = Compare(file, "-o", output);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(stdout, Does.Contain("diverged"));
        Assert.That(stderr, Does.Match("Training diverged at epoch 1, batch [0-9]+: .*layer [0-9]"));
        var run = Curves(output)["runs"]!["backprop/seed_4"]!.AsObject();
        Assert.That(run["status"]!.GetValue<string>(), Does.StartWith("diverged: Training diverged at epoch 1, batch"));
        int batch = int.Parse(System.Text.RegularExpressions.Regex.Match(run["status"]!.GetValue<string>(), "batch ([0-9]+)").Groups[1].Value, CultureInfo.InvariantCulture);
        double[] losses = Values(run["batch_loss"]);
        Assert.That(losses, Has.Length.EqualTo(batch), "curves kept up to the failing batch");
        Assert.That(losses[^1] is > 1e6 or double.NaN || double.IsInfinity(losses[^1]), $"last loss {losses[^1]}");
        Assert.That(File.ReadAllText(Path.Combine(output, "summary.md")), Does.Contain("1 diverged"));
    }

    [Test]
    public void BadInputGetsOneLineNamingTheFieldAndTheFix()
    {
        string unknown = Variant("compare-teacher.json", j => j["rules"] = new JsonArray("backprop", "gradient-free-magic"), "unknown.json");
        var (code, _, stderr) = Compare(unknown, "-o", Path.Combine(_dir, "o1"));
        Assert.That(code, Is.EqualTo(2));
        // The known rules are the catalogue's, whatever has been registered since this test was written.
        Assert.That(stderr, Does.Contain($"rules[1]: unknown learning rule 'gradient-free-magic'; known: {string.Join(", ", Plasticity.CreditAssignmentTests.AllRuleNames())}"));

        string mismatch = Variant("compare-fashion.json", j => j["architecture"]!["layers"] = new JsonArray(256, 256, 12), "mismatch.json");
        (code, _, stderr) = Compare(mismatch, "-o", Path.Combine(_dir, "o2"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("architecture.layers[2]: the output layer (layer 3, 256 → 12) has 12 units but fashion-mnist has 10 classes"));

        string missing = Variant("compare-fashion.json", j => j["task"] = JsonNode.Parse($$"""{"type": "fashion-mnist", "directory": "{{_dir}}"}"""), "missing.json");
        (code, _, stderr) = Compare(missing, "-o", Path.Combine(_dir, "o3"));
        Assert.That(code, Is.EqualTo(3));
        Assert.That(stderr, Does.Contain("apt-get install dataset-fashion-mnist"));

        string option = Variant("compare-teacher.json", j => j["rules"] = JsonNode.Parse("""[{"name": "feedback-alignment", "options": {"feedbak": 1}}]"""), "option.json");
        (code, _, stderr) = Compare(option, "-o", Path.Combine(_dir, "o4"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("rules[0].options.feedbak: unknown option of feedback-alignment; allowed: feedback"));
    }
}
