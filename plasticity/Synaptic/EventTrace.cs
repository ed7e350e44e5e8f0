using BioSim.Engine.Simulation;

namespace BioSim.Plasticity.Synaptic;

/// <summary>
/// Exponentially decaying spike traces, one per element (synapse or neuron), updated only at events: each keeps its value
/// at its last update and the time of that update, so reading it at t is one exponential, x·exp(−(t − t_last)/τ), and
/// nothing runs between events (Brian2's "event-driven" traces, NEST's K⁺/K⁻).
/// </summary>
internal sealed class EventTrace
{
    private readonly double[] _value;
    private readonly double[] _time;
    private readonly double _tau;

    /// <param name="count">Number of traces.</param>
    /// <param name="tau">Decay time constant, ms, &gt; 0.</param>
    public EventTrace(int count, double tau)
    {
        _value = new double[count];
        _time = new double[count];
        _tau = tau;
    }

    /// <summary>Trace <paramref name="i"/> at time <paramref name="t"/> (not before its last update).</summary>
    public double At(int i, double t) => _value[i] * Math.Exp(-(t - _time[i]) / _tau);

    /// <summary>Adds a spike at <paramref name="t"/> to trace <paramref name="i"/>: +1 on top of the decayed value (all-to-all
    /// pairing), or a reset to 1 (nearest-spike pairing: only the latest spike counts).</summary>
    public void Spike(int i, double t, bool nearest)
    {
        _value[i] = nearest ? 1.0 : At(i, t) + 1.0;
        _time[i] = t;
    }

    /// <summary>Writes the values and update times under <paramref name="key"/>.</summary>
    public void Save(StateSnapshot snapshot, string key)
    {
        snapshot.Put(key + "/value", _value);
        snapshot.Put(key + "/time", _time);
    }

    /// <summary>Restores what <see cref="Save"/> wrote.</summary>
    public void Load(StateSnapshot snapshot, string key)
    {
        snapshot.Get(key + "/value", _value);
        snapshot.Get(key + "/time", _time);
    }
}
