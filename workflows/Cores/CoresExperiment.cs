using System.Globalization;
using System.Text.Json;
using BioSim.IO.Experiments;

namespace BioSim.Workflows.Cores;

/// <summary>
/// A cores training file (<c>biosim cores train</c>, examples/cores-fashion.json): the data set, the topology, the
/// probabilistic model's threshold and variance floor, and the training settings. Every field is checked when read; a
/// problem is one line naming the file and the field.
/// </summary>
public sealed record CoresExperiment
{
    /// <summary>The run's name.</summary>
    public string Name { get; init; } = "cores";

    /// <summary>Seeds the topology (axon types, weight permutations), the initial connection probabilities, the data order and the deployment's samples.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The data set: "fashion-mnist".</summary>
    public string Data { get; init; } = "fashion-mnist";

    /// <summary>Where the IDX files are (default the Debian package's folder).</summary>
    public string DataDirectory { get; init; } = BioSim.IO.Datasets.FashionMnist.DefaultDirectory;

    /// <summary>The topology: "five-core-frame".</summary>
    public string Topology { get; init; } = "five-core-frame";

    /// <summary>Output neurons per class (25 in pytruenorth's 5-core network: 250 of the 256 output neurons).</summary>
    public int PerClass { get; init; } = 25;

    /// <summary>α of the deployed neurons (≥ 0).</summary>
    public int Threshold { get; init; } = 1;

    /// <summary>Added to σ² in the Gaussian approximation (&gt; 0).</summary>
    public double VarianceFloor { get; init; } = 1.0;

    /// <summary>Epochs.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Minibatch size.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; init; } = 0.01;

    /// <summary>The learning rate of epoch e is learning_rate · decay^(e − 1).</summary>
    public double LearningRateDecay { get; init; } = 1.0;

    /// <summary>Reads and checks <paramref name="path"/>.</summary>
    /// <exception cref="ExperimentException">A field is missing, of the wrong type or out of range.</exception>
    public static CoresExperiment Read(string path)
    {
        string file = Path.GetFileName(path);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new ExperimentException(file, "", $"not valid JSON ({e.Message})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new ExperimentException(file, "", "the file must hold one JSON object");
            string[] known = ["name", "description", "seed", "data", "topology", "per_class", "threshold", "variance_floor", "training"];
            foreach (var property in root.EnumerateObject())
            {
                if (!known.Contains(property.Name)) throw new ExperimentException(file, property.Name, $"unknown field; allowed: {string.Join(", ", known)}");
            }
            var e = new CoresExperiment();
            if (root.TryGetProperty("name", out var name)) e = e with { Name = String(file, "name", name) };
            if (root.TryGetProperty("seed", out var seed)) e = e with { Seed = seed.TryGetUInt64(out ulong s) ? s : throw new ExperimentException(file, "seed", "must be a whole number ≥ 0") };
            if (root.TryGetProperty("data", out var data))
            {
                if (data.ValueKind != JsonValueKind.Object || !data.TryGetProperty("set", out var set)) throw new ExperimentException(file, "data", "give {\"set\": \"fashion-mnist\"} (and optionally \"directory\")");
                e = e with { Data = String(file, "data.set", set) };
                if (e.Data != "fashion-mnist") throw new ExperimentException(file, "data.set", $"unknown data set '{e.Data}'; allowed: fashion-mnist");
                if (data.TryGetProperty("directory", out var directory)) e = e with { DataDirectory = String(file, "data.directory", directory) };
            }
            if (root.TryGetProperty("topology", out var topology))
            {
                e = e with { Topology = String(file, "topology", topology) };
                if (e.Topology != "five-core-frame") throw new ExperimentException(file, "topology", $"unknown topology '{e.Topology}'; allowed: five-core-frame");
            }
            if (root.TryGetProperty("per_class", out var perClass)) e = e with { PerClass = Int(file, "per_class", perClass, 1, 25) };
            if (root.TryGetProperty("threshold", out var threshold)) e = e with { Threshold = Int(file, "threshold", threshold, 0, 255) };
            if (root.TryGetProperty("variance_floor", out var floor)) e = e with { VarianceFloor = Positive(file, "variance_floor", floor) };
            if (root.TryGetProperty("training", out var training))
            {
                if (training.ValueKind != JsonValueKind.Object) throw new ExperimentException(file, "training", "must be an object: epochs, batch_size, learning_rate, learning_rate_decay");
                foreach (var property in training.EnumerateObject())
                {
                    string at = "training." + property.Name;
                    e = property.Name switch
                    {
                        "epochs" => e with { Epochs = Int(file, at, property.Value, 1, 10_000) },
                        "batch_size" => e with { BatchSize = Int(file, at, property.Value, 1, 60_000) },
                        "learning_rate" => e with { LearningRate = Positive(file, at, property.Value) },
                        "learning_rate_decay" => e with { LearningRateDecay = Positive(file, at, property.Value) },
                        _ => throw new ExperimentException(file, at, "unknown field; allowed: epochs, batch_size, learning_rate, learning_rate_decay"),
                    };
                }
            }
            return e;
        }
    }

    private static string String(string file, string path, JsonElement value) =>
        value.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(value.GetString()) ? value.GetString()! : throw new ExperimentException(file, path, "must be a non-empty string");

    private static int Int(string file, string path, JsonElement value, int min, int max) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int v) && v >= min && v <= max ? v
            : throw new ExperimentException(file, path, string.Create(CultureInfo.InvariantCulture, $"must be a whole number in [{min}, {max}], got {value.GetRawText()}"));

    private static double Positive(string file, string path, JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.GetDouble() is var v && v > 0 && double.IsFinite(v) ? v
            : throw new ExperimentException(file, path, $"must be a positive number, got {value.GetRawText()}");
}
