using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;

namespace BioSim.Circuits.Stimuli;

/// <summary>
/// Spike trains at given times (NEST's spike_generator, Brian2's SpikeGeneratorGroup, NEURON's VecStim): neuron i emits
/// a spike at each of its times, exactly, in the step [n·dt, (n + 1)·dt) that contains it; projections from it deliver
/// like those of any population, and its spikes are recorded like any population's. The times are stored by neuron
/// (compressed rows); the state is the index of each train's next spike (an integer, saved with checkpoints) and
/// t_next, that spike's time.
/// </summary>
public sealed class SpikeGeneratorPopulation : GeneratorPopulation, IPopulationFactory<SpikeGeneratorParameters, SpikeGeneratorPopulation>
{
    private readonly int[] _rowStart;
    private readonly double[] _times;
    private readonly long[] _nextIndex;

    /// <summary>Every train at its first spike.</summary>
    /// <param name="name">The population's name.</param>
    /// <param name="size">Number of trains, &gt; 0: the length of <see cref="SpikeGeneratorParameters.times"/> when given, above every id.</param>
    /// <param name="parameters">The spike times, checked here (a problem throws an <see cref="ArgumentException"/> naming the population and the field).</param>
    /// <param name="receptors">Must be empty.</param>
    public SpikeGeneratorPopulation(string name, int size, SpikeGeneratorParameters parameters, IReadOnlyList<ReceptorSpec> receptors)
        : base(name, size, receptors, "spike-generator", parameters)
    {
        string where = $"Population '{name}' (spike-generator)";
        if (parameters.file is not null)
        {
            throw new ArgumentException($"{where}: file: spike files are read by the experiment reader, which turns them into ids and spike_times; give those here");
        }
        string? misfit = parameters.ValidateFor(size);
        if (misfit is not null) throw new ArgumentException($"{where}: {misfit}");
        _rowStart = new int[size + 1];
        if (parameters.times is { } trains)
        {
            for (int i = 0; i < size; i++) _rowStart[i + 1] = _rowStart[i] + trains[i].Length;
            _times = new double[_rowStart[size]];
            for (int i = 0; i < size; i++) trains[i].CopyTo(_times, _rowStart[i]);
        }
        else if (parameters.ids is { } ids && parameters.spike_times is { } flat)
        {
            // Counting sort by neuron, stable, so each neuron's times keep their (non-decreasing) order.
            foreach (int id in ids) _rowStart[id + 1]++;
            for (int i = 0; i < size; i++) _rowStart[i + 1] += _rowStart[i];
            _times = new double[flat.Length];
            var fill = _rowStart[..size];
            for (int k = 0; k < ids.Length; k++) _times[fill[ids[k]]++] = flat[k];
        }
        else
        {
            _times = [];
        }
        _nextIndex = AddIntegerState("next_index");
        for (int i = 0; i < size; i++)
        {
            _nextIndex[i] = _rowStart[i];
            NextSpike[i] = _rowStart[i] < _rowStart[i + 1] ? _times[_rowStart[i]] : double.PositiveInfinity;
        }
    }

    /// <summary>None: a generator takes no input.</summary>
    public static IReadOnlyList<string> ReceptorModels { get; } = [];

    /// <summary>Number of spikes of all trains.</summary>
    public int SpikeCount => _times.Length;

    /// <summary>Builds the population; it draws no random numbers, so <paramref name="seed"/> is unused.</summary>
    public static SpikeGeneratorPopulation Create(string name, int size, SpikeGeneratorParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed) =>
        new(name, size, parameters, receptors);

    /// <summary>The next stored time of train <paramref name="i"/>, or +∞ after its last.</summary>
    protected override double Following(int i, double time)
    {
        long k = ++_nextIndex[i];
        return k < _rowStart[i + 1] ? _times[k] : double.PositiveInfinity;
    }
}
