using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Random;

namespace BioSim.Circuits.Stimuli;

/// <summary>
/// Independent Poisson spike trains (NEST's poisson_generator and inhomogeneous_poisson_generator, Brian2's PoissonGroup)
/// with a rate λ(t) that is constant or piecewise constant (<see cref="PoissonGeneratorParameters"/>). Spike times are
/// continuous, not one Bernoulli draw per step: from a spike at s the next is at the t where
/// <code>
///   ∫_s^t λ(u) du = E,   E = −ln(1 − U),  U uniform on [0, 1)
/// </code>
/// (time rescaling: a unit-rate exponential interval mapped through the integrated rate, exact for a piecewise-constant
/// λ), so with a constant rate the intervals are exponential with mean 1/λ, and a spike lies wherever it falls inside a
/// step. Train i draws from its own Philox stream keyed by (experiment seed, population name, "poisson") and element i,
/// one draw per spike, so a train does not depend on the thread count, on the population's size or on the step; the
/// stream positions are saved with checkpoints.
/// </summary>
public sealed class PoissonGeneratorPopulation : GeneratorPopulation, IPopulationFactory<PoissonGeneratorParameters, PoissonGeneratorPopulation>
{
    private readonly RandomStream[] _streams;
    private readonly long[] _positions;
    private readonly double[] _segmentStart;   // ms; the first is 0
    private readonly double[] _segmentRate;    // spikes per ms

    /// <summary>Each train with its first spike drawn from t = 0.</summary>
    /// <param name="name">The population's name; with <paramref name="seed"/> it keys the trains' random streams.</param>
    /// <param name="size">Number of trains, &gt; 0.</param>
    /// <param name="parameters">The rate schedule, checked here (a problem throws an <see cref="ArgumentException"/> naming the population and the field).</param>
    /// <param name="receptors">Must be empty.</param>
    /// <param name="seed">The experiment's seed.</param>
    public PoissonGeneratorPopulation(string name, int size, PoissonGeneratorParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed)
        : base(name, size, receptors, "poisson-generator", parameters)
    {
        int n = parameters.rate_times.Length;
        _segmentStart = new double[n + 1];
        _segmentRate = new double[n + 1];
        _segmentRate[0] = parameters.rate / 1000.0;
        for (int k = 0; k < n; k++)
        {
            _segmentStart[k + 1] = parameters.rate_times[k];
            _segmentRate[k + 1] = parameters.rates[k] / 1000.0;
        }
        var stream = new RandomStream(seed, name, "poisson");
        _streams = new RandomStream[size];
        _positions = AddIntegerState("stream_position");
        for (int i = 0; i < size; i++)
        {
            _streams[i] = stream.ForElement((uint)i);
            NextSpike[i] = Next(ref _streams[i], 0.0);
        }
    }

    /// <summary>None: a generator takes no input.</summary>
    public static IReadOnlyList<string> ReceptorModels { get; } = [];

    /// <summary>Builds the population; its trains draw from streams keyed by <paramref name="seed"/> and <paramref name="name"/>.</summary>
    public static PoissonGeneratorPopulation Create(string name, int size, PoissonGeneratorParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed) =>
        new(name, size, parameters, receptors, seed);

    /// <inheritdoc/>
    protected override double Following(int i, double time) => Next(ref _streams[i], time);

    /// <summary>The first spike after <paramref name="from"/>: one exponential draw mapped through the integrated rate,
    /// segment by segment; +∞ when the rate stays 0 from some time on before the draw is used up.</summary>
    private double Next(ref RandomStream stream, double from)
    {
        double mass = -Math.Log(1.0 - stream.NextDouble());
        int k = Array.BinarySearch(_segmentStart, from);
        if (k < 0) k = Math.Max(~k - 1, 0); // before 0 (a t_next set by hand) counts as the first segment
        double t = from;
        while (true)
        {
            double end = k + 1 < _segmentStart.Length ? _segmentStart[k + 1] : double.PositiveInfinity;
            double r = _segmentRate[k];
            if (r > 0)
            {
                double candidate = t + mass / r;
                if (candidate < end) return candidate;
            }
            if (double.IsPositiveInfinity(end)) return double.PositiveInfinity;
            mass -= (end - t) * r;
            t = end;
            k++;
        }
    }

    /// <inheritdoc/>
    protected override long[] BeforeSave(string name, long[] values)
    {
        for (int i = 0; i < values.Length; i++) values[i] = (long)_streams[i].Position;
        return values;
    }

    /// <inheritdoc/>
    protected override void AfterLoad(string name, long[] values)
    {
        for (int i = 0; i < values.Length; i++) _streams[i].Position = (ulong)values[i];
    }
}
