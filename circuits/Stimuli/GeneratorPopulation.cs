using System.Diagnostics.CodeAnalysis;
using BioSim.Circuits.Populations;
using BioSim.Engine.Events;
using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Stimuli;

/// <summary>
/// Shared bookkeeping of a stimulus device that emits spikes (NEST's generators, Brian2's SpikeGeneratorGroup and
/// PoissonGroup, NEURON's VecStim): a population with no input ports whose element i is one spike train. Each train
/// keeps the time of its next spike in <c>t_next</c> (ms, +∞ when it has none left), the one recordable variable; a
/// step [t, t + dt) emits every spike with t_next &lt; t + dt at its exact time, in train order, and asks the model
/// for the train's following spike (<see cref="Following"/>). Integer state (a spike index, a random stream position)
/// is saved with the snapshot as integers.
/// </summary>
public abstract class GeneratorPopulation : IPopulation
{
    private readonly string[] _variables = ["t_next"];
    private readonly List<(string Name, long[] Values)> _integers = [];
    private double _dt = double.NaN;

    /// <param name="name">The population's name (non-empty).</param>
    /// <param name="size">Number of spike trains, &gt; 0.</param>
    /// <param name="receptors">Must be empty: a generator takes no input.</param>
    /// <param name="model">The model's name, for messages.</param>
    /// <param name="parameters">Checked here; a problem throws an <see cref="ArgumentException"/> "Population 'name' (model): field: problem.".</param>
    protected GeneratorPopulation(string name, int size, IReadOnlyList<Synapses.ReceptorSpec> receptors, string model, IModelParameters parameters)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A population needs a non-empty name.", nameof(name));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ArgumentNullException.ThrowIfNull(receptors);
        ArgumentNullException.ThrowIfNull(parameters);
        if (receptors.Count > 0) throw new ArgumentException($"Population '{name}' ({model}): a generator takes no input, so it has no receptors; remove \"receptors\".");
        string? invalid = parameters.Validate();
        if (invalid is not null) throw new ArgumentException($"Population '{name}' ({model}): {invalid}.");
        Name = name;
        Size = size;
        Model = model;
        NextSpike = new double[size];
        Array.Fill(NextSpike, double.PositiveInfinity);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <summary>The model's name, for messages.</summary>
    protected string Model { get; }

    /// <summary>t_next: the time (ms) of each train's next spike, +∞ when the train has ended.</summary>
    protected double[] NextSpike { get; }

    /// <inheritdoc/>
    public IReadOnlyList<string> VariableNames => _variables;

    /// <inheritdoc/>
    public IReadOnlyList<string> InputNames => [];

    /// <inheritdoc/>
    public string UnitOf(string variable) => variable == "t_next" ? "ms" : throw Unknown(variable);

    /// <inheritdoc/>
    public double[] Variable(string name) => name == "t_next" ? NextSpike : throw Unknown(name);

    private KeyNotFoundException Unknown(string variable) =>
        new($"Population '{Name}' ({Model}) has no variable '{variable}'; it has: t_next.");

    /// <inheritdoc/>
    public DelayRing Input(string name) =>
        throw new KeyNotFoundException($"Population '{Name}' ({Model}) is a generator and takes no input; it has no receptor '{name}'.");

    /// <inheritdoc/>
    public ProbeLayout Probe(string variable, IReadOnlyList<int>? elements, IReadOnlyList<string>? sections)
    {
        if (sections is not null) throw new ArgumentException($"population '{Name}' has no sections; only multi-compartment cells do");
        if (variable != "t_next") throw new ArgumentException($"population '{Name}' has no variable '{variable}'; it has: t_next");
        int[] ids = elements?.ToArray() ?? Enumerable.Range(0, Size).ToArray();
        return ProbeLayout.PerElement(variable, "ms", NextSpike, ids);
    }

    /// <summary>Registers an integer state array (saved with the snapshot, not recorded).</summary>
    protected long[] AddIntegerState(string name)
    {
        var values = new long[Size];
        _integers.Add((name, values));
        return values;
    }

    /// <summary>Records the step; a generator has no input rings to size.</summary>
    public void Prepare(double dt, int maxDelaySteps)
    {
        if (!(dt > 0) || double.IsInfinity(dt)) throw new ArgumentOutOfRangeException(nameof(dt), $"dt must be positive and finite, got {dt}.");
        _dt = dt;
    }

    /// <summary>Emits, in train order, every spike of trains [start, end) that falls before the end of the step
    /// (the step that starts at t = n·dt ends at (n + 1)·dt, computed as the simulator computes its clock).</summary>
    [SuppressMessage("Naming", "CA1716:Identifiers should not match keywords",
        Justification = "Implements IDynamics.Advance, whose start and end bound the half-open element range [start, end) and carry the same suppression.")]
    public void Advance(double t, double dt, int start, int end, SpikeList spikes)
    {
        if (dt != _dt) throw new InvalidOperationException($"Population '{Name}' was prepared for dt = {_dt} ms, not {dt} ms.");
        ArgumentNullException.ThrowIfNull(spikes);
        double stepEnd = (Math.Round(t / dt) + 1) * dt;
        var next = NextSpike;
        for (int i = start; i < end; i++)
        {
            while (next[i] < stepEnd)
            {
                spikes.Add(i, next[i]);
                next[i] = Following(i, next[i]);
            }
        }
    }

    /// <summary>The time of train <paramref name="i"/>'s spike after the one at <paramref name="time"/> (ms), +∞ when none;
    /// advances the train's state (spike index, random stream).</summary>
    protected abstract double Following(int i, double time);

    /// <summary>Nothing to consume: a generator has no input.</summary>
    public void EndStep()
    {
    }

    /// <summary>Copies t_next (under prefix + "t_next") and every integer state array (under prefix + its name).</summary>
    public void SaveState(StateSnapshot snapshot, string prefix)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        snapshot.Put(prefix + "t_next", NextSpike);
        foreach (var (name, values) in _integers) snapshot.Put(prefix + name, BeforeSave(name, values));
    }

    /// <inheritdoc/>
    public void LoadState(StateSnapshot snapshot, string prefix)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        snapshot.Get(prefix + "t_next", NextSpike);
        foreach (var (name, values) in _integers)
        {
            snapshot.Get(prefix + name, values);
            AfterLoad(name, values);
        }
    }

    /// <summary>The values an integer state array is saved as (a model that keeps the state elsewhere, such as in random
    /// streams, copies it into <paramref name="values"/> first). By default the array itself.</summary>
    protected virtual long[] BeforeSave(string name, long[] values) => values;

    /// <summary>Called after an integer state array was restored, so a model can put it back where it keeps it.</summary>
    protected virtual void AfterLoad(string name, long[] values)
    {
    }
}
