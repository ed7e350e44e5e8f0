using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Random;

namespace BioSim.Circuits.Stimuli;

/// <summary>
/// A Gaussian current held piecewise constant (NEST's noise_generator): from <c>start</c> to <c>stop</c> the amplitude on
/// the k-th interval [start + kΔ, start + (k + 1)Δ) is μ + σ ξ_k with ξ_k standard normal; 0 outside. As in NEST, every
/// target draws its own sequence: the connection from element j to neuron i of population P uses the Philox stream keyed
/// by (experiment seed, device name, "noise->P#j") for element i, and ξ_k is the Box-Muller draw at positions 2k, 2k + 1
/// of that stream. Drawing by position makes ξ_k a function of k alone: the same at any step, thread count, or after a
/// resume, with no stream position to checkpoint. "I" records μ while the device is on.
/// </summary>
public sealed class NoiseCurrentPopulation : CurrentSourcePopulation, IPopulationFactory<NoiseCurrentParameters, NoiseCurrentPopulation>
{
    private readonly NoiseCurrentParameters _p;
    private readonly ulong _seed;
    private readonly long _intervals;   // intervals before stop (long.MaxValue when it never stops)

    /// <param name="name">The population's name; with <paramref name="seed"/> it keys the connections' streams.</param>
    /// <param name="size">Number of elements, &gt; 0.</param>
    /// <param name="parameters">Checked here (a problem throws an <see cref="ArgumentException"/> naming the population and the field).</param>
    /// <param name="receptors">Must be empty.</param>
    /// <param name="seed">The experiment's seed.</param>
    public NoiseCurrentPopulation(string name, int size, NoiseCurrentParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed)
        : base(name, size, receptors, "noise-generator", parameters)
    {
        _p = parameters;
        _seed = seed;
        _intervals = parameters.stop is double stop ? (long)Math.Ceiling((stop - parameters.start) / parameters.dt_noise) : long.MaxValue;
    }

    /// <summary>None: a device takes no input.</summary>
    public static IReadOnlyList<string> ReceptorModels { get; } = [];

    /// <summary>Builds the device; its connections draw from streams keyed by <paramref name="seed"/> and <paramref name="name"/>.</summary>
    public static NoiseCurrentPopulation Create(string name, int size, NoiseCurrentParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed) =>
        new(name, size, parameters, receptors, seed);

    /// <inheritdoc/>
    public override RandomStream ConnectionStream(int element, string targetPopulation, int target) =>
        new RandomStream(_seed, Name, $"noise->{targetPopulation}#{element}").ForElement((uint)target);

    /// <inheritdoc/>
    public override long FirstChange(int element, double from)
    {
        if (from <= _p.start) return 0;
        long c = (long)Math.Min(Math.Ceiling((from - _p.start) / _p.dt_noise), _intervals);
        // Rounding: ChangeTime is start + c·Δ; make c the first with ChangeTime(c) ≥ from.
        while (c > 0 && ChangeTime(element, c - 1) >= from) c--;
        while (ChangeTime(element, c) < from) c++;
        return c;
    }

    /// <inheritdoc/>
    public override double ChangeTime(int element, long change)
    {
        if (change < 0) return double.NegativeInfinity;
        if (change < _intervals) return _p.start + change * _p.dt_noise;
        return change == _intervals ? _p.stop!.Value : double.PositiveInfinity;
    }

    /// <inheritdoc/>
    public override double AmplitudeAfter(int element, RandomStream connection, long change)
    {
        if (change < 0 || change >= _intervals) return 0;
        if (_p.std == 0) return _p.mean;
        connection.Position = 2 * (ulong)change;
        return _p.mean + _p.std * connection.NextGaussian();
    }

    /// <summary>μ while the device is on, 0 before start and after stop.</summary>
    protected override double Recorded(int element, double time) =>
        time >= _p.start && (_p.stop is not double stop || time < stop) ? _p.mean : 0;
}
