using BioSim.Circuits.Plasticity;
using BioSim.Engine.Events;
using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Projections;

/// <summary>
/// Plasticity inside the simulation: a rule attached to the projection sees each presynaptic spike when it reaches a
/// synapse and each spike of a target neuron, with their times, in time order once per step, and changes the weights.
/// <para>
/// A presynaptic spike at t_s reaches synapse k at t_s + d_k: the continuous delay with exact timing, and the delay
/// rounded to steps (as the target receives it) on the grid. Arrivals later than the current step wait in a ring of
/// step slots, one per step up to the longest delay; each slot is handed over in (time, synapse) order, merged with
/// the target's spikes of the step (presynaptic first at equal times). A spike carries the weight its synapse has when
/// the spike is sent (its emission step); changes made while it travels apply to later spikes (Brian2 reads the
/// weight at arrival; the two agree for delays within one step, as in the STDP examples).
/// </para>
/// </summary>
public sealed partial class Projection : IStateful
{
    private ISynapticPlasticity? _plasticity;
    private IDynamics? _sourcePopulation;
    private PlasticSynapses? _synapses;
    private double[]? _arrivalDelay;      // per synapse (ms), or null when uniform
    private double _uniformArrivalDelay;
    private SpikeList[] _arrivals = [];   // per step slot: synapse (or source row) and arrival time
    private double _dt;

    /// <summary>The rule attached by <see cref="AttachPlasticity"/>, or null.</summary>
    public ISynapticPlasticity? Plasticity => _plasticity;

    /// <summary>The name of the target population when a rule is attached (the simulation then hands its spikes to
    /// <see cref="Learn"/>), otherwise null.</summary>
    public string? LearnsFrom => _plasticity is null ? null : Target.Name;

