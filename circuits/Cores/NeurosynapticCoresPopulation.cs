using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Events;
using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Cores;

/// <summary>
/// A network of neurosynaptic cores (model <c>"neurosynaptic-cores"</c>; <see cref="CoreSpec"/> for one core's
/// dynamics) running in the simulation loop like any population: the cores tick every <see cref="NeurosynapticCoresParameters.tick"/>
/// ms (a whole number of steps; the tick k happens in the step that ends at k·tick, and its spikes carry that time),
/// and steps between ticks only collect input. Element 256·c + j is neuron j of core c (its spikes, its potential "V")
/// and axon j of core c (the input port "axons": a spike delivered there with a non-zero weight activates the axon at
/// the next tick).
/// <para>
/// <b>Bit-packed cores.</b> The crossbar is stored by neuron as a 256-bit column (4 words) of the axons it connects, and the
/// axon types as four 256-bit masks. A tick forms the active-axon mask A (the delay-ring slot of this tick, OR the input
/// collected since the last tick), splits it by type (A_G = A ∧ T_G, 16 word operations), and gives neuron j the input
/// Σ_G s_j,G · popcount(A_G ∧ c_j): 16 AND + POPCNT per neuron. A neuron's spike is routed after all cores ticked (in
/// core and neuron order, single-threaded) by setting one bit in the target core's ring of 16 tick slots, so the cores of
/// one tick run in parallel and the result does not depend on the thread count.
/// </para>
/// <para>
/// <b>Event counts</b> for an energy estimate: synaptic events (Σ_j popcount(A ∧ c_j) per tick: an active axon meeting a
/// connection), spikes, and active core-ticks (a core with an active axon or a spike in the tick), with the energy
/// constants of the parameters (<see cref="EnergyPicojoules"/>).
/// </para>
/// </summary>
public sealed class NeurosynapticCoresPopulation : IPopulation, IPopulationFactory<NeurosynapticCoresParameters, NeurosynapticCoresPopulation>, IEventCounters
{
    private const int N = CoreSpec.Size, Words = N / 64, Slots = 16;
    private const int VMax = (1 << 19) - 1, VMin = -(1 << 19);

    private readonly NeurosynapticCoresParameters _p;
    private readonly int _cores;
    private readonly ulong[] _columns;       // [core][neuron][word]: the axons neuron j connects
    private readonly ulong[] _typeMasks;     // [core][type][word]
    private readonly byte[] _types;          // [core][axon]
    private readonly int[] _weights;         // [core][neuron][type]
    private readonly int[] _leak, _threshold, _floor;
    private readonly byte[] _reset;          // 0 zero, 1 linear, 2 none
    private readonly int[] _resetValue;
    private readonly bool[] _memoryless;
    private readonly int[] _routeCore, _routeAxon, _routeDelay;   // per element; core −1: output only
    private readonly int[] _runStart;        // per core: its route runs in _runs (CSR)
    private readonly RouteRun[] _runs;
    private readonly bool[] _byRuns;         // per core: routed by runs (else spike by spike)

    /// <summary>Neurons 64·Word + Shift … + Length − 1 go to axons Axon … + Length − 1 of core Target after Delay ticks: a
    /// core whose routes form a few such runs (a layer into the next) routes its spikes a word at a time.</summary>
    private readonly record struct RouteRun(int Word, int Shift, int Length, int Target, int Axon, int Delay);
    private readonly int[] _liveStart, _live;   // per core, the neurons a tick must compute (CSR)
    private readonly bool[] _livePrefix;     // per core: the live neurons are 0, 1, …, count − 1 (fired bits in live order are the neuron's)
    private readonly int[] _stride, _rowStart;   // per core: live count padded to whole vector pairs; where its axon rows start
    private readonly bool[] _narrow;         // per core: rows of int16 (every live neuron's Σ|weights| ≤ 32766), else int32
    private readonly short[] _rows16;        // [narrow core][axon][live neuron]: c_ij·s_j,G_i, the signed weight axon i adds to live neuron j
    private readonly sbyte[] _rows8;         // the same as bytes (half the memory traffic) where every weight fits, for AVX-512 ticks
    private readonly bool[] _bytes;          // per core: _rows8 holds its rows (else _rows16 if narrow, else _rows32)
    private readonly int[] _chunk8;          // per byte core: active axons whose rows sum exactly in int8 (127 / max |weight|)
    private readonly int[] _rows32;          // the same for the other cores
    private readonly short[] _threshold16;   // [narrow memoryless core][live neuron]: the input that makes it spike, α − λ clamped to int16
    private readonly int[] _thresholdStart;  // per core: where its _threshold16 start
    private readonly int[] _rowEvents;       // [core][axon]: connections of axon i (the synaptic events an active axon makes)
    private readonly double[] _v;           // V of every neuron: whole numbers, exact in a double (|V| < 2¹⁹)
    private readonly ulong[] _ring;          // [core][slot][word]: axons active at a future tick
    private readonly ulong[] _collected;     // [core][word]: external input since the last tick
    private readonly ulong[] _fired;         // [core][word]: neurons that spiked in this tick
    private readonly long[] _synapticEvents, _spikes, _activeTicks;   // per core
    private readonly ulong[] _eventPlanes;   // [core][bit b][word]: the axons whose connection count has bit b set
    private readonly int[] _eventPlaneCount; // per core: the bits its connection counts need
    private const int Planes = 9;            // connection counts lie in [0, 256]
    private DelayRing? _input;
    private int _stepsPerTick;
    private double _dt = double.NaN;
    private long _step;                      // steps taken (the index of the current step)

