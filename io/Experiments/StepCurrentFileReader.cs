using System.Globalization;
using BioSim.Circuits.Stimuli;

namespace BioSim.IO.Experiments;

/// <summary>
/// Reads the schedule file a step-current device names (<c>"parameters": {"file": "steps.txt"}</c>, relative to the
/// experiment file): one change per line, "time amplitude" (ms, pA) separated by whitespace or a comma; blank lines and
/// lines starting with # are skipped (the two-column text NEURON's Vector.scanf and numpy.savetxt write).
/// </summary>
internal static class StepCurrentFileReader
{
    /// <summary><paramref name="parameters"/> with the file's schedule as amplitude_times and amplitude_values and no file. A
    /// missing file, a line that is not two numbers, or times that are negative, not finite or not strictly increasing are an
    /// <see cref="ExperimentException"/> at <paramref name="path"/>.file naming the file and the line.</summary>
    public static StepCurrentParameters Load(StepCurrentParameters parameters, JsonFields f, string path)
    {
        string field = $"{path}.file";
        string file = parameters.file!;
        if (!Path.IsPathRooted(file)) file = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(f.File)) ?? "", file);
        if (!File.Exists(file)) throw f.Error(field, $"the schedule file '{file}' does not exist; give a text file of \"time amplitude\" lines (ms, pA) relative to the experiment file");
        string[] lines;
        try
        {
            lines = File.ReadAllLines(file);
        }
        catch (IOException e)
        {
            throw f.Error(field, $"'{file}' cannot be read: {ExperimentReader.FirstSentence(e.Message)}");
        }
        var times = new List<double>();
        var values = new List<double>();
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            string[] parts = line.Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2
                || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double time)
                || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                throw f.Error(field, $"'{file}' line {n + 1}: \"{line}\" is not two numbers \"time amplitude\" (ms, pA)");
            }
            if (!(time >= 0) || double.IsInfinity(time)) throw f.Error(field, $"'{file}' line {n + 1}: time {time} ms; times must be finite and ≥ 0 ms");
            if (times.Count > 0 && !(time > times[^1]))
            {
                throw f.Error(field, $"'{file}' line {n + 1}: time {time} ms does not follow the previous time ({times[^1]} ms); times must be strictly increasing");
            }
            if (!double.IsFinite(value)) throw f.Error(field, $"'{file}' line {n + 1}: amplitude {value} pA; amplitudes must be finite");
            times.Add(time);
            values.Add(value);
        }
        if (times.Count == 0) throw f.Error(field, $"'{file}' holds no \"time amplitude\" line");
        return parameters with { file = null, amplitude_times = [.. times], amplitude_values = [.. values] };
    }
}
