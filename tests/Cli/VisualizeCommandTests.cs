using System.Text.Json;
using System.Text.Json.Nodes;
using NUnit.Framework;

namespace BioSim.Tests.Cli;

/// <summary>
/// <c>biosim visualize</c> end to end, through the real program, on a tiny comparison (Fashion-MNIST, first 1000 training and
/// 500 test images, 784-32-32-10 tanh, backprop and feedback alignment, 1 epoch, seed 1) run once for the fixture. The HDF5
/// output is read back with h5py and checked against an independent NumPy reimplementation (tests/scripts/visualize_check.py:
/// the network rebuilt from the checkpoint's weights, the model neuron's responses, drivers, references, shared scores and the
/// pixel gradients from the equations); bad input gets one line naming the option or file and the documented exit code.
/// </summary>
[TestFixture, Category("Validation")]
public sealed class VisualizeCommandTests
{
    private string _dir = "";
    private string _comparison = "";

    [OneTimeSetUp]
    public void TrainTinyComparison()
    {
        IO.ExternalTools.RequireFashionMnist();
        _dir = BiosimProcess.TempDirectory();
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Example("compare-fashion.json")), documentOptions: options)!.AsObject();
        json["task"] = JsonNode.Parse("""{"type": "fashion-mnist", "train_samples": 1000, "test_samples": 500}""");
        json["architecture"]!["layers"] = new JsonArray(32, 32, 10);
        json["epochs"] = 1;
        json["seeds"] = new JsonArray(1);
        json["rules"] = new JsonArray("backprop", "feedback-alignment");
        json["alignment"] = JsonNode.Parse("""{"enabled": false}""");
        string file = Path.Combine(_dir, "tiny.json");
        File.WriteAllText(file, json.ToJsonString());
        _comparison = Path.Combine(_dir, "compare");
        var (code, stdout, stderr) = BiosimProcess.Run("compare", file, "-o", _comparison, "-q");
        Assert.That(code, Is.Zero, stdout + stderr);
    }

    [OneTimeTearDown]
    public void TearDown()
    {
        if (_dir.Length > 0) Directory.Delete(_dir, recursive: true);
    }

    private static (int Code, string Out, string Err) Visualize(params string[] arguments)
    {
        var result = BiosimProcess.Run(["visualize", .. arguments]);
        TestContext.Out.WriteLine(result.StandardOutput + result.StandardError);
        return result;
    }

    private static double[] Numbers(JsonNode? node) => [.. node!.AsArray().Select(v => v!.GetValue<double>())];

    private static int[] Integers(JsonNode? node) => [.. node!.AsArray().Select(v => v!.GetValue<int>())];

    /// <summary>
    /// Feedback alignment's network, layer 2, category 0 (T-shirt/top), 3 pairs, readout fitted on 100 training T-shirts: the
    /// PNGs exist and are PNGs; the arrays have their shapes; NumPy recomputes responses and z_L[C] (float64 throughout: 1e-9),
    /// shared scores (relative 1e-9), similarities (1e-9) and the gradients and heat maps (1e-9 of the largest gradient
    /// component) and finds the same drivers and references; drivers are outside the category and references inside it; the
    /// deletion test (top 10 % of pixels by heat map against a random 10 %, mean of 20) lowers S at least twice as much in every
    /// pair (measured 10–17×). The same run from the checkpoint file instead of the folder (marked as written by
    /// another build) gives the same pairs and numbers.
    /// </summary>
    [Test]
    public void WritesPngPairsAndArraysThatNumpyReproduces()
    {
        string output = Path.Combine(_dir, "vis");
        var (code, stdout, err) = Visualize(_comparison, "--rule", "feedback-alignment", "--layer", "2", "--category", "0", "--pairs", "3",
            "--fit-images", "100", "-o", output);
        Assert.That(code, Is.Zero, err);
        Assert.That(stdout, Does.Contain("model neuron: readout of layer 2 fitted on 100 training images of category 0"));
        for (int k = 1; k <= 3; k++)
        {
            byte[] png = File.ReadAllBytes(Path.Combine(output, $"pair-{k}.png"));
            Assert.That(png[..8], Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), $"pair-{k}.png is a PNG");
            Assert.That(png, Has.Length.GreaterThan(5000), "a picture, not an empty canvas");
        }
        Assert.That(File.Exists(Path.Combine(output, "pair-4.png")), Is.False);
        var check = JsonNode.Parse(IO.ExternalTools.RunPythonScript("visualize_check.py", Path.Combine(output, "visualization.h5")))!;
        var errors = check["errors"]!;
        foreach (string e in new[] { "response", "target", "score", "similarity", "gradient", "saliency", "image" })
            Assert.That(errors[e]!.GetValue<double>(), Is.LessThan(1e-9), e);
        Assert.That(check["labels_match"]!.GetValue<bool>(), Is.True);
        Assert.That(Integers(check["driver_index"]), Is.EqualTo(Integers(check["drivers"])));
        Assert.That(Integers(check["reference_index"]), Is.EqualTo(Integers(check["references"])));
        Assert.That(Integers(check["driver_labels"]), Has.None.EqualTo(0));
        Assert.That(Integers(check["reference_labels"]), Has.All.EqualTo(0));
        double[] top = Numbers(check["deletion_top_drop"]), random = Numbers(check["deletion_random_drop"]);
        Assert.That(top, Has.All.GreaterThan(0));
        for (int k = 0; k < top.Length; k++) Assert.That(top[k], Is.GreaterThanOrEqualTo(2 * random[k]), $"pair {k + 1}: deletion test");
        var shapes = check["shapes"]!;
        Assert.That(Integers(shapes["driver_saliency"]), Is.EqualTo(new[] { 3, 784 }));
        Assert.That(Integers(shapes["reference_gradient"]), Is.EqualTo(new[] { 3, 784 }));
        Assert.That(Integers(shapes["similarity"]), Is.EqualTo(new[] { 3 }));
        TestContext.Out.WriteLine(check.ToJsonString());

        // From the checkpoint file, marked as written by another build (which resuming refuses; reading weights does not).
        string checkpoint = Path.Combine(_dir, "feedback-alignment-seed1.h5");
        File.Copy(Path.Combine(_comparison, "checkpoints", "feedback-alignment-seed1.h5"), checkpoint);
        var marked = IO.ExternalTools.Run(IO.ExternalTools.Python, ["-c", $"import h5py; f = h5py.File('{checkpoint}', 'a'); f.attrs['biosim_version'] = '0.0.1+another-build'; f.close()"]);
        Assert.That(marked.ExitCode, Is.Zero, marked.StandardError);
        string again = Path.Combine(_dir, "vis-checkpoint");
        (code, _, err) = Visualize(checkpoint, "--layer", "2", "--category", "0", "--pairs", "3", "--fit-images", "100", "-o", again);
        Assert.That(code, Is.Zero, err);
        var second = JsonNode.Parse(IO.ExternalTools.RunPythonScript("visualize_check.py", Path.Combine(again, "visualization.h5")))!;
        Assert.That(Integers(second["reference_index"]), Is.EqualTo(Integers(check["reference_index"])));
        Assert.That(Numbers(second["deletion_top_drop"]), Is.EqualTo(Numbers(check["deletion_top_drop"])));
    }

    /// <summary>Bad input: one line on stderr naming the option or file and the fix; exit 2 for bad options and a refused
    /// output, 3 for a missing file (cli/ExitCodes.cs); an existing output is replaced with --force.</summary>
    [Test]
    public void BadInputGetsOneClearLineAndTheDocumentedExitCode()
    {
        string output = Path.Combine(_dir, "bad");
        void Expect(int exit, string message, params string[] arguments)
        {
            var (code, _, err) = Visualize(arguments);
            Assert.That(code, Is.EqualTo(exit), err);
            Assert.That(err, Does.Contain(message));
            Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1), "one line");
        }
        Expect(2, "--rule nope: not a rule of the comparison", _comparison, "--rule", "nope", "--layer", "1", "--category", "0", "-o", output);
        Expect(2, "--rule: ", _comparison, "--layer", "1", "--category", "0", "-o", output);
        Expect(2, "--layer 3: the network 784-32-32-10 tanh has hidden layers 1 … 2", _comparison, "--rule", "backprop", "--layer", "3", "--category", "0", "-o", output);
        Expect(2, "--category 10: fashion-mnist has categories 0 … 9", _comparison, "--rule", "backprop", "--layer", "1", "--category", "10", "-o", output);
        Expect(2, "--seed 7: the comparison in", _comparison, "--rule", "backprop", "--seed", "7", "--layer", "1", "--category", "0", "-o", output);
        Expect(3, "no such file or folder", Path.Combine(_dir, "missing"), "--layer", "1", "--category", "0", "-o", output);
        Expect(2, "not a checkpoint of biosim compare", Path.Combine(_comparison, "curves.h5"), "--layer", "1", "--category", "0", "-o", output);

        var (code, _, err) = Visualize(_comparison, "--rule", "backprop", "--layer", "1", "--category", "3", "--pairs", "1", "--fit-images", "50", "-o", output);
        Assert.That(code, Is.Zero, err);
        Expect(2, "visualization.h5 exists: pass --force", _comparison, "--rule", "backprop", "--layer", "1", "--category", "3", "-o", output);
        (code, _, err) = Visualize(_comparison, "--rule", "backprop", "--layer", "1", "--category", "3", "--pairs", "2", "--fit-images", "50", "-o", output, "--force");
        Assert.That(code, Is.Zero, err);
        Assert.That(File.Exists(Path.Combine(output, "pair-2.png")), Is.True);
    }
}