    /// <summary>
    /// Attaches <paramref name="rule"/>, which from now on changes this projection's weights while the network runs. The
    /// weights become one value per synapse (a uniform weight is copied to every synapse). Call before the simulation is
    /// built; <paramref name="source"/> is the source population (named <see cref="Source"/>).
    /// </summary>
    public void AttachPlasticity(ISynapticPlasticity rule, IDynamics source)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(source);
        if (source.Name != Source) throw new ArgumentException($"Projection '{Name}': its source is '{Source}', not '{source.Name}'.");
        if (_plasticity is not null) throw new InvalidOperationException($"Projection '{Name}' already has a plasticity rule.");
        if (_weights is null)
        {
            _weights = new double[_targets.Length];
            _weights.AsSpan().Fill(_uniformWeight);
        }
        _plasticity = rule;
        _sourcePopulation = source;
    }

    /// <summary>The live weights (CSR order) of a plastic projection; null for a static one whose weights are all equal.</summary>
    public ReadOnlySpan<double> Weights => _weights;

    private void PreparePlasticity(double dt)
    {
        if (_plasticity is null) return;
        _dt = dt;
        _synapses = new PlasticSynapses(_rowStart, _targets, _weights!, _sourcePopulation!, Target, dt) { Receptor = Receptor };
        if (_delaysMs is null)
        {
            _arrivalDelay = null;
            _uniformArrivalDelay = _exact ? _delay : _uniformDelaySteps * dt;
        }
        else
        {
            _arrivalDelay = new double[_delaysMs.Length];
            for (int k = 0; k < _delaysMs.Length; k++) _arrivalDelay[k] = _exact ? _delaysMs[k] : _delaySteps![k] * dt;
        }
        double longest = _arrivalDelay is null ? _uniformArrivalDelay : _arrivalDelay.DefaultIfEmpty(0).Max();
        // A spike in step n arriving after d lies at most ⌈d/dt⌉ + 1 steps later.
        int slots = (int)Math.Ceiling(longest / dt) + 3;
        if (_arrivals.Length != slots) _arrivals = Enumerable.Range(0, slots).Select(_ => new SpikeList(16)).ToArray();
        _plasticity.Bind(_synapses);
    }

    /// <summary>
    /// Runs the attached rule over step <paramref name="step"/> (the interval (step·dt, (step + 1)·dt]): queues the arrivals
    /// of <paramref name="pre"/>'s spikes, then hands the rule this step's arrivals and <paramref name="post"/>'s spikes in
    /// time order, then calls its <see cref="ISynapticPlasticity.AfterStep"/>. Called by the simulation after delivery.
    /// </summary>
    public void Learn(SpikeList pre, SpikeList post, long step)
    {
        var rule = _plasticity;
        if (rule is null) return;
        var ids = pre.Ids;
        var times = pre.Times;
        for (int n = 0; n < ids.Length; n++)
        {
            int i = ids[n];
            if (_arrivalDelay is null)
            {
                double a = times[n] + _uniformArrivalDelay;
                SlotFor(a, step).Add(i, a);
            }
            else
            {
                for (int k = _rowStart[i]; k < _rowStart[i + 1]; k++)
                {
                    double a = times[n] + _arrivalDelay[k];
                    SlotFor(a, step).Add(k, a);
                }
            }
        }

        var slot = _arrivals[(int)(step % _arrivals.Length)];
        slot.SortByTime();
        var postIds = post.Ids;
        var postTimes = post.Times;
        int e = 0, p = 0;
        while (e < slot.Count || p < postIds.Length)
        {
            if (p == postIds.Length || (e < slot.Count && slot.Times[e] <= postTimes[p]))
            {
                int index = slot.Ids[e];
                double t = slot.Times[e];
                if (_arrivalDelay is null)
                {
                    for (int k = _rowStart[index]; k < _rowStart[index + 1]; k++) rule.OnPresynaptic(k, t);
                }
                else
                {
                    rule.OnPresynaptic(index, t);
                }
                e++;
            }
            else
            {
                rule.OnPostsynaptic(postIds[p], postTimes[p]);
                p++;
            }
        }
        slot.Clear();
        rule.AfterStep((step + 1) * _dt);
    }

    /// <summary>The slot of the step that holds time <paramref name="a"/> (ms), never before the current step.</summary>
    private SpikeList SlotFor(double a, long step)
    {
        long m = Math.Max(step, (long)Math.Ceiling(a / _dt) - 1);
        if (m - step >= _arrivals.Length) throw new InvalidOperationException($"Projection '{Name}': an arrival at {a} ms lies beyond the arrival ring ({_arrivals.Length} steps).");
        return _arrivals[(int)(m % _arrivals.Length)];
    }

    /// <summary>A plastic projection writes its weights, its pending arrivals and its rule's state under <paramref name="prefix"/>;
    /// a static one writes nothing (its weights are rebuilt from the experiment's seed).</summary>
    public void SaveState(StateSnapshot snapshot, string prefix)
    {
        if (_plasticity is null) return;
        snapshot.Put(prefix + "weights", _weights);
        int pending = _arrivals.Sum(s => s.Count);
        var slots = new long[pending];
        var indices = new long[pending];
        var times = new double[pending];
        int w = 0;
        for (int s = 0; s < _arrivals.Length; s++)
        {
            for (int e = 0; e < _arrivals[s].Count; e++)
            {
                slots[w] = s;
                indices[w] = _arrivals[s].Ids[e];
                times[w] = _arrivals[s].Times[e];
                w++;
            }
        }
        snapshot.Put(prefix + "arrival_slot", slots);
        snapshot.Put(prefix + "arrival_index", indices);
        snapshot.Put(prefix + "arrival_time", times);
        _plasticity.SaveState(snapshot, prefix + "rule/");
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote.</summary>
    public void LoadState(StateSnapshot snapshot, string prefix)
    {
        if (_plasticity is null) return;
        snapshot.Get(prefix + "weights", _weights);
        var slots = snapshot.Integers[prefix + "arrival_slot"];
        var indices = snapshot.Integers[prefix + "arrival_index"];
        var times = snapshot.Reals[prefix + "arrival_time"];
        if (slots.Length != indices.Length || slots.Length != times.Length)
        {
            throw new InvalidOperationException($"Projection '{Name}': the snapshot's pending arrivals have inconsistent lengths.");
        }
        foreach (var slot in _arrivals) slot.Clear();
        for (int e = 0; e < slots.Length; e++)
        {
            if (slots[e] < 0 || slots[e] >= _arrivals.Length) throw new InvalidOperationException($"Projection '{Name}': the snapshot's arrival ring has more slots than this simulation's.");
            _arrivals[slots[e]].Add((int)indices[e], times[e]);
        }
        _plasticity.LoadState(snapshot, prefix + "rule/");
    }
}
