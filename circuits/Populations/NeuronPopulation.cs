using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Events;
using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Populations;

/// <summary>
/// Shared bookkeeping of a point-neuron population: name, size, named state arrays (structure of
/// arrays), receptor ports with their delay rings, and snapshot save/load of every registered array.
/// A model derives from it and implements <see cref="IDynamics.Advance"/>.
/// </summary>
public abstract class NeuronPopulation : IPopulation
{
    private readonly Dictionary<string, (double[] Values, string Unit)> _variables = new(StringComparer.Ordinal);
    private readonly List<string> _variableNames = [];
    private readonly List<double[]> _hidden = [];
    private readonly List<string> _hiddenNames = [];
    private readonly string[] _inputNames;
    private DelayRing[] _rings = [];
    private readonly List<Stimuli.CurrentProjection> _currentInputs = [];
    private readonly List<TimedEvent> _currentEvents = [];
    private double[]? _injected;
    private long _currentStep;

    /// <param name="name">The population's name (non-empty), as experiment files, reports and error messages use it.</param>
    /// <param name="size">Number of neurons, &gt; 0.</param>
    /// <param name="receptors">The input ports, in the order of <see cref="Rings"/>; each is checked, and names must be distinct.</param>
    /// <param name="model">The model's name, for messages.</param>
    /// <param name="parameters">The model's parameters: checked here, once, after the receptors; a problem throws an
    /// <see cref="ArgumentException"/> "Population 'name' (model): field: problem.".</param>
    protected NeuronPopulation(string name, int size, IReadOnlyList<ReceptorSpec> receptors, string? model = null, IModelParameters? parameters = null)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A population needs a non-empty name.", nameof(name));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        Name = name;
        Size = size;
        Receptors = receptors.ToArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in Receptors)
        {
            string? problem = r.Validate();
            if (problem is not null) throw new ArgumentException($"Population '{name}', receptor '{r.Name}': {problem}.");
            if (!seen.Add(r.Name)) throw new ArgumentException($"Population '{name}' has two receptors named '{r.Name}'.");
        }
        _inputNames = Receptors.Select(r => r.Name).ToArray();
        string? invalid = parameters?.Validate();
        if (invalid is not null) throw new ArgumentException($"Population '{name}' ({model}): {invalid}.");
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>Whether the neurons emit spikes: true unless the model is a rate model.</summary>
    public virtual bool EmitsSpikes => true;

    /// <inheritdoc/>
    public int Size { get; }

    /// <summary>The input ports as the experiment gave them, in receptor order (the order of <see cref="InputNames"/>).</summary>
    public IReadOnlyList<ReceptorSpec> Receptors { get; }

    /// <summary>Names of the recordable variables (e.g. "V", "g_exc"), in the order the model registered them.</summary>
    public IReadOnlyList<string> VariableNames => _variableNames;

    /// <summary>The receptor names, in receptor order: the ports projections deliver to.</summary>
    public IReadOnlyList<string> InputNames => _inputNames;

    /// <summary>The step the population was prepared for (NaN before <see cref="Prepare"/>).</summary>
    protected double PreparedDt { get; private set; } = double.NaN;

    /// <summary>Throws unless the population was prepared for step <paramref name="dt"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected void RequirePrepared(double dt)
    {
        if (dt != PreparedDt) throw new InvalidOperationException($"Population '{Name}' was prepared for dt = {PreparedDt} ms, not {dt} ms.");
    }

    /// <summary>e^{−h/τ} for each time constant τ (the exact decay of a linear synaptic variable over h).</summary>
    protected static double[] Decays(double[] tau, double h)
    {
        var decay = new double[tau.Length];
        for (int k = 0; k < tau.Length; k++) decay[k] = Math.Exp(-h / tau[k]);
        return decay;
    }

    /// <summary>The input rings, one per receptor, in receptor order (valid after <see cref="Prepare"/>).</summary>
    protected ReadOnlySpan<DelayRing> Rings => _rings;

    /// <summary>Registers a recordable state variable and returns its array.</summary>
    protected double[] AddVariable(string name, string unit, double initial = 0)
    {
        var values = new double[Size];
        if (initial != 0) values.AsSpan().Fill(initial);
        _variables.Add(name, (values, unit));
        _variableNames.Add(name);
        return values;
    }

    /// <summary>Registers a state array that is not recorded but is part of the snapshot (e.g. end of refractoriness).</summary>
    protected double[] AddHiddenState(string name, double initial)
    {
        var values = new double[Size];
        values.AsSpan().Fill(initial);
        _hidden.Add(values);
        _hiddenNames.Add(name);
        return values;
    }

    /// <summary>
    /// Registers one state variable per receptor (<c>g_&lt;name&gt;</c> in nS for conductances, <c>I_&lt;name&gt;</c> in pA for
    /// currents) and returns them with the coefficients that write the synaptic current as
    /// I_syn = Σ_k s_k Drive_k − V Σ_k s_k Conductance_k (Drive = E and Conductance = 1 for a conductance, 1 and 0 for a current).
    /// </summary>
    protected SynapticState AddSynapticState()
    {
        var state = new SynapticState(Receptors.Count);
        for (int k = 0; k < Receptors.Count; k++)
        {
            var r = Receptors[k];
            state.S[k] = r.IsConductance ? AddVariable("g_" + r.Name, "nS") : AddVariable("I_" + r.Name, "pA");
            state.Tau[k] = r.Tau;
            state.Drive[k] = r.IsConductance ? r.E!.Value : 1.0;
            state.Conductance[k] = r.IsConductance ? 1.0 : 0.0;
        }
        return state;
    }

    /// <summary>One column per neuron: the variable's value of each chosen neuron.</summary>
    public virtual ProbeLayout Probe(string variable, IReadOnlyList<int>? elements, IReadOnlyList<string>? sections)
    {
        if (sections is not null) throw new ArgumentException($"population '{Name}' has no sections; only multi-compartment cells do");
        if (!_variables.TryGetValue(variable, out var v))
        {
            throw new ArgumentException($"population '{Name}' has no variable '{variable}'; it has: {string.Join(", ", _variableNames)}");
        }
        int[] ids = elements?.ToArray() ?? Enumerable.Range(0, Size).ToArray();
        return ProbeLayout.PerElement(variable, v.Unit, v.Values, ids);
    }

    /// <summary>The live array of variable <paramref name="name"/>, one value per neuron in its unit (<see cref="UnitOf"/>);
    /// an unknown name throws a <see cref="KeyNotFoundException"/> that lists the known ones.</summary>
    public double[] Variable(string name) =>
        _variables.TryGetValue(name, out var v) ? v.Values
        : throw new KeyNotFoundException($"Population '{Name}' has no variable '{name}'; it has: {string.Join(", ", _variableNames)}.");

    /// <inheritdoc/>
    /// <remarks>An unknown name throws a <see cref="KeyNotFoundException"/> that lists the known ones.</remarks>
    public string UnitOf(string variable) =>
        _variables.TryGetValue(variable, out var v) ? v.Unit
        : throw new KeyNotFoundException($"Population '{Name}' has no variable '{variable}'; it has: {string.Join(", ", _variableNames)}.");

    /// <summary>The delay ring of receptor <paramref name="name"/> (one slot of <see cref="Size"/> values per step of delay, in the
    /// receptor's weight unit); throws before <see cref="Prepare"/> or for an unknown receptor.</summary>
    public DelayRing Input(string name)
    {
        int k = Array.IndexOf(_inputNames, name);
        if (k < 0) throw new KeyNotFoundException($"Population '{Name}' has no receptor '{name}'; it has: {string.Join(", ", InputNames)}.");
        if (_rings.Length == 0) throw new InvalidOperationException($"Population '{Name}' was not prepared.");
        return _rings[k];
    }

    /// <summary>Receptor index of <paramref name="name"/>, or −1.</summary>
    public int ReceptorIndex(string name) => Array.IndexOf(_inputNames, name);

    /// <summary>Sizes one ring per receptor for delays up to <paramref name="maxDelaySteps"/> steps (kept when the size is unchanged,
    /// so pending input survives), records <paramref name="dt"/> (ms) and lets the model compute its propagators (<see cref="PrepareModel"/>).</summary>
    public virtual void Prepare(double dt, int maxDelaySteps)
    {
        if (_rings.Length == 0 || _rings[0].SlotCount != maxDelaySteps + 2)
        {
            _rings = Receptors.Select(_ => new DelayRing(Size, maxDelaySteps)).ToArray();
        }
        PreparedDt = dt;
        PrepareModel(dt);
        PrimeCurrent();
    }

    /// <summary>Adds the input that arrives at the start of this step to the receptor variables <paramref name="synapses"/>
    /// (one array per receptor, in receptor order) for neurons [<paramref name="start"/>, <paramref name="end"/>).</summary>
    protected void ApplyArrivingInput(double[][] synapses, int start, int end)
    {
        for (int k = 0; k < synapses.Length; k++)
        {
            var input = _rings[k].Current[start..end];
            var s = synapses[k].AsSpan(start, end - start);
            System.Numerics.Tensors.TensorPrimitives.Add(s, input, s);
        }
    }

    /// <summary>The timed-event queue of exact spike timing, feeding every receptor (null in grid mode).</summary>
    public TimedEventBuffer? TimedInput { get; private set; }

    /// <summary>Creates <see cref="TimedInput"/> for step <paramref name="dt"/> (ms) holding <paramref name="slotCount"/> steps (a model
    /// that integrates up to each event's time calls it from its <see cref="IExactInput.EnableExactInput"/>). Its checkpoint
    /// holds up to max(4096, 4 × size × slots) pending events.</summary>
    protected void EnableTimedInput(double dt, int slotCount)
    {
        int capacity = (int)Math.Min(1 << 26, Math.Max(4096L, 4L * Size * slotCount));
        TimedInput = new TimedEventBuffer(Size, Math.Max(1, Receptors.Count), dt, slotCount, capacity);
        PrimeCurrent();
    }

    /// <summary>
    /// Connects a current device: from now on the neurons take the injected current I_stim (pA, recordable as "I_stim"),
    /// the sum of what every attached <see cref="Stimuli.CurrentProjection"/> delivers. A model that takes current exposes
    /// this through <see cref="Stimuli.ICurrentTarget"/> and adds I_stim[i] (<see cref="Injected"/>) to its membrane
    /// equation; in exact timing a change of I_stim arrives as an event of port <see cref="CurrentPort"/> (apply it with
    /// <see cref="TryApplyCurrent"/>). Call before the simulation is built.
    /// </summary>
    protected void AttachCurrentInput(Stimuli.CurrentProjection projection)
    {
        ArgumentNullException.ThrowIfNull(projection);
        _injected ??= AddVariable("I_stim", "pA");
        _currentInputs.Add(projection);
    }

    /// <summary>I_stim (pA) of each neuron, or null when no current device is connected.</summary>
    protected double[]? InjectedCurrent => _injected;

    /// <summary>The injected current (pA) of neuron <paramref name="i"/> now; 0 without current devices.</summary>
    protected double Injected(int i) => _injected is null ? 0 : _injected[i];

    /// <summary>The input port of timed current changes: one past the receptors.</summary>
    protected int CurrentPort => Receptors.Count;

    /// <summary>When <paramref name="e"/> is a change of the injected current (port <see cref="CurrentPort"/>), adds its jump to
    /// I_stim of its target and returns true; otherwise returns false (a synaptic event, for the model to apply).</summary>
    protected bool TryApplyCurrent(in TimedEvent e)
    {
        if (e.Port != Receptors.Count) return false;
        _injected![e.Target] += e.Weight;
        return true;
    }

    /// <summary>The window of arrival times (ms) whose changes the step <paramref name="step"/> takes: in exact timing the step's
    /// own interval [n dt, (n + 1) dt); in grid timing those that come after the previous step's start and at or before this
    /// step's start (a change off the grid holds from the next step, NEST's allow_offgrid_times; 1e-9 dt of slack keeps
    /// n·dt computed in floating point on the grid). Step 0 starts the window at −∞.</summary>
    private (double From, double To) CurrentWindow(long step)
    {
        double dt = PreparedDt;
        if (TimedInput is not null) return (step == 0 ? double.NegativeInfinity : step * dt, (step + 1) * dt);
        const double slack = 1e-9;
        return (step == 0 ? double.NegativeInfinity : (step - 1 + slack) * dt, (step + slack) * dt);
    }

    /// <summary>Sets I_stim to 0 and takes the changes of step 0: into I_stim at once (grid), or as timed events of the current
    /// step (exact). A resumed run then loads I_stim, the step count and the queued events from its checkpoint.</summary>
    private void PrimeCurrent()
    {
        if (_injected is null) return;
        Array.Clear(_injected);
        _currentStep = 0;
        _currentEvents.Clear();
        var events = TimedInput is null ? null : _currentEvents;
        var (from, to) = CurrentWindow(0);
        foreach (var projection in _currentInputs) projection.Deliver(from, to, _injected, CurrentPort, events);
        TimedInput?.AddToCurrent(_currentEvents);
    }

    /// <summary>Takes the current changes of the next step (called at the end of a step, before the queues move on).</summary>
    private void AdvanceCurrent()
    {
        _currentStep++;
        var (from, to) = CurrentWindow(_currentStep);
        var buffer = TimedInput;
        _currentEvents.Clear();
        foreach (var projection in _currentInputs) projection.Deliver(from, to, _injected!, CurrentPort, buffer is null ? null : _currentEvents);
        if (buffer is null) return;
        foreach (var e in _currentEvents) buffer.Add(e.Target, e.Port, e.Time, e.Weight);
    }

    /// <summary>Computes the model's propagators for step <paramref name="dt"/>.</summary>
    protected abstract void PrepareModel(double dt);

    /// <inheritdoc/>
    [SuppressMessage("Naming", "CA1716:Identifiers should not match keywords",
        Justification = "Implements IDynamics.Advance, whose start and end bound the half-open neuron range [start, end) and carry the same suppression; End is a keyword only in Visual Basic, which no model is written in; renaming the parameter of this public member would break callers that name it and set it apart from IDynamics and every override.")]
    public abstract void Advance(double t, double dt, int start, int end, SpikeList spikes);

    /// <summary>
    /// The state array into which input of receptor <paramref name="name"/> that arrives at the start of the next
    /// step may be added directly (zero-delay projections skip the ring), or null. A model returns one only when it
    /// applies its ring input by adding it to that array at the start of each step and nothing reads the array
    /// between the end of a step and the start of the next.
    /// </summary>
    public virtual double[]? DirectInput(string name) => null;

    /// <summary>True when the model zeroes each input slot as it reads it in <see cref="Advance"/>, so the rings need not clear it again.</summary>
    protected virtual bool ZeroesInputWhileReading => false;

    /// <summary>Moves every receptor ring to the next step, clearing the slot just consumed unless the model zeroed it while reading
    /// (<see cref="ZeroesInputWhileReading"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void EndStep()
    {
        foreach (var r in _rings) r.Advance(ZeroesInputWhileReading);
        if (_injected is not null) AdvanceCurrent();
        if (TimedInput is not null)
        {
            EndTimedStep();
            TimedInput.Advance();
        }
    }

    /// <summary>Called at the end of each step in exact timing, before <see cref="TimedInput"/> moves to the next step.</summary>
    protected virtual void EndTimedStep()
    {
    }

    /// <summary>Copies every recorded variable (under prefix + its name), every hidden state array and the pending input of each
    /// receptor ring (under prefix + "input/" + receptor name).</summary>
    public void SaveState(StateSnapshot snapshot, string prefix)
    {
        foreach (var name in _variableNames) snapshot.Put(prefix + name, _variables[name].Values);
        for (int k = 0; k < _hidden.Count; k++) snapshot.Put(prefix + _hiddenNames[k], _hidden[k]);
        for (int k = 0; k < _rings.Length; k++)
        {
            var buffer = new double[_rings[k].StateLength];
            _rings[k].Save(buffer);
            snapshot.Put($"{prefix}input/{InputNames[k]}", buffer);
        }
        if (TimedInput is not null)
        {
            var events = new double[TimedInput.StateLength];
            TimedInput.Save(events);
            snapshot.Put(prefix + "timed_input", events);
        }
        if (_injected is not null) snapshot.Put(prefix + "current_input/step", [_currentStep]);
    }

    /// <inheritdoc/>
    public void LoadState(StateSnapshot snapshot, string prefix)
    {
        foreach (var name in _variableNames) snapshot.Get(prefix + name, _variables[name].Values);
        for (int k = 0; k < _hidden.Count; k++) snapshot.Get(prefix + _hiddenNames[k], _hidden[k]);
        for (int k = 0; k < _rings.Length; k++)
        {
            var buffer = new double[_rings[k].StateLength];
            snapshot.Get($"{prefix}input/{InputNames[k]}", buffer);
            _rings[k].Load(buffer);
        }
        if (TimedInput is not null)
        {
            var events = new double[TimedInput.StateLength];
            snapshot.Get(prefix + "timed_input", events);
            TimedInput.Load(events);
        }
        if (_injected is not null)
        {
            Span<long> step = stackalloc long[1];
            snapshot.Get(prefix + "current_input/step", step);
            _currentStep = step[0];
        }
    }
}
