using System.Diagnostics.CodeAnalysis;
using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Events;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Stimuli;

/// <summary>
/// Shared bookkeeping of a current device (<see cref="ICurrentSource"/>) as a population that experiment files name and
/// connect like any other: no input, no spikes, one recordable variable "I" (pA), the amplitude of each element at the
/// start of the step (for a noise device its mean: each connection draws its own noise, which the target records as
/// "I_stim"). The targets compute the current they receive themselves (see <see cref="CurrentProjection"/>), so a
/// device's step only updates "I".
/// </summary>
public abstract class CurrentSourcePopulation : IPopulation, ICurrentSource
{
    private readonly string[] _variables = ["I"];
    private readonly double[] _current;
    private double _dt = double.NaN;

    /// <param name="name">The population's name (non-empty).</param>
    /// <param name="size">Number of elements, &gt; 0.</param>
    /// <param name="receptors">Must be empty: a device takes no input.</param>
    /// <param name="model">The model's name, for messages.</param>
    /// <param name="parameters">Checked here; a problem throws an <see cref="ArgumentException"/> "Population 'name' (model): field: problem.".</param>
    protected CurrentSourcePopulation(string name, int size, IReadOnlyList<ReceptorSpec> receptors, string model, IModelParameters parameters)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A population needs a non-empty name.", nameof(name));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ArgumentNullException.ThrowIfNull(receptors);
        ArgumentNullException.ThrowIfNull(parameters);
        if (receptors.Count > 0) throw new ArgumentException($"Population '{name}' ({model}): a current device takes no input, so it has no receptors; remove \"receptors\".");
        string? invalid = parameters.Validate();
        if (invalid is not null) throw new ArgumentException($"Population '{name}' ({model}): {invalid}.");
        Name = name;
        Size = size;
        Model = model;
        _current = new double[size];
    }

    /// <inheritdoc cref="IDynamics.Name"/>
    public string Name { get; }

    /// <inheritdoc cref="IDynamics.Size"/>
    public int Size { get; }

    /// <summary>The model's name, for messages.</summary>
    protected string Model { get; }

    /// <summary>False: a device emits no spikes.</summary>
    public bool EmitsSpikes => false;

    /// <inheritdoc/>
    public IReadOnlyList<string> VariableNames => _variables;

    /// <inheritdoc/>
    public IReadOnlyList<string> InputNames => [];

    /// <inheritdoc/>
    public string UnitOf(string variable) => variable == "I" ? "pA" : throw Unknown(variable);

    /// <inheritdoc/>
    public double[] Variable(string name) => name == "I" ? _current : throw Unknown(name);

    private KeyNotFoundException Unknown(string variable) =>
        new($"Population '{Name}' ({Model}) has no variable '{variable}'; it has: I.");

    /// <inheritdoc/>
    public DelayRing Input(string name) =>
        throw new KeyNotFoundException($"Population '{Name}' ({Model}) is a current device and takes no input; it has no receptor '{name}'.");

    /// <inheritdoc/>
    public ProbeLayout Probe(string variable, IReadOnlyList<int>? elements, IReadOnlyList<string>? sections)
    {
        if (sections is not null) throw new ArgumentException($"population '{Name}' has no sections; only multi-compartment cells do");
        if (variable != "I") throw new ArgumentException($"population '{Name}' has no variable '{variable}'; it has: I");
        int[] ids = elements?.ToArray() ?? Enumerable.Range(0, Size).ToArray();
        return ProbeLayout.PerElement(variable, "pA", _current, ids);
    }

    /// <summary>Records the step; a device has no input rings.</summary>
    public void Prepare(double dt, int maxDelaySteps)
    {
        if (!(dt > 0) || double.IsInfinity(dt)) throw new ArgumentOutOfRangeException(nameof(dt), $"dt must be positive and finite, got {dt}.");
        _dt = dt;
    }

    /// <summary>Sets "I" of elements [start, end) to their (mean) amplitude at <paramref name="t"/>.</summary>
    [SuppressMessage("Naming", "CA1716:Identifiers should not match keywords",
        Justification = "Implements IDynamics.Advance, whose start and end bound the half-open element range [start, end) and carry the same suppression.")]
    public void Advance(double t, double dt, int start, int end, SpikeList spikes)
    {
        if (dt != _dt) throw new InvalidOperationException($"Population '{Name}' was prepared for dt = {_dt} ms, not {dt} ms.");
        for (int j = start; j < end; j++) _current[j] = Recorded(j, t);
    }

    /// <summary>The value "I" shows for element <paramref name="element"/> at <paramref name="time"/>: by default the amplitude
    /// after the last change at or before it.</summary>
    protected virtual double Recorded(int element, double time) =>
        AmplitudeAfter(element, default, FirstChange(element, Math.BitIncrement(time)) - 1);

    /// <summary>Nothing to consume.</summary>
    public void EndStep()
    {
    }

    /// <inheritdoc/>
    public abstract long FirstChange(int element, double from);

    /// <inheritdoc/>
    public abstract double ChangeTime(int element, long change);

    /// <inheritdoc/>
    public abstract double AmplitudeAfter(int element, RandomStream connection, long change);

    /// <inheritdoc/>
    public virtual RandomStream ConnectionStream(int element, string targetPopulation, int target) => default;

    /// <summary>Saves "I" (the amplitudes are functions of time, so nothing else is state).</summary>
    public void SaveState(StateSnapshot snapshot, string prefix)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        snapshot.Put(prefix + "I", _current);
    }

    /// <inheritdoc/>
    public void LoadState(StateSnapshot snapshot, string prefix)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        snapshot.Get(prefix + "I", _current);
    }
}