    /// <summary>Builds the cores of <paramref name="p"/>; the size must be 256 × the number of cores.</summary>
    public NeurosynapticCoresPopulation(string name, int size, NeurosynapticCoresParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A population needs a non-empty name.", nameof(name));
        string? invalid = p.Validate();
        if (invalid is not null) throw new ArgumentException($"Population '{name}' (neurosynaptic-cores): {invalid}.");
        if (size != N * p.cores.Length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Population '{name}' (neurosynaptic-cores): size {size} does not match {p.cores.Length} cores of {N} neurons; set size to {N * p.cores.Length}."));
        }
        Name = name;
        Size = size;
        _p = p;
        _cores = p.cores.Length;
        _columns = new ulong[_cores * N * Words];
        _typeMasks = new ulong[_cores * 4 * Words];
        _types = new byte[_cores * N];
        _weights = new int[size * 4];
        _leak = new int[size];
        _threshold = new int[size];
        _floor = new int[_cores];
        _reset = new byte[_cores];
        _resetValue = new int[_cores];
        _memoryless = new bool[_cores];
        _routeCore = new int[size];
        _routeAxon = new int[size];
        _routeDelay = new int[size];
        _v = new double[size];
        _ring = new ulong[_cores * Slots * Words];
        _collected = new ulong[_cores * Words];
        _fired = new ulong[_cores * Words];
        _synapticEvents = new long[_cores];
        _eventPlanes = new ulong[_cores * Planes * Words];
        _eventPlaneCount = new int[_cores];
        _spikes = new long[_cores];
        _activeTicks = new long[_cores];
        for (int c = 0; c < _cores; c++) Load(c, p.cores[c]);
        // A memoryless neuron with no crossbar connection and no leak stays at 0 and never reaches its threshold (≥ 1):
        // ticks skip it (in the deployed 5-core network, 192 of each input core's 256 neurons).
        _liveStart = new int[_cores + 1];
        var live = new List<int>();
        for (int c = 0; c < _cores; c++)
        {
            for (int j = 0; j < N; j++)
            {
                int e = c * N + j;
                bool connected = _columns.AsSpan(e * Words, Words).ContainsAnyExcept(0UL);
                if (connected || _leak[e] != 0 || !_memoryless[c]) live.Add(j);
            }
            _liveStart[c + 1] = live.Count;
        }
        _live = [.. live];
        (_runStart, _runs, _byRuns) = RouteRuns();
        _livePrefix = new bool[_cores];
        _stride = new int[_cores];
        _rowStart = new int[_cores];
        _narrow = new bool[_cores];
        _bytes = new bool[_cores];
        _chunk8 = new int[_cores];
        _rowEvents = new int[_cores * N];
        int byteLength = 0, narrowLength = 0, wideLength = 0, thresholdLength = 0;
        var thresholdStart = new int[_cores];
        for (int c = 0; c < _cores; c++)
        {
            var cLive = _live.AsSpan(_liveStart[c], _liveStart[c + 1] - _liveStart[c]);
            bool prefix = true;
            for (int m = 0; m < cLive.Length; m++) prefix &= cLive[m] == m;
            _livePrefix[c] = prefix;
            // Per live neuron, its connections of each axon type (4 AND + POPCNT per type): the bound Σ_G |s_j,G| · n_j,G of
            // |input| and the largest weight a row will hold.
            bool narrow = true;
            int largest = 1;
            var types = _typeMasks.AsSpan(c * 4 * Words, 4 * Words);
            foreach (int j in cLive)
            {
                int e = c * N + j;
                var column = _columns.AsSpan(e * Words, Words);
                long bound = 0;
                for (int g = 0; g < 4; g++)
                {
                    var mask = types.Slice(g * Words, Words);
                    int n = BitOperations.PopCount(column[0] & mask[0]) + BitOperations.PopCount(column[1] & mask[1])
                        + BitOperations.PopCount(column[2] & mask[2]) + BitOperations.PopCount(column[3] & mask[3]);
                    if (n == 0) continue;
                    int weight = Math.Abs(_weights[e * 4 + g]);
                    bound += (long)n * weight;
                    largest = Math.Max(largest, weight);
                }
                narrow &= bound <= short.MaxValue - 1;
            }
            _narrow[c] = narrow;
            // padded to a multiple of 64 int16 or 32 int32 values: two vectors of 512 bits (four of 256)
            int pad = narrow ? 64 : 32;
            _stride[c] = (cLive.Length + pad - 1) / pad * pad;
            _bytes[c] = narrow && Avx512BW.IsSupported && Vector512.IsHardwareAccelerated && _stride[c] is 64 or 256 && largest <= sbyte.MaxValue;
            _chunk8[c] = sbyte.MaxValue / largest;
            if (_bytes[c])
            {
                _rowStart[c] = byteLength;
                byteLength += N * _stride[c];
            }
            else if (narrow)
            {
                _rowStart[c] = narrowLength;
                narrowLength += N * _stride[c];
            }
            else
            {
                _rowStart[c] = wideLength;
                wideLength += N * _stride[c];
            }
            thresholdStart[c] = thresholdLength;
            if (narrow && _memoryless[c]) thresholdLength += _stride[c];
        }
        _rows16 = new short[narrowLength];
        _rows8 = new sbyte[byteLength];
        _rows32 = new int[wideLength];
        _threshold16 = new short[thresholdLength];
        _thresholdStart = thresholdStart;
        for (int c = 0; c < _cores; c++)
        {
            var cLive = _live.AsSpan(_liveStart[c], _liveStart[c + 1] - _liveStart[c]);
            var rowEvents = _rowEvents.AsSpan(c * N, N);
            var types = _types.AsSpan(c * N, N);
            int stride = _stride[c], start = _rowStart[c];
            for (int m = 0; m < cLive.Length; m++)
            {
                int e = c * N + cLive[m];
                var weights = _weights.AsSpan(e * 4, 4);
                for (int word = 0; word < Words; word++)
                {
                    for (ulong bits = _columns[e * Words + word]; bits != 0; bits &= bits - 1)
                    {
                        int i = word * 64 + BitOperations.TrailingZeroCount(bits);
                        rowEvents[i]++;
                        int w = weights[types[i]];
                        if (_bytes[c]) _rows8[start + i * stride + m] = (sbyte)w;
                        else if (_narrow[c]) _rows16[start + i * stride + m] = (short)w;
                        else _rows32[start + i * stride + m] = w;
                    }
                }
            }
            if (_narrow[c] && _memoryless[c])
            {
                // V = input + λ ≥ α ⇔ input ≥ α − λ; |input| ≤ 32766, so a clamp to int16 keeps every comparison (padding never spikes)
                var t = _threshold16.AsSpan(thresholdStart[c], _stride[c]);
                t.Fill(short.MaxValue);
                for (int m = 0; m < cLive.Length; m++)
                {
                    int e = c * N + cLive[m];
                    t[m] = (short)Math.Clamp(_threshold[e] - _leak[e], short.MinValue, short.MaxValue);
                }
            }
        }
        for (int c = 0; c < _cores; c++)
        {
            for (int i = 0; i < N; i++)
            {
                int n = _rowEvents[c * N + i];
                for (int b = 0; n >> b != 0; b++)
                {
                    if ((n >> b & 1) != 0) _eventPlanes[(c * Planes + b) * Words + i / 64] |= 1UL << (i % 64);
                    _eventPlaneCount[c] = Math.Max(_eventPlaneCount[c], b + 1);
                }
            }
        }
    }

