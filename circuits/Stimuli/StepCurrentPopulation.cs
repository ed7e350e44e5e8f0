using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Random;

namespace BioSim.Circuits.Stimuli;

/// <summary>
/// A piecewise-constant current (NEST's step_current_generator; NEURON's IClamp amplitude driven by Vector.play with
/// continuous = 0; Brian2's TimedArray current): every element plays the schedule of <see cref="StepCurrentParameters"/>,
/// A(t) = amplitude_values[k] for amplitude_times[k] ≤ t &lt; amplitude_times[k + 1], 0 before the first time, optionally
/// repeated every repeat_period. A projection's weight scales the amplitude onto each target. In grid timing a target
/// takes a change from the first step that starts at or after it (NEST's allow_offgrid_times); in exact timing at
/// its time, inside the step.
/// </summary>
public sealed class StepCurrentPopulation : CurrentSourcePopulation, IPopulationFactory<StepCurrentParameters, StepCurrentPopulation>
{
    private readonly double[] _times;    // change times within one period; with a period and a first time > 0, a leading 0
    private readonly double[] _values;   // amplitude from each change on
    private readonly double _period;     // +∞ when the schedule is played once

    /// <param name="name">The population's name.</param>
    /// <param name="size">Number of elements (each plays the same schedule), &gt; 0.</param>
    /// <param name="parameters">The schedule, checked here (a problem throws an <see cref="ArgumentException"/> naming the population and the field).</param>
    /// <param name="receptors">Must be empty.</param>
    public StepCurrentPopulation(string name, int size, StepCurrentParameters parameters, IReadOnlyList<ReceptorSpec> receptors)
        : base(name, size, receptors, "step-current-generator", parameters)
    {
        if (parameters.file is not null)
        {
            throw new ArgumentException($"Population '{name}' (step-current-generator): file: the schedule file '{parameters.file}' was not read; experiment files read it, a population built by hand takes amplitude_times and amplitude_values.");
        }
        _period = parameters.repeat_period ?? double.PositiveInfinity;
        bool leadingZero = parameters.repeat_period is not null && (parameters.amplitude_times.Length == 0 || parameters.amplitude_times[0] > 0);
        _times = leadingZero ? [0, .. parameters.amplitude_times] : [.. parameters.amplitude_times];
        _values = leadingZero ? [0, .. parameters.amplitude_values] : [.. parameters.amplitude_values];
    }

    /// <summary>None: a device takes no input.</summary>
    public static IReadOnlyList<string> ReceptorModels { get; } = [];

    /// <summary>Builds the device; it draws no random numbers, so <paramref name="seed"/> is unused.</summary>
    public static StepCurrentPopulation Create(string name, int size, StepCurrentParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed) =>
        new(name, size, parameters, receptors);

    /// <inheritdoc/>
    public override long FirstChange(int element, double from)
    {
        int n = _times.Length;
        if (n == 0) return 0;
        long lo = 0;
        if (double.IsFinite(_period) && from > 0)
        {
            long period = (long)Math.Floor(from / _period);
            // Change times are computed as m·P + τ_r (ChangeTime): step back a period if rounding put from past one.
            while (period > 0 && ChangeTime(element, period * n) >= from) period--;
            lo = period * n;
        }
        // The first change at or after from lies in [lo, lo + n] (the next period's first change is past from); lower bound.
        long hi = lo + n;
        while (lo < hi)
        {
            long mid = lo + (hi - lo) / 2;
            if (ChangeTime(element, mid) < from) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <inheritdoc/>
    public override double ChangeTime(int element, long change)
    {
        int n = _times.Length;
        if (change < 0) return double.NegativeInfinity;
        if (double.IsPositiveInfinity(_period)) return change < n ? _times[change] : double.PositiveInfinity;
        return change / n * _period + _times[change % n];
    }

    /// <inheritdoc/>
    public override double AmplitudeAfter(int element, RandomStream connection, long change)
    {
        if (change < 0 || _times.Length == 0) return 0;
        if (double.IsPositiveInfinity(_period)) return _values[Math.Min(change, _values.Length - 1)];
        return _values[change % _values.Length];
    }
}
