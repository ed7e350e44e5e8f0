using System.Globalization;
using System.Text.Json;

namespace BioSim.IO.NeuralOde;

/// <summary>The files <c>biosim fit</c> leaves besides its plot: parameters.json (the fitted model and its errors) and
/// loss.csv (the minibatch loss of every step).</summary>
public static class FitOutput
{
    /// <summary>Writes parameters.json: experiment, model, gradient, final_batch_loss, trajectory_mse, heldout_mse (when
    /// there are held-out trajectories), the model's named blocks (W, U, b, tau; layer_sizes) and the flat parameters.</summary>
    public static void WriteParameters(string path, FitExperiment experiment, double finalLoss, double trajectoryMse, double? heldOutMse,
        IReadOnlyList<KeyValuePair<string, double[]>> blocks, ReadOnlySpan<double> parameters)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(blocks);
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("experiment", experiment.File);
        json.WriteString("model", experiment.ModelType);
        json.WriteString("gradient", experiment.Gradient);
        json.WriteNumber("final_batch_loss", finalLoss);
        json.WriteNumber("trajectory_mse", trajectoryMse);
        if (heldOutMse is { } h) json.WriteNumber("heldout_mse", h);
        foreach (var (name, values) in blocks) WriteArray(json, name, values);
        WriteArray(json, "parameters", parameters);
        json.WriteEndObject();
    }

    /// <summary>Writes loss.csv: a header "step,loss" and one row per step (round-trip precision).</summary>
    public static void WriteLossCurve(string path, IReadOnlyList<double> losses)
    {
        ArgumentNullException.ThrowIfNull(losses);
        File.WriteAllLines(path, ["step,loss", .. losses.Select((l, i) => string.Create(CultureInfo.InvariantCulture, $"{i},{l:R}"))]);
    }

    private static void WriteArray(Utf8JsonWriter json, string name, ReadOnlySpan<double> values)
    {
        json.WriteStartArray(name);
        foreach (double v in values) json.WriteNumberValue(v);
        json.WriteEndArray();
    }
}
