using BioSim.Circuits.Populations;

namespace BioSim.Circuits.Stimuli;

/// <summary>
/// Parameters of the noise-current device (see <see cref="NoiseCurrentPopulation"/>), as NEST's noise_generator takes
/// them (its "dt" is <see cref="dt_noise"/> here, so that it cannot be mistaken for the simulation step).
/// </summary>
public sealed record NoiseCurrentParameters : IModelParameters
{
    /// <summary>μ, mean current (pA). Default 0.</summary>
    public double mean { get; init; }

    /// <summary>σ, standard deviation of the current (pA), ≥ 0. Default 0.</summary>
    public double std { get; init; }

    /// <summary>Δ, the interval (ms, &gt; 0) over which each drawn value is held. Default 1 (NEST's default).</summary>
    public double dt_noise { get; init; } = 1.0;

    /// <summary>The time (ms, ≥ 0) at which the current starts (0 before). Default 0.</summary>
    public double start { get; init; }

    /// <summary>The time (ms, &gt; start) at which it stops (0 from then on). Default: never.</summary>
    public double? stop { get; init; }

    /// <summary>Returns the first invalid field as "field: problem", or null when all are valid.</summary>
    public string? Validate()
    {
        if (!double.IsFinite(mean)) return $"mean: must be a finite number of pA, got {mean}";
        if (!(std >= 0) || double.IsInfinity(std)) return $"std: must be a finite number of pA ≥ 0, got {std}";
        if (!(dt_noise > 0) || double.IsInfinity(dt_noise)) return $"dt_noise: must be a positive number of ms, got {dt_noise}";
        if (!(start >= 0) || double.IsInfinity(start)) return $"start: must be a finite number of ms ≥ 0, got {start}";
        if (stop is double s && (!(s > start) || double.IsNaN(s))) return $"stop: must come after start ({start} ms), got {s}";
        return null;
    }
}
