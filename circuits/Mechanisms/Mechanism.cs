namespace BioSim.Circuits.Mechanisms;

/// <summary>
/// A membrane mechanism of a cable cell: a density mechanism (channel, leak; conductances per area) or
/// a point process (clamp, synapse; absolute conductances) placed on a set of nodes. One class per
/// mechanism: its public properties are the parameters (the object describes the mechanism), and
/// placing it on a cell population gives an instance (a copy) that owns the state of those nodes in
/// every cell, as flat arrays indexed [cell × <see cref="Count"/> + k].
/// <para>
/// The cable step follows NEURON's fixed-step order: <see cref="Current"/> at the start of the step
/// (gates as they are, V at t), the linear solve for the new V, then <see cref="Advance"/> with the
/// new V (the staggered update of channel states). Units: mV, ms, µS, nA.
/// </para>
/// </summary>
public abstract class Mechanism
{
    private List<(string Name, double[] Values)> _states = [];

    /// <summary>Nodes of one cell the instance sits on.</summary>
    protected int[] Nodes { get; private set; } = [];

    /// <summary>Membrane area (µm²) of each of <see cref="Nodes"/>.</summary>
    protected double[] Area { get; private set; } = [];

    /// <summary>One more than the largest of <see cref="Nodes"/>: spans of a cell's nodes must be at least this long.</summary>
    protected int NodeBound { get; private set; }

    /// <summary>Number of nodes per cell.</summary>
    public int Count => Nodes.Length;

    /// <summary>Number of cells.</summary>
    public int Cells { get; private set; }

    /// <summary>True for point processes (one node, absolute units), false for density mechanisms.</summary>
    public abstract bool IsPointProcess { get; }

    /// <summary>True if the mechanism takes spike events (<see cref="Receive"/>): synapses.</summary>
    public virtual bool ReceivesEvents => false;

    /// <summary>The names of the state arrays (for snapshots and probes).</summary>
    public IEnumerable<string> StateNames => _states.Select(s => s.Name);

    /// <summary>The state array <paramref name="name"/> ([cell × Count + k]).</summary>
    public double[] State(string name) => _states.FirstOrDefault(s => s.Name == name).Values
        ?? throw new KeyNotFoundException($"Mechanism {GetType().Name} has no state '{name}'; it has: {string.Join(", ", StateNames)}.");

    /// <summary>Returns the first invalid parameter as "field: problem", or null.</summary>
    public virtual string? Validate() => null;

    /// <summary>A fresh instance with these parameters on <paramref name="nodes"/> of <paramref name="cells"/> cells.</summary>
    internal Mechanism Instantiate(int[] nodes, double[] area, int cells)
    {
        var m = (Mechanism)MemberwiseClone();
        m._states = [];
        m.Nodes = nodes;
        m.NodeBound = nodes.Length == 0 ? 0 : nodes.Max() + 1;
        m.Area = area;
        m.Cells = cells;
        m.Allocate();
        return m;
    }

    /// <summary>Registers a state array of Cells × Count values.</summary>
    protected double[] AddState(string name)
    {
        var values = new double[Cells * Count];
        _states.Add((name, values));
        return values;
    }

    /// <summary>Allocates the state arrays (with <see cref="AddState"/>) and derived constants.</summary>
    protected abstract void Allocate();

    /// <summary>Derived values for step <paramref name="dt"/> (propagators).</summary>
    public virtual void Prepare(double dt)
    {
    }

    /// <summary>Sets the states of <paramref name="cell"/> to their steady state at V (NEURON's INITIAL block).</summary>
    public abstract void Initialize(int cell, ReadOnlySpan<double> v);

    /// <summary>
    /// Adds this mechanism's outward membrane current (nA) at V to <paramref name="current"/> and its
    /// conductance ∂I/∂V (µS) to <paramref name="g"/>, for every node of <paramref name="cell"/> it sits on.
    /// <paramref name="t"/> is the time NEURON evaluates currents at (the middle of the step).
    /// </summary>
    public abstract void Current(int cell, double t, ReadOnlySpan<double> v, Span<double> g, Span<double> current);

    /// <summary>Advances the states of <paramref name="cell"/> over the step, given the new V.</summary>
    public abstract void Advance(int cell, ReadOnlySpan<double> v, double dt);

    /// <summary>Delivers a spike event of weight <paramref name="weight"/> to <paramref name="cell"/> (NET_RECEIVE).</summary>
    public virtual void Receive(int cell, double weight) =>
        throw new InvalidOperationException($"Mechanism {GetType().Name} does not take events.");
}