    private (int[] Start, RouteRun[] Runs, bool[] ByRuns) RouteRuns()
    {
        const int MaxRuns = 8;
        var start = new int[_cores + 1];
        var byRuns = new bool[_cores];
        var runs = new List<RouteRun>();
        var core = new List<RouteRun>();
        for (int c = 0; c < _cores; c++)
        {
            core.Clear();
            for (int j = 0; j < N && core.Count <= MaxRuns; j++)
            {
                int e = c * N + j;
                if (_routeCore[e] < 0) continue;
                if (core.Count > 0 && core[^1] is var last && last.Word == j / 64 && last.Shift + last.Length == j % 64
                    && last.Target == _routeCore[e] && last.Axon + last.Length == _routeAxon[e] && last.Delay == _routeDelay[e])
                {
                    core[^1] = last with { Length = last.Length + 1 };
                }
                else
                {
                    core.Add(new RouteRun(j / 64, j % 64, 1, _routeCore[e], _routeAxon[e], _routeDelay[e]));
                }
            }
            byRuns[c] = core.Count <= MaxRuns;
            if (byRuns[c]) runs.AddRange(core);
            start[c + 1] = runs.Count;
        }
        return (start, [.. runs], byRuns);
    }

    private int TypeOf(int c, int axon) => _types[c * N + axon];

    private void Load(int c, CoreSpec spec)
    {
        for (int i = 0; i < N; i++)
        {
            int type = spec.axon_types is { } types && i < types.Length ? types[i] : 0;
            _typeMasks[(c * 4 + type) * Words + i / 64] |= 1UL << (i % 64);
            _types[c * N + i] = (byte)type;
        }
        spec.crossbar_columns?.CopyTo(_columns, c * N * Words);
        if (spec.crossbar is { } rows)
        {
            for (int i = 0; i < rows.Length; i++)
            {
                string row = rows[i] ?? "";
                for (int d = 0; d < row.Length; d++)
                {
                    int nibble = HexValue(row[d]);
                    for (int b = 0; b < 4; b++)
                    {
                        if ((nibble & (8 >> b)) == 0) continue;
                        int j = 4 * d + b;
                        _columns[(c * N + j) * Words + i / 64] |= 1UL << (i % 64);
                    }
                }
            }
        }
        for (int j = 0; j < N; j++)
        {
            int e = c * N + j;
            int[] w = spec.weights is { } ws ? (ws.Length == 1 ? ws[0] : j < ws.Length ? ws[j] : [1, 1, 1, 1]) : [1, 1, 1, 1];
            for (int g = 0; g < 4; g++) _weights[e * 4 + g] = w[g];
            _leak[e] = PerNeuron(spec.leak, j, 0);
            _threshold[e] = PerNeuron(spec.threshold, j, 1);
            _routeCore[e] = -1;
        }
        _reset[c] = spec.reset switch { "zero" => 0, "linear" => 1, _ => 2 };
        _resetValue[c] = spec.reset_value;
        _floor[c] = spec.floor ?? VMin;
        _memoryless[c] = spec.memoryless;
        foreach (int[] route in spec.routes ?? [])
        {
            int e = c * N + route[0];
            _routeCore[e] = route[1];
            _routeAxon[e] = route[2];
            _routeDelay[e] = route[3];
        }
    }

    private static int HexValue(char digit) => digit switch
    {
        >= '0' and <= '9' => digit - '0',
        >= 'a' and <= 'f' => digit - 'a' + 10,
        >= 'A' and <= 'F' => digit - 'A' + 10,
        _ => throw new ArgumentException($"'{digit}' is not a hexadecimal digit"),
    };

    private static int PerNeuron(int[]? values, int j, int fallback) =>
        values is null ? fallback : values.Length == 1 ? values[0] : j < values.Length ? values[j] : fallback;

    /// <inheritdoc/>
    public static IReadOnlyList<string> ReceptorModels => [];

    /// <inheritdoc/>
    public static NeurosynapticCoresPopulation Create(string name, int size, NeurosynapticCoresParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(receptors);
        if (receptors.Count > 0)
        {
            throw new ArgumentException($"Population '{name}' (neurosynaptic-cores): cores take spikes on their axons (the input port \"axons\"), not through receptors; remove \"receptors\".");
        }
        return new NeurosynapticCoresPopulation(name, size, parameters);
    }

