using BioSim.Circuits.Mechanisms;
using BioSim.Circuits.Morphology;
using BioSim.Circuits.Populations;
using BioSim.Engine.Cable;
using BioSim.Engine.Events;
using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Cells;

/// <summary>
/// A population of identical multi-compartment cells (<see cref="CableCell"/>), each stepped with NEURON's
/// fixed-step scheme: deliver the events of the step to the synapses, evaluate the membrane currents
/// and conductances at V(t) (point processes at t + dt/2), solve the cable equation for V(t + dt) by
/// Hines' method (<see cref="CableTree"/>; backward Euler or Crank-Nicolson), then advance the channel
/// and synapse states with the new V (staggered, as NEURON does). Cells are independent within a step,
/// so ranges of cells advance in parallel with the same bits. Each event-receiving point process is an
/// input port (its name) whose weight is in µS. Spikes are upward crossings of <see cref="CableCell.Threshold"/>
/// at the detector node, timed by linear interpolation inside the step.
/// </summary>
public sealed class CablePopulation : IPopulation, IPopulationFactory<CablePopulationParameters, CablePopulation>
{
    /// <summary>|V| beyond this (mV) at the spike detector is far past every reversal potential: stopped as a divergence.</summary>
    public const double PlausibleVoltage = 1000;

    private readonly CableCell _cell;
    private readonly CompartmentLayout _layout;
    private readonly CableTree _tree;
    private readonly Mechanism[] _mechanisms;
    private readonly Mechanism[] _receivers;
    private readonly string[] _inputNames;
    private readonly Dictionary<string, Mechanism> _pointProcesses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _pointNodes = new(StringComparer.Ordinal);
    private readonly double[] _v;
    private readonly double[] _detectorV;
    private readonly int _n, _detector;
    private DelayRing[] _rings = [];
    private double _dt = double.NaN;

