using System.Diagnostics.CodeAnalysis;
using BioSim.Circuits.Populations;

namespace BioSim.Circuits.Stimuli;

/// <summary>
/// Parameters of the step-current device (see <see cref="StepCurrentPopulation"/>), as NEST's step_current_generator
/// takes them: the amplitude is 0 until <see cref="amplitude_times"/>[0], then <see cref="amplitude_values"/>[k] from
/// amplitude_times[k] until amplitude_times[k + 1] (the last one to the end of the run), or, with
/// <see cref="repeat_period"/>, that waveform over [0, P) repeated every P ms. The schedule is inline or read from a
/// text <see cref="file"/> (two columns, time in ms and amplitude in pA; blank lines and lines starting with # skipped).
/// </summary>
[SuppressMessage("Performance", "CA1819:Properties should not return arrays",
    Justification = "A parameters record read from JSON: the schedule is two arrays in the experiment file, copied by the population.")]
public sealed record StepCurrentParameters : IModelParameters
{
    /// <summary>The times (ms) at which the amplitude changes: finite, ≥ 0, strictly increasing. Default: none.</summary>
    public double[] amplitude_times { get; init; } = [];

    /// <summary>amplitude_values[k], the amplitude (pA) from amplitude_times[k] on; one per time. Default: none.</summary>
    public double[] amplitude_values { get; init; } = [];

    /// <summary>A text file (relative to the experiment file) holding the schedule instead: "time amplitude" per line
    /// (whitespace or comma between). Read by the experiment reader, which fills the two arrays. Default: none.</summary>
    public string? file { get; init; }

    /// <summary>P (ms), &gt; the last time: the waveform over [0, P) repeats every P ms (0 before its first time in
    /// each period). Default: none (played once).</summary>
    public double? repeat_period { get; init; }

    /// <summary>Returns the first invalid field as "field: problem", or null when all are valid.</summary>
    public string? Validate()
    {
        if (amplitude_times is null) return "amplitude_times: must be a list of times in ms";
        if (amplitude_values is null) return "amplitude_values: must be a list of amplitudes in pA";
        if (file is not null && (amplitude_times.Length > 0 || amplitude_values.Length > 0))
        {
            return "file: give the schedule either inline (amplitude_times and amplitude_values) or as a file, not both";
        }
        for (int k = 0; k < amplitude_times.Length; k++)
        {
            double t = amplitude_times[k];
            if (!(t >= 0) || double.IsInfinity(t)) return $"amplitude_times: entry {k} is {t}; times must be finite and ≥ 0 ms";
            if (k > 0 && !(t > amplitude_times[k - 1]))
            {
                return $"amplitude_times: entry {k} ({t} ms) does not follow entry {k - 1} ({amplitude_times[k - 1]} ms); times must be strictly increasing";
            }
        }
        for (int k = 0; k < amplitude_values.Length; k++)
        {
            if (!double.IsFinite(amplitude_values[k])) return $"amplitude_values: entry {k} is {amplitude_values[k]}; amplitudes must be finite (pA)";
        }
        if (amplitude_values.Length != amplitude_times.Length)
        {
            return $"amplitude_values: {amplitude_values.Length} values for {amplitude_times.Length} amplitude_times; give one value per time";
        }
        if (repeat_period is double period)
        {
            if (!(period > 0) || double.IsInfinity(period)) return $"repeat_period: must be a positive number of ms, got {period}";
            if (amplitude_times.Length > 0 && !(period > amplitude_times[^1]))
            {
                return $"repeat_period: {period} ms does not exceed the last amplitude time ({amplitude_times[^1]} ms); the period must contain every time";
            }
        }
        return null;
    }
}