    /// <summary>The one input port, "axons".</summary>
    public static IReadOnlyList<string> InputPorts(NeurosynapticCoresParameters parameters, IReadOnlyList<ReceptorSpec> receptors) => ["axons"];

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <summary>One core per parallel work item.</summary>
    public int ParallelChunk => N;

    /// <inheritdoc/>
    public IReadOnlyList<string> VariableNames { get; } = ["V"];

    /// <inheritdoc/>
    public IReadOnlyList<string> InputNames { get; } = ["axons"];

    /// <summary>The number of cores.</summary>
    public int Cores => _cores;

    /// <summary>Synaptic events so far (an active axon meeting a crossbar connection at a tick).</summary>
    public long SynapticEvents => _synapticEvents.Sum();

    /// <summary>Spikes so far.</summary>
    public long Spikes => _spikes.Sum();

    /// <summary>Core-ticks with an active axon or a spike so far.</summary>
    public long ActiveCoreTicks => _activeTicks.Sum();

    /// <summary>Synaptic events of core <paramref name="core"/> so far.</summary>
    public long SynapticEventsOf(int core) => _synapticEvents[core];

    /// <summary>
    /// The synaptic events of a tick, Σ over active axons i of their connection counts n_i, without work per active axon:
    /// Σ_b 2^b · popcount(A ∧ N_b), with N_b the axons whose n_i has bit b set (at most 9 planes of 4 words).
    /// </summary>
    private long Events(int c, ReadOnlySpan<ulong> words)
    {
        var planes = _eventPlanes.AsSpan(c * Planes * Words, Planes * Words);
        long events = 0;
        for (int b = 0; b < _eventPlaneCount[c]; b++)
        {
            var plane = planes.Slice(b * Words, Words);
            events += (long)(BitOperations.PopCount(words[0] & plane[0]) + BitOperations.PopCount(words[1] & plane[1])
                + BitOperations.PopCount(words[2] & plane[2]) + BitOperations.PopCount(words[3] & plane[3])) << b;
        }
        return events;
    }

    /// <summary>
    /// Activates axons of core <paramref name="core"/> for its next tick, as spikes arriving on them would (bit i of word w
    /// is axon 64·w + i): the direct input path of a deployment that feeds its samples tick by tick. Call between steps.
    /// </summary>
    public void Stimulate(int core, ReadOnlySpan<ulong> axons)
    {
        if ((uint)core >= (uint)_cores) throw new ArgumentOutOfRangeException(nameof(core), core, $"the population has {_cores} cores");
        if (axons.Length != Words) throw new ArgumentException($"give the 256 axons as {Words} words", nameof(axons));
        for (int w = 0; w < Words; w++) _collected[core * Words + w] |= axons[w];
    }