    /// <summary>A population of <paramref name="cells"/> copies of <paramref name="cell"/>, every node at V_init and every mechanism state at its steady state there.</summary>
    /// <param name="name">The population's name, as experiment files and reports use it.</param>
    /// <param name="cells">Number of cells, &gt; 0.</param>
    /// <param name="cell">The cell description every member is built from.</param>
    /// <param name="method">Backward Euler (NEURON's default, first order) or Crank-Nicolson (second order).</param>
    public CablePopulation(string name, int cells, CableCell cell, CableMethod method = CableMethod.BackwardEuler)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A population needs a non-empty name.", nameof(name));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cells);
        Name = name;
        Size = cells;
        Method = method;
        _cell = cell;
        _layout = new CompartmentLayout(cell.Morphology, cell.Discretisation);
        _tree = _layout.Tree;
        _n = _layout.NodeCount;
        var morphology = cell.Morphology;
        var mechanisms = new List<Mechanism>();
        foreach (var group in cell.DensityMechanisms)
        {
            var nodes = group.Sections.SelectMany(s => _layout.MembraneNodes(morphology[s])).Distinct().Order().ToArray();
            mechanisms.Add(group.Mechanism.Instantiate(nodes, nodes.Select(i => _layout.NodeArea[i]).ToArray(), cells));
        }
        var receivers = new List<Mechanism>();
        var inputNames = new List<string>();
        foreach (var p in cell.PointProcesses)
        {
            int node = _layout.Node(morphology[p.Section], p.X);   // x = 0 or 1: the section's zero-area end node, as NEURON
            var instance = p.Mechanism.Instantiate([node], [_layout.NodeArea[node]], cells);
            mechanisms.Add(instance);
            _pointProcesses.Add(p.Name, instance);
            _pointNodes.Add(p.Name, node);
            if (instance.ReceivesEvents)
            {
                receivers.Add(instance);
                inputNames.Add(p.Name);
            }
        }
        _mechanisms = mechanisms.ToArray();
        _receivers = receivers.ToArray();
        _inputNames = inputNames.ToArray();
        _detector = _layout.Node(morphology[cell.DetectorSection], cell.DetectorX);
        _v = new double[cells * _n];
        _detectorV = new double[cells];
        Initialize();
    }

    /// <summary>None: the inputs are the cell's event-receiving point processes.</summary>
    public static IReadOnlyList<string> ReceptorModels { get; } = [];

    /// <summary>True: probes record the compartments and may be restricted to sections.</summary>
    public static bool Compartmental => true;

    /// <summary>Builds the population; its inputs are the cell's synapses, so it takes no receptors.</summary>
    public static CablePopulation Create(string name, int size, CablePopulationParameters parameters, IReadOnlyList<Synapses.ReceptorSpec> receptors, ulong seed)
    {
        if (receptors.Count > 0) throw new ArgumentException($"Population '{name}' (cable): its inputs are the cell's point processes; it takes no receptors.");
        return new CablePopulation(name, size, parameters.Cell, parameters.Method);
    }

    /// <summary>The names of the cell's point processes that take events, in the order placed.</summary>
    public static IReadOnlyList<string> InputPorts(CablePopulationParameters parameters, IReadOnlyList<Synapses.ReceptorSpec> receptors) => parameters.InputNames;

    /// <summary>The names of the cell's sections, in morphology order.</summary>
    public static IReadOnlyList<string>? Sections(CablePopulationParameters parameters) => parameters.Cell.Morphology.Sections.Select(s => s.Name).ToArray();

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>Number of cells.</summary>
    public int Size { get; }

    /// <summary>The time discretisation of the cable equation.</summary>
    public CableMethod Method { get; }

    /// <summary>
    /// About 2048 nodes per parallel work item, and at most an eighth of the population, in whole blocks of
    /// <see cref="CellBlock"/> cells: enough work to be worth a claim, and small enough that the threads' shares of a
    /// population stay even (each thread keeps its own chunks, and so their cells' state in its cache, from step to
    /// step; see StepTeam). Depends on the cell and the population size only, never on the thread count.
    /// </summary>
    public int ParallelChunk
    {
        get
        {
            int byNodes = 2048 / _n / CellBlock * CellBlock;
            int byPopulation = (Size + 8 * CellBlock - 1) / (8 * CellBlock) * CellBlock;
            return Math.Max(CellBlock, Math.Min(byNodes, byPopulation));
        }
    }

    /// <summary>The discretised cell (node areas, positions, mapping from section and x to node).</summary>
    public CompartmentLayout Layout => _layout;

    /// <summary>Number of nodes per cell (centre nodes and zero-area section ends).</summary>
    public int NodesPerCell => _n;

    /// <summary>Potential (mV) of every node of every cell, [cell × NodesPerCell + node].</summary>
    public ReadOnlySpan<double> Voltages => _v;

    /// <summary>The live array behind <see cref="Voltages"/>, for recorders that sample it after each step (read only by contract).</summary>
    public double[] VoltageArray => _v;

    /// <summary>Potential (mV) of node <paramref name="node"/> of cell <paramref name="cell"/>.</summary>
    public double V(int cell, int node) => _v[cell * _n + node];

    /// <summary>Node at position <paramref name="x"/> of section <paramref name="section"/>.</summary>
    public int Node(string section, double x) => _layout.Node(_cell.Morphology[section], x);

    /// <summary>The instance of point process <paramref name="name"/> (its states, e.g. a synapse's g, for all cells).</summary>
    public Mechanism PointProcess(string name) => _pointProcesses.TryGetValue(name, out var m) ? m
        : throw new KeyNotFoundException($"Population '{Name}' has no point process '{name}'; it has: {string.Join(", ", _pointProcesses.Keys)}.");

    /// <summary>The node point process <paramref name="name"/> acts on (at x = 0 or 1 of its section, the zero-area end node).</summary>
    public int PointNode(string name) => _pointNodes.TryGetValue(name, out int node) ? node
        : throw new KeyNotFoundException($"Population '{Name}' has no point process '{name}'; it has: {string.Join(", ", _pointNodes.Keys)}.");

    /// <summary>One variable, "V" (mV), the potential at each cell's spike detector.</summary>
    public IReadOnlyList<string> VariableNames { get; } = ["V"];

    /// <summary>"mV" for "V"; any other name throws a <see cref="KeyNotFoundException"/>.</summary>
    public string UnitOf(string variable) => variable == "V" ? "mV"
        : throw new KeyNotFoundException($"Population '{Name}' has no variable '{variable}'; it has: V.");

    /// <summary>"V" is the potential at the spike detector of each cell (for whole-tree potentials use <see cref="Voltages"/>).</summary>
    public double[] Variable(string name) => name == "V" ? _detectorV
        : throw new KeyNotFoundException($"Population '{Name}' has no variable '{name}'; it has: V.");

    /// <summary>The event-receiving point processes by name, in the order placed; event weights are in µS.</summary>
    public IReadOnlyList<string> InputNames => _inputNames;

    /// <summary>
    /// A compartment report in SONATA's layout: each chosen cell a node, its columns the membrane potential of every
    /// segment (of the chosen sections, in Hines order), <c>element_ids</c> the section index of each column (the
    /// convention of NEURON-based SONATA reports). The variable is "V", stored as "v" in mV.
    /// </summary>
    public ProbeLayout Probe(string variable, IReadOnlyList<int>? elements, IReadOnlyList<string>? sections)
    {
        if (variable != "V")
        {
            throw new ArgumentException($"cable population '{Name}' records the membrane potential of its compartments; the variable is \"V\", got '{variable}'");
        }
        var morphology = _layout.Morphology;
        int[] nodes = sections is null
            ? Enumerable.Range(0, _layout.NodeCount).Where(i => _layout.NodeArea[i] > 0).ToArray()
            : sections.SelectMany(s => _layout.MembraneNodes(morphology[s])).Distinct().Order().ToArray();
        int[] cells = elements?.ToArray() ?? Enumerable.Range(0, Size).ToArray();
        var flat = cells.SelectMany(c => nodes.Select(n => c * _n + n)).ToArray();
        var pointers = Enumerable.Range(0, cells.Length + 1).Select(i => (ulong)(i * nodes.Length)).ToArray();
        var elementIds = cells.SelectMany(_ => nodes.Select(n => (uint)_layout.NodeSection[n])).ToArray();
        return new ProbeLayout("v", "mV", _v, flat, cells.Select(c => (ulong)c).ToArray(), pointers, elementIds);
    }

    /// <summary>The delay ring of point process <paramref name="name"/> (weights in µS, one value per cell); throws before
    /// <see cref="Prepare"/> or for a name that is not an event-receiving point process.</summary>
    public DelayRing Input(string name)
    {
        int k = Array.IndexOf(_inputNames, name);
        if (k < 0) throw new KeyNotFoundException($"Population '{Name}' has no synapse '{name}'; it has: {string.Join(", ", _inputNames)}.");
        if (_rings.Length == 0) throw new InvalidOperationException($"Population '{Name}' was not prepared.");
        return _rings[k];
    }

    /// <summary>Sets every node to V_init and every mechanism state to its steady state there (NEURON's finitialize).</summary>
    public void Initialize()
    {
        _v.AsSpan().Fill(_cell.VInit);
        for (int c = 0; c < Size; c++)
        {
            var v = _v.AsSpan(c * _n, _n);
            foreach (var m in _mechanisms) m.Initialize(c, v);
            _detectorV[c] = v[_detector];
        }
    }

    /// <summary>Sizes one ring per input for delays up to <paramref name="maxDelaySteps"/> steps (kept when the size is unchanged) and
    /// lets every mechanism compute its propagators for <paramref name="dt"/> (ms).</summary>
    public void Prepare(double dt, int maxDelaySteps)
    {
        if (_rings.Length == 0 || _rings[0].SlotCount != maxDelaySteps + 2)
        {
            _rings = _inputNames.Select(_ => new DelayRing(Size, maxDelaySteps)).ToArray();
        }
        foreach (var m in _mechanisms) m.Prepare(dt);
        _dt = dt;
    }

    /// <inheritdoc/>
    public void Advance(double t, double dt, int start, int end, SpikeList spikes)
    {
        if (dt != _dt) throw new InvalidOperationException($"Population '{Name}' was prepared for dt = {_dt} ms, not {dt} ms.");
        double tMid = t + 0.5 * dt, threshold = _cell.Threshold;
        // The membrane conductances and currents of a block of cells are scratch, one buffer per thread: a thread's cells
        // then keep only V and the mechanism states in its cache (100 benchmark cells: 0.42 MB instead of 0.75 MB).
        int blockLength = CellBlock * _n;
        if (_scratch is not { } scratch || scratch.Length < 2 * blockLength) _scratch = scratch = new double[2 * blockLength];
        // Cells go through the tree solve in blocks (see CableTree.Step), membrane terms and states cell by cell.
        for (int first = start; first < end; first += CellBlock)
        {
            int last = Math.Min(first + CellBlock, end), count = last - first;
            var diagonals = scratch.AsSpan(0, count * _n);
            var currents = scratch.AsSpan(blockLength, count * _n);
            diagonals.Clear();
            currents.Clear();
            for (int c = first; c < last; c++)
            {
                var v = _v.AsSpan(c * _n, _n);
                var diagonal = diagonals.Slice((c - first) * _n, _n);
                var rhs = currents.Slice((c - first) * _n, _n);
                for (int k = 0; k < _receivers.Length; k++)
                {
                    double w = _rings[k].Current[c];
                    if (w != 0) _receivers[k].Receive(c, w);
                }
                foreach (var m in _mechanisms) m.Current(c, tMid, v, diagonal, rhs);
            }
            _tree.Step(_v.AsSpan(first * _n, count * _n), diagonals, currents, count, dt, Method);
            for (int c = first; c < last; c++)
            {
                var v = _v.AsSpan(c * _n, _n);
                foreach (var m in _mechanisms) m.Advance(c, v, dt);
                double before = _detectorV[c], after = v[_detector];
                SimulationDivergedException.ThrowIfImplausible(Name, "V", c, t + dt, after, -PlausibleVoltage, PlausibleVoltage, "mV",
                    "the input drives V far beyond every reversal potential: check the synapses' weights (µS) and the clamps' amplitudes (nA)");
                if (before < threshold && after >= threshold) spikes.Add(c, t + dt * (threshold - before) / (after - before));
                _detectorV[c] = after;
            }
        }
    }

    /// <summary>Conductance and current scratch of one block of cells, per thread (see <see cref="Advance"/>).</summary>
    [ThreadStatic]
    private static double[]? _scratch;

    /// <summary>Cells solved side by side in one tree step.</summary>
    private const int CellBlock = 4;

    /// <inheritdoc/>
    public void EndStep()
    {
        foreach (var r in _rings) r.Advance();
    }

    /// <summary>Copies the potential of every node of every cell (prefix + "V"), every state of each mechanism k
    /// (prefix + "mechanism{k}/" + state name) and the pending input of each ring (prefix + "input/" + name).</summary>
    public void SaveState(StateSnapshot snapshot, string prefix)
    {
        snapshot.Put(prefix + "V", _v);
        for (int k = 0; k < _mechanisms.Length; k++)
        {
            foreach (var s in _mechanisms[k].StateNames) snapshot.Put($"{prefix}mechanism{k}/{s}", _mechanisms[k].State(s));
        }
        for (int k = 0; k < _rings.Length; k++)
        {
            var buffer = new double[_rings[k].StateLength];
            _rings[k].Save(buffer);
            snapshot.Put($"{prefix}input/{_inputNames[k]}", buffer);
        }
    }

    /// <inheritdoc/>
    public void LoadState(StateSnapshot snapshot, string prefix)
    {
        snapshot.Get(prefix + "V", _v);
        for (int k = 0; k < _mechanisms.Length; k++)
        {
            foreach (var s in _mechanisms[k].StateNames) snapshot.Get($"{prefix}mechanism{k}/{s}", _mechanisms[k].State(s));
        }
        for (int k = 0; k < _rings.Length; k++)
        {
            var buffer = new double[_rings[k].StateLength];
            snapshot.Get($"{prefix}input/{_inputNames[k]}", buffer);
            _rings[k].Load(buffer);
        }
        for (int c = 0; c < Size; c++) _detectorV[c] = _v[c * _n + _detector];
    }
}
