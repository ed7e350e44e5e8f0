using System.Diagnostics.CodeAnalysis;
using BioSim.Circuits.Populations;

namespace BioSim.Circuits.Stimuli;

/// <summary>
/// Parameters of the Poisson generator (see <see cref="PoissonGeneratorPopulation"/>): a rate that is constant, or
/// piecewise constant in time — <see cref="rate"/> from t = 0 until <see cref="rate_times"/>[0], then
/// <see cref="rates"/>[k] from rate_times[k] until rate_times[k + 1] (the last one to the end of the run), as NEST's
/// inhomogeneous_poisson_generator takes rate_times and rate_values.
/// </summary>
[SuppressMessage("Performance", "CA1819:Properties should not return arrays",
    Justification = "A parameters record read from JSON: the rate schedule is two arrays in the experiment file, copied by the population.")]
public sealed record PoissonGeneratorParameters : IModelParameters
{
    /// <summary>λ, rate of each train (Hz), ≥ 0, from t = 0 until the first entry of <see cref="rate_times"/> (the whole run
    /// when there is none). Default 0.</summary>
    public double rate { get; init; }

    /// <summary>The times (ms) at which the rate changes to the matching entry of <see cref="rates"/>: finite, ≥ 0, strictly
    /// increasing. Default: none (a constant rate).</summary>
    public double[] rate_times { get; init; } = [];

    /// <summary>rates[k], the rate (Hz, ≥ 0) from <see cref="rate_times"/>[k] on; one per entry of rate_times. Default: none.</summary>
    public double[] rates { get; init; } = [];

    /// <summary>Returns the first invalid field as "field: problem", or null when all are valid.</summary>
    public string? Validate()
    {
        if (!(rate >= 0) || double.IsInfinity(rate)) return $"rate: must be a non-negative number of Hz, got {rate}";
        if (rate_times is null) return "rate_times: must be a list of times in ms";
        if (rates is null) return "rates: must be a list of rates in Hz";
        for (int k = 0; k < rate_times.Length; k++)
        {
            double t = rate_times[k];
            if (!(t >= 0) || double.IsInfinity(t)) return $"rate_times: entry {k} is {t}; times must be finite and ≥ 0 ms";
            if (k > 0 && !(t > rate_times[k - 1]))
            {
                return $"rate_times: entry {k} ({t} ms) does not follow entry {k - 1} ({rate_times[k - 1]} ms); times must be strictly increasing";
            }
        }
        for (int k = 0; k < rates.Length; k++)
        {
            if (!(rates[k] >= 0) || double.IsInfinity(rates[k])) return $"rates: entry {k} is {rates[k]}; rates must be finite and ≥ 0 Hz";
        }
        if (rates.Length != rate_times.Length) return $"rates: {rates.Length} rates for {rate_times.Length} rate_times; give one rate per time";
        return null;
    }
}