    /// <summary>The energy estimate so far (pJ): events, spikes and active core-ticks times their constants.</summary>
    public double EnergyPicojoules =>
        SynapticEvents * _p.energy_per_synaptic_event + Spikes * _p.energy_per_spike + ActiveCoreTicks * _p.energy_per_active_core_tick;

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, double Value)> Counters =>
    [
        ("synaptic_events", SynapticEvents), ("spikes", Spikes), ("active_core_ticks", ActiveCoreTicks), ("energy_pj", EnergyPicojoules),
    ];

    /// <inheritdoc/>
    public string UnitOf(string variable) => variable == "V" ? "1" : throw Unknown(variable);

    /// <inheritdoc/>
    public double[] Variable(string name) => name == "V" ? _v : throw Unknown(name);

    private KeyNotFoundException Unknown(string variable) =>
        new($"Population '{Name}' (neurosynaptic-cores) has no variable '{variable}'; it has: V.");

    /// <inheritdoc/>
    public DelayRing Input(string name) => name == "axons"
        ? _input ?? throw new InvalidOperationException($"Population '{Name}': call Prepare before asking for its input.")
        : throw new KeyNotFoundException($"Population '{Name}' (neurosynaptic-cores) has no input '{name}'; it has: axons.");

    /// <inheritdoc/>
    public ProbeLayout Probe(string variable, IReadOnlyList<int>? elements, IReadOnlyList<string>? sections)
    {
        if (sections is not null) throw new ArgumentException($"population '{Name}' has no sections; only multi-compartment cells do");
        if (variable != "V") throw new ArgumentException($"population '{Name}' has no variable '{variable}'; it has: V");
        return ProbeLayout.PerElement("V", "1", _v, elements?.ToArray() ?? Enumerable.Range(0, Size).ToArray());
    }

    /// <inheritdoc/>
    public void Prepare(double dt, int maxDelaySteps)
    {
        if (!(dt > 0) || double.IsInfinity(dt)) throw new ArgumentOutOfRangeException(nameof(dt), $"dt must be positive and finite, got {dt}.");
        double ratio = _p.tick / dt;
        int steps = (int)Math.Round(ratio);
        if (steps < 1 || Math.Abs(ratio - steps) > 1e-9 * ratio)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Population '{Name}' (neurosynaptic-cores): the tick ({_p.tick} ms) must be a whole multiple of dt ({dt} ms); set dt to {_p.tick} ms or a divisor of it."));
        }
        _stepsPerTick = steps;
        if (_input is null || _dt != dt || _input.SlotCount != maxDelaySteps + 2) _input = new DelayRing(Size, maxDelaySteps);
        _dt = dt;
    }

    /// <summary>Collects the axons' input of the step for cores [start/256, end/256) and, in the step that ends at a tick,
    /// ticks them; their spikes carry the tick's time.</summary>
    [SuppressMessage("Naming", "CA1716:Identifiers should not match keywords",
        Justification = "Implements IDynamics.Advance, whose start and end bound the half-open element range [start, end).")]
    public void Advance(double t, double dt, int start, int end, SpikeList spikes)
    {
        if (dt != _dt || _input is null) throw new InvalidOperationException($"Population '{Name}' was prepared for dt = {_dt} ms, not {dt} ms.");
        ArgumentNullException.ThrowIfNull(spikes);
        if (start % N != 0 || (end % N != 0 && end != Size)) throw new ArgumentException("Cores advance whole: the range must hold whole cores.");
        bool hasInput = _input.CurrentHasInput;
        var input = _input.PeekCurrent();
        bool tick = (_step + 1) % _stepsPerTick == 0;
        long tickIndex = (_step + 1) / _stepsPerTick;
        double tickTime = (_step + 1) * dt;
        for (int c = start / N; c < end / N; c++)
        {
            if (hasInput) Collect(c, input.Slice(c * N, N));
            if (tick) Tick(c, tickIndex, tickTime, spikes);
        }
    }

    private void Collect(int c, ReadOnlySpan<double> input)
    {
        for (int i = 0; i < N; i++)
        {
            if (input[i] != 0) _collected[c * Words + i / 64] |= 1UL << (i % 64);
        }
    }

    [SkipLocalsInit]   // the accumulators are written whole before they are read
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // the hot path of every tick: optimised from the first call
    private void Tick(int c, long tickIndex, double tickTime, SpikeList? spikes)
    {
        var slot = _ring.AsSpan((c * Slots + (int)(tickIndex % Slots)) * Words, Words);
        var collected = _collected.AsSpan(c * Words, Words);
        var firedWords = _fired.AsSpan(c * Words, Words);
        firedWords.Clear();
        Span<ulong> words = stackalloc ulong[Words];
        for (int w = 0; w < Words; w++) words[w] = slot[w] | collected[w];
        slot.Clear();
        collected.Clear();
        int stride = _stride[c];
        if (_narrow[c] && Vector512.IsHardwareAccelerated && stride is 2 * 32 or 8 * 32)
        {
            // the common cores (64 or 256 live neurons): all accumulators in registers, straight from the active-axon bits
            Span<short> sums = stackalloc short[stride];
            if (_bytes[c]) Accumulate8(_rows8.AsSpan(_rowStart[c], N * stride), words, _chunk8[c], sums);
            else Accumulate16(_rows16.AsSpan(_rowStart[c], N * stride), words, sums);
            _synapticEvents[c] += Events(c, words);
            int active16 = BitOperations.PopCount(words[0]) + BitOperations.PopCount(words[1]) + BitOperations.PopCount(words[2]) + BitOperations.PopCount(words[3]);
            Finish(c, active16, sums, tickTime, spikes, firedWords);
            return;
        }
        // The active axons, in order.
        Span<int> active = stackalloc int[N];
        int count = 0;
        for (int w = 0; w < Words; w++)
        {
            ulong bits = words[w];
            while (bits != 0)
            {
                active[count++] = w * 64 + BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
            }
        }
        active = active[..count];
        _synapticEvents[c] += Events(c, words);
        if (_narrow[c])
        {
            Span<short> input = stackalloc short[stride];
            Accumulate(_rows16.AsSpan(_rowStart[c], N * stride), stride, active, input);
            Finish(c, count, input, tickTime, spikes, firedWords);
        }
        else
        {
            Span<int> input = stackalloc int[stride];
            Accumulate(_rows32.AsSpan(_rowStart[c], N * stride), stride, active, input);
            Finish(c, count, input, tickTime, spikes, firedWords);
        }
    }

    private void Finish<T>(int c, int count, ReadOnlySpan<T> input, double tickTime, SpikeList? spikes, Span<ulong> firedWords)
        where T : unmanaged, INumber<T>
    {
        var live = _live.AsSpan(_liveStart[c], _liveStart[c + 1] - _liveStart[c]);
        int fired = typeof(T) == typeof(short) && _memoryless[c]
            ? FireMemoryless(c, MemoryMarshal.Cast<T, short>(input), live, tickTime, spikes, firedWords)
            : Fire(c, input, live, tickTime, spikes, firedWords);
        _spikes[c] += fired;
        if (count > 0 || fired > 0) _activeTicks[c]++;
    }

    /// <summary>
    /// The sums of <see cref="Accumulate16"/> from rows stored as bytes (AVX-512): the rows of up to <paramref name="chunk"/>
    /// active axons are added as bytes (one vpaddb per 64 neurons and axon; <paramref name="chunk"/> · max |weight| ≤ 127, so
    /// no byte sum overflows), then the byte sums are widened (vpmovsxbw) into int16 accumulators, all in registers: exactly
    /// the int16 sums, from a quarter of the vector operations of widening every row. With weights up to ±3 (a chunk of at
    /// least 32 axons) the axons are taken half a word at a time and the sums widened between half words, so that the inner
    /// loop is a TZCNT, an add from memory and a BLSR per active axon.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate8(ReadOnlySpan<sbyte> rows, ReadOnlySpan<ulong> words, int chunk, Span<short> input)
    {
        ref sbyte row0 = ref MemoryMarshal.GetReference(rows);
        ref short sum = ref MemoryMarshal.GetReference(input);
        int left = chunk;
        if (input.Length == 64 && chunk >= 32)
        {
            // weights up to ±3: a half word's 32 axons fit in one byte sum, so the sums are widened between half words
            // when the next half would exceed the chunk, and the inner loop has no counter
            Vector512<short> a = Vector512<short>.Zero, b = Vector512<short>.Zero;
            Vector512<sbyte> s = Vector512<sbyte>.Zero;
            for (int h = 0; h < 2 * Words; h++)
            {
                uint bits = (uint)(words[h / 2] >> (32 * (h % 2)));
                int n = BitOperations.PopCount(bits);
                if (n > left)
                {
                    a += Avx512BW.ConvertToVector512Int16(s.GetLower());
                    b += Avx512BW.ConvertToVector512Int16(s.GetUpper());
                    s = Vector512<sbyte>.Zero;
                    left = chunk;
                }
                left -= n;
                ref sbyte half = ref Unsafe.Add(ref row0, h * 32 * 64);
                for (; bits != 0; bits &= bits - 1) s += Vector512.LoadUnsafe(ref Unsafe.Add(ref half, BitOperations.TrailingZeroCount(bits) * 64));
            }
            a += Avx512BW.ConvertToVector512Int16(s.GetLower());
            b += Avx512BW.ConvertToVector512Int16(s.GetUpper());
            a.StoreUnsafe(ref sum);
            b.StoreUnsafe(ref sum, 32);
        }
        else if (input.Length == 64)
        {
            Vector512<short> a = Vector512<short>.Zero, b = Vector512<short>.Zero;
            Vector512<sbyte> s = Vector512<sbyte>.Zero;
            for (int w = 0; w < Words; w++)
            {
                for (ulong bits = words[w]; bits != 0; bits &= bits - 1)
                {
                    s += Vector512.LoadUnsafe(ref Unsafe.Add(ref row0, (w * 64 + BitOperations.TrailingZeroCount(bits)) * 64));
                    if (--left == 0)
                    {
                        a += Avx512BW.ConvertToVector512Int16(s.GetLower());
                        b += Avx512BW.ConvertToVector512Int16(s.GetUpper());
                        s = Vector512<sbyte>.Zero;
                        left = chunk;
                    }
                }
            }
            a += Avx512BW.ConvertToVector512Int16(s.GetLower());
            b += Avx512BW.ConvertToVector512Int16(s.GetUpper());
            a.StoreUnsafe(ref sum);
            b.StoreUnsafe(ref sum, 32);
        }
        else if (chunk >= 32)
        {
            Vector512<short> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            Vector512<sbyte> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int h = 0; h < 2 * Words; h++)
            {
                uint bits = (uint)(words[h / 2] >> (32 * (h % 2)));
                int n = BitOperations.PopCount(bits);
                if (n > left)
                {
                    Widen(s0, ref a0, ref a1);
                    Widen(s1, ref a2, ref a3);
                    Widen(s2, ref a4, ref a5);
                    Widen(s3, ref a6, ref a7);
                    s0 = s1 = s2 = s3 = Vector512<sbyte>.Zero;
                    left = chunk;
                }
                left -= n;
                ref sbyte half = ref Unsafe.Add(ref row0, h * 32 * 256);
                for (; bits != 0; bits &= bits - 1)
                {
                    ref sbyte row = ref Unsafe.Add(ref half, BitOperations.TrailingZeroCount(bits) * 256);
                    s0 += Vector512.LoadUnsafe(ref row);
                    s1 += Vector512.LoadUnsafe(ref row, 64);
                    s2 += Vector512.LoadUnsafe(ref row, 128);
                    s3 += Vector512.LoadUnsafe(ref row, 192);
                }
            }
            Widen(s0, ref a0, ref a1);
            Widen(s1, ref a2, ref a3);
            Widen(s2, ref a4, ref a5);
            Widen(s3, ref a6, ref a7);
            a0.StoreUnsafe(ref sum);
            a1.StoreUnsafe(ref sum, 32);
            a2.StoreUnsafe(ref sum, 64);
            a3.StoreUnsafe(ref sum, 96);
            a4.StoreUnsafe(ref sum, 128);
            a5.StoreUnsafe(ref sum, 160);
            a6.StoreUnsafe(ref sum, 192);
            a7.StoreUnsafe(ref sum, 224);
        }
        else
        {
            Vector512<short> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            Vector512<sbyte> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int w = 0; w < Words; w++)
            {
                for (ulong bits = words[w]; bits != 0; bits &= bits - 1)
                {
                    ref sbyte row = ref Unsafe.Add(ref row0, (w * 64 + BitOperations.TrailingZeroCount(bits)) * 256);
                    s0 += Vector512.LoadUnsafe(ref row);
                    s1 += Vector512.LoadUnsafe(ref row, 64);
                    s2 += Vector512.LoadUnsafe(ref row, 128);
                    s3 += Vector512.LoadUnsafe(ref row, 192);
                    if (--left == 0)
                    {
                        Widen(s0, ref a0, ref a1);
                        Widen(s1, ref a2, ref a3);
                        Widen(s2, ref a4, ref a5);
                        Widen(s3, ref a6, ref a7);
                        s0 = s1 = s2 = s3 = Vector512<sbyte>.Zero;
                        left = chunk;
                    }
                }
            }
            Widen(s0, ref a0, ref a1);
            Widen(s1, ref a2, ref a3);
            Widen(s2, ref a4, ref a5);
            Widen(s3, ref a6, ref a7);
            a0.StoreUnsafe(ref sum);
            a1.StoreUnsafe(ref sum, 32);
            a2.StoreUnsafe(ref sum, 64);
            a3.StoreUnsafe(ref sum, 96);
            a4.StoreUnsafe(ref sum, 128);
            a5.StoreUnsafe(ref sum, 160);
            a6.StoreUnsafe(ref sum, 192);
            a7.StoreUnsafe(ref sum, 224);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Widen(Vector512<sbyte> bytes, ref Vector512<short> low, ref Vector512<short> high)
    {
        low += Avx512BW.ConvertToVector512Int16(bytes.GetLower());
        high += Avx512BW.ConvertToVector512Int16(bytes.GetUpper());
    }

    /// <summary><see cref="Accumulate"/> for int16 rows of 64 or 256 values with AVX-512: two or eight accumulators in
    /// registers, the active axons taken straight from their bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate16(ReadOnlySpan<short> rows, ReadOnlySpan<ulong> words, Span<short> input)
    {
        ref short row0 = ref MemoryMarshal.GetReference(rows);
        ref short sum = ref MemoryMarshal.GetReference(input);
        if (input.Length == 64)
        {
            Vector512<short> a = Vector512<short>.Zero, b = Vector512<short>.Zero;
            for (int w = 0; w < Words; w++)
            {
                for (ulong bits = words[w]; bits != 0; bits &= bits - 1)
                {
                    int i = w * 64 + BitOperations.TrailingZeroCount(bits);
                    ref short row = ref Unsafe.Add(ref row0, i * 64);
                    a += Vector512.LoadUnsafe(ref row);
                    b += Vector512.LoadUnsafe(ref row, 32);
                }
            }
            a.StoreUnsafe(ref sum);
            b.StoreUnsafe(ref sum, 32);
        }
        else
        {
            Vector512<short> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (int w = 0; w < Words; w++)
            {
                for (ulong bits = words[w]; bits != 0; bits &= bits - 1)
                {
                    int i = w * 64 + BitOperations.TrailingZeroCount(bits);
                    ref short row = ref Unsafe.Add(ref row0, i * 256);
                    a0 += Vector512.LoadUnsafe(ref row);
                    a1 += Vector512.LoadUnsafe(ref row, 32);
                    a2 += Vector512.LoadUnsafe(ref row, 64);
                    a3 += Vector512.LoadUnsafe(ref row, 96);
                    a4 += Vector512.LoadUnsafe(ref row, 128);
                    a5 += Vector512.LoadUnsafe(ref row, 160);
                    a6 += Vector512.LoadUnsafe(ref row, 192);
                    a7 += Vector512.LoadUnsafe(ref row, 224);
                }
            }
            a0.StoreUnsafe(ref sum);
            a1.StoreUnsafe(ref sum, 32);
            a2.StoreUnsafe(ref sum, 64);
            a3.StoreUnsafe(ref sum, 96);
            a4.StoreUnsafe(ref sum, 128);
            a5.StoreUnsafe(ref sum, 160);
            a6.StoreUnsafe(ref sum, 192);
            a7.StoreUnsafe(ref sum, 224);
        }
    }

    /// <summary>input = Σ over the active axons of their rows (event-driven: one vector add per active axon and 32 or 16
    /// neurons), two vectors of accumulators at a time so that they stay in registers.</summary>
    private static void Accumulate<T>(ReadOnlySpan<T> rows, int stride, ReadOnlySpan<int> active, Span<T> input)
        where T : unmanaged, INumber<T>
    {
        ref T row0 = ref MemoryMarshal.GetReference(rows);
        ref T sum = ref MemoryMarshal.GetReference(input);
        if (Vector512.IsHardwareAccelerated)
        {
            int width = Vector512<T>.Count;
            for (int m = 0; m < stride; m += 2 * width)
            {
                Vector512<T> a = Vector512<T>.Zero, b = Vector512<T>.Zero;
                foreach (int i in active)
                {
                    ref T row = ref Unsafe.Add(ref row0, i * stride + m);
                    a += Vector512.LoadUnsafe(ref row);
                    b += Vector512.LoadUnsafe(ref row, (nuint)width);
                }
                a.StoreUnsafe(ref sum, (nuint)m);
                b.StoreUnsafe(ref sum, (nuint)(m + width));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            int width = Vector256<T>.Count;
            for (int m = 0; m < stride; m += 2 * width)
            {
                Vector256<T> a = Vector256<T>.Zero, b = Vector256<T>.Zero;
                foreach (int i in active)
                {
                    ref T row = ref Unsafe.Add(ref row0, i * stride + m);
                    a += Vector256.LoadUnsafe(ref row);
                    b += Vector256.LoadUnsafe(ref row, (nuint)width);
                }
                a.StoreUnsafe(ref sum, (nuint)m);
                b.StoreUnsafe(ref sum, (nuint)(m + width));
            }
        }
        else
        {
            input.Clear();
            foreach (int i in active)
            {
                var row = rows.Slice(i * stride, stride);
                for (int m = 0; m < stride; m++) input[m] += row[m];
            }
        }
    }

    /// <summary>Memoryless int16 core: live neuron m spikes when its input ≥ α − λ (vector compares); V stays 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int FireMemoryless(int c, ReadOnlySpan<short> input, ReadOnlySpan<int> live, double tickTime, SpikeList? spikes, Span<ulong> firedWords)
    {
        var threshold = _threshold16.AsSpan(_thresholdStart[c], input.Length);
        int fired = 0;
        for (int m0 = 0; m0 < input.Length; m0 += 64)
        {
            ulong mask;
            if (Vector512.IsHardwareAccelerated)
            {
                mask = Vector512.GreaterThanOrEqual(Vector512.Create(input.Slice(m0, 32)), Vector512.Create(threshold.Slice(m0, 32))).ExtractMostSignificantBits()
                    | Vector512.GreaterThanOrEqual(Vector512.Create(input.Slice(m0 + 32, 32)), Vector512.Create(threshold.Slice(m0 + 32, 32))).ExtractMostSignificantBits() << 32;
            }
            else
            {
                mask = 0;
                for (int k = 0; k < 64; k += 16)
                {
                    mask |= (ulong)Vector256.GreaterThanOrEqual(Vector256.Create(input.Slice(m0 + k, 16)), Vector256.Create(threshold.Slice(m0 + k, 16))).ExtractMostSignificantBits() << k;
                }
            }
            if (mask == 0) continue;
            fired += BitOperations.PopCount(mask);
            if (_livePrefix[c] && spikes is null)
            {
                firedWords[m0 / 64] = mask;
                continue;
            }
            while (mask != 0)
            {
                int j = live[m0 + BitOperations.TrailingZeroCount(mask)];
                mask &= mask - 1;
                spikes?.Add(c * N + j, tickTime);
                firedWords[j / 64] |= 1UL << (j % 64);
            }
        }
        return fired;
    }

    /// <summary>Any core, neuron by neuron: V ← V (0 if memoryless) + input + λ; spike at α; reset; clamp to [floor, 2¹⁹).</summary>
    private int Fire<T>(int c, ReadOnlySpan<T> input, ReadOnlySpan<int> live, double tickTime, SpikeList? spikes, Span<ulong> firedWords)
        where T : unmanaged, INumber<T>
    {
        bool memoryless = _memoryless[c];
        byte reset = _reset[c];
        int floor = _floor[c], resetValue = _resetValue[c], fired = 0;
        for (int m = 0; m < live.Length; m++)
        {
            int j = live[m], e = c * N + j;
            double v = (memoryless ? 0 : _v[e]) + int.CreateTruncating(input[m]) + _leak[e];
            if (v >= _threshold[e])
            {
                spikes?.Add(e, tickTime);
                firedWords[j / 64] |= 1UL << (j % 64);
                fired++;
                v = reset switch { 0 => resetValue, 1 => v - _threshold[e], _ => v };
            }
            _v[e] = memoryless ? 0 : Math.Clamp(v, Math.Max(floor, VMin), VMax);
        }
        return fired;
    }

    /// <summary>Routes the tick's spikes (core and neuron order) into the target cores' rings, then moves the input ring on.</summary>
    public void EndStep()
    {
        if ((_step + 1) % _stepsPerTick == 0) Route((_step + 1) / _stepsPerTick);
        _input?.Advance();
        _step++;
    }

    /// <summary>
    /// One tick of every core outside a simulator, the batched path of a deployment that feeds its input with
    /// <see cref="Stimulate"/>: the same tick as a simulator step with dt = tick (the axons stimulated since the last tick
    /// and those the ring delivers are active; spikes are routed), without spike lists: the neurons that spiked are left
    /// in <see cref="Fired"/> until the next tick. Not for a population that a simulator also steps with dt ≠ tick.
    /// </summary>
    public void Tick()
    {
        if (_stepsPerTick > 1) throw new InvalidOperationException($"Population '{Name}' was prepared for {_stepsPerTick} steps per tick; Tick runs one tick per call.");
        long tickIndex = _step + 1;
        for (int c = 0; c < _cores; c++) Tick(c, tickIndex, 0, null);
        Route(tickIndex);
        _step++;
    }

    /// <summary>The neurons of core <paramref name="core"/> that spiked in the last tick (bit j of word w is neuron 64·w + j).</summary>
    public ReadOnlySpan<ulong> Fired(int core) => _fired.AsSpan(core * Words, Words);

    private void Route(long tickIndex)
    {
        for (int c = 0; c < _cores; c++)
        {
            var fired = _fired.AsSpan(c * Words, Words);
            if (_byRuns[c])
            {
                foreach (var run in _runs.AsSpan(_runStart[c], _runStart[c + 1] - _runStart[c]))
                {
                    ulong bits = fired[run.Word] >> run.Shift;
                    if (run.Length < 64) bits &= (1UL << run.Length) - 1;
                    if (bits == 0) continue;
                    int at = (run.Target * Slots + (int)((tickIndex + run.Delay) % Slots)) * Words + run.Axon / 64, shift = run.Axon % 64;
                    _ring[at] |= bits << shift;
                    if (shift + run.Length > 64) _ring[at + 1] |= bits >> (64 - shift);
                }
                continue;
            }
            for (int w = 0; w < Words; w++)
            {
                ulong bits = fired[w];
                while (bits != 0)
                {
                    int j = w * 64 + BitOperations.TrailingZeroCount(bits);
                    bits &= bits - 1;
                    int e = c * N + j;
                    int target = _routeCore[e];
                    if (target < 0) continue;
                    int axon = _routeAxon[e];
                    int slot = (int)((tickIndex + _routeDelay[e]) % Slots);
                    _ring[(target * Slots + slot) * Words + axon / 64] |= 1UL << (axon % 64);
                }
            }
        }
    }

    /// <inheritdoc/>
    public void SaveState(StateSnapshot snapshot, string prefix)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        snapshot.Put(prefix + "V", _v);
        snapshot.Put(prefix + "ring", Array.ConvertAll(_ring, x => unchecked((long)x)));
        snapshot.Put(prefix + "collected", Array.ConvertAll(_collected, x => unchecked((long)x)));
        snapshot.Put(prefix + "counters", [.. _synapticEvents, .. _spikes, .. _activeTicks, _step]);
        if (_input is not null)
        {
            var buffer = new double[_input.StateLength];
            _input.Save(buffer);
            snapshot.Put(prefix + "input/axons", buffer);
        }
    }

    /// <inheritdoc/>
    public void LoadState(StateSnapshot snapshot, string prefix)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        snapshot.Get(prefix + "V", _v);
        var ring = new long[_ring.Length];
        snapshot.Get(prefix + "ring", ring);
        for (int i = 0; i < ring.Length; i++) _ring[i] = unchecked((ulong)ring[i]);
        var collected = new long[_collected.Length];
        snapshot.Get(prefix + "collected", collected);
        for (int i = 0; i < collected.Length; i++) _collected[i] = unchecked((ulong)collected[i]);
        var counters = new long[3 * _cores + 1];
        snapshot.Get(prefix + "counters", counters);
        counters.AsSpan(0, _cores).CopyTo(_synapticEvents);
        counters.AsSpan(_cores, _cores).CopyTo(_spikes);
        counters.AsSpan(2 * _cores, _cores).CopyTo(_activeTicks);
        _step = counters[^1];
        if (_input is not null)
        {
            var buffer = new double[_input.StateLength];
            snapshot.Get(prefix + "input/axons", buffer);
            _input.Load(buffer);
        }
    }
}
