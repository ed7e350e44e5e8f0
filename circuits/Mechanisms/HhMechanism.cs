using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BioSim.Circuits.Neurons.HodgkinHuxley;

namespace BioSim.Circuits.Mechanisms;

/// <summary>
/// NEURON's built-in <c>hh</c> (hh.mod) as a density mechanism:
/// <code>
///   i = ḡ_Na m³h (V − E_Na) + ḡ_K n⁴ (V − E_K) + g_L (V − E_L)
///   dx/dt = (x_∞ − x)/τ_x,  x ∈ {m, h, n}   (rates in <see cref="HhKinetics"/>, q10 = 3^((celsius − 6.3)/10))
/// </code>
/// with the same defaults, the same rate table (<see cref="UseTable"/>, on by default as in NEURON) and
/// the same integration: the gates are advanced after the voltage solve, with the new V, by the exact
/// solution of their linear equation (NMODL's <c>cnexp</c>): x ← x + (1 − e^{−dt/τ_x})(x_∞ − x).
/// </summary>
public sealed class HhMechanism : Mechanism
{
    private double[] _m = [], _h = [], _n = [];
    private double[] _scale = [];   // µm² × 1e-2: S/cm² → µS
    private HhRateTable? _table;
    private double _q10;

    // The parameters (defaults, units, checks) are hh.mod's channels, described once in HhChannels.
    private HhChannels _channels = new();

    /// <inheritdoc cref="HhChannels.gnabar"/>
    public double gnabar { get => _channels.gnabar; init => _channels = _channels with { gnabar = value }; }

    /// <inheritdoc cref="HhChannels.gkbar"/>
    public double gkbar { get => _channels.gkbar; init => _channels = _channels with { gkbar = value }; }

    /// <inheritdoc cref="HhChannels.gl"/>
    public double gl { get => _channels.gl; init => _channels = _channels with { gl = value }; }

    /// <inheritdoc cref="HhChannels.el"/>
    public double el { get => _channels.el; init => _channels = _channels with { el = value }; }

    /// <inheritdoc cref="HhChannels.ena"/>
    public double ena { get => _channels.ena; init => _channels = _channels with { ena = value }; }

    /// <inheritdoc cref="HhChannels.ek"/>
    public double ek { get => _channels.ek; init => _channels = _channels with { ek = value }; }

    /// <inheritdoc cref="HhChannels.celsius"/>
    public double celsius { get => _channels.celsius; init => _channels = _channels with { celsius = value }; }

    /// <summary>Use hh.mod's 1 mV rate table with linear interpolation (NEURON's usetable_hh = 1). Default true.</summary>
    public bool UseTable { get; init; } = true;

    /// <summary>False: a density mechanism, per unit of membrane area.</summary>
    public override bool IsPointProcess => false;

    /// <summary>hh.mod's channel checks (<see cref="HhChannels"/>), with gl = 0 allowed.</summary>
    public override string? Validate() => _channels.ValidateChannels(leakMayBeZero: true);

    /// <summary>Gates "m", "h", "n" (dimensionless) per node and cell, each node's area factor (S/cm² → µS), q10 and, with
    /// <see cref="UseTable"/>, the rate table at this temperature.</summary>
    protected override void Allocate()
    {
        _m = AddState("m");
        _h = AddState("h");
        _n = AddState("n");
        _scale = new double[Count];
        for (int k = 0; k < Count; k++) _scale[k] = Area[k] * 1e-2;
        _q10 = HhKinetics.Q10(celsius);
        _table = UseTable ? new HhRateTable(_q10) : null;
    }

    private void Steady(double v, out double minf, out double mtau, out double hinf, out double htau, out double ninf, out double ntau)
    {
        if (_table is not null) _table.Lookup(v, out minf, out mtau, out hinf, out htau, out ninf, out ntau);
        else HhKinetics.Steady(v, _q10, out minf, out mtau, out hinf, out htau, out ninf, out ntau);
    }

    /// <summary>Each gate at its steady state x_∞ at its node's V (hh.mod's INITIAL block).</summary>
    public override void Initialize(int cell, ReadOnlySpan<double> v)
    {
        int o = cell * Count;
        for (int k = 0; k < Count; k++)
        {
            Steady(v[Nodes[k]], out double minf, out _, out double hinf, out _, out double ninf, out _);
            _m[o + k] = minf;
            _h[o + k] = hinf;
            _n[o + k] = ninf;
        }
    }

    /// <summary>Adds ḡ_Na m³h + ḡ_K n⁴ + g_L, times the node's area (µS), to each node's conductance and the sum of the three
    /// currents (nA) to its outward current, with the gates as they are at the start of the step.</summary>
    public override void Current(int cell, double t, ReadOnlySpan<double> v, Span<double> g, Span<double> current)
    {
        int count = Count, o = cell * count;
        CheckSpans(cell, v, g, current);
        // Refs instead of span indexing: the checks above cover every index (nodes are below NodeBound, cell below Cells).
        ref double m = ref _m[o], h = ref _h[o], n = ref _n[o];
        ref double scale = ref MemoryMarshal.GetArrayDataReference(_scale);
        ref int node = ref MemoryMarshal.GetArrayDataReference(Nodes);
        ref double V = ref MemoryMarshal.GetReference(v);
        ref double G = ref MemoryMarshal.GetReference(g);
        ref double I = ref MemoryMarshal.GetReference(current);
        double gnabar = _channels.gnabar, gkbar = _channels.gkbar, gl = _channels.gl, ena = _channels.ena, ek = _channels.ek, el = _channels.el;
        for (int k = 0; k < count; k++)
        {
            int i = Unsafe.Add(ref node, k);
            double mk = Unsafe.Add(ref m, k), nk = Unsafe.Add(ref n, k), n2 = nk * nk, a = Unsafe.Add(ref scale, k);
            double gNa = gnabar * mk * mk * mk * Unsafe.Add(ref h, k) * a;
            double gK = gkbar * n2 * n2 * a;
            double gL = gl * a;
            double vi = Unsafe.Add(ref V, i);
            Unsafe.Add(ref G, i) += gNa + gK + gL;
            Unsafe.Add(ref I, i) += gNa * (vi - ena) + gK * (vi - ek) + gL * (vi - el);
        }
    }

    /// <summary>The cnexp step of every gate with the new V: x ← x + (1 − e^{−dt/τ_x})(x_∞ − x); four nodes per vector when the
    /// table is used and 256-bit vectors are available.</summary>
    public override void Advance(int cell, ReadOnlySpan<double> v, double dt)
    {
        if (_table is not null && Vector256.IsHardwareAccelerated)
        {
            AdvanceTabulated(cell, v, dt, _table);
            return;
        }
        int count = Count, o = cell * count;
        var nodes = Nodes;
        // Structure of arrays: the steady states and time constants of all nodes first (table lookups, scalar), then
        // −dt/τ, e^{−dt/τ} (TensorPrimitives.Exp, within an ulp of Math.Exp) and the cnexp update over whole vectors.
        // Vector division and the unfused vector update round exactly as the scalar code does.
        double[]? rented = null;
        Span<double> buffer = count <= 160 ? stackalloc double[6 * count] : (rented = ArrayPool<double>.Shared.Rent(6 * count)).AsSpan(0, 6 * count);
        Span<double> inf = buffer[..(3 * count)], decay = buffer.Slice(3 * count, 3 * count);
        Span<double> minf = inf[..count], hinf = inf.Slice(count, count), ninf = inf.Slice(2 * count, count);
        Span<double> mdecay = decay[..count], hdecay = decay.Slice(count, count), ndecay = decay.Slice(2 * count, count);
        for (int k = 0; k < count; k++)
        {
            Steady(v[nodes[k]], out minf[k], out mdecay[k], out hinf[k], out hdecay[k], out ninf[k], out ndecay[k]);
        }
        TensorPrimitives.Divide(-dt, decay, decay);
        TensorPrimitives.Exp(decay, decay);
        Relax(_m.AsSpan(o, count), minf, mdecay);
        Relax(_h.AsSpan(o, count), hinf, hdecay);
        Relax(_n.AsSpan(o, count), ninf, ndecay);
        if (rented is not null) ArrayPool<double>.Shared.Return(rented);
    }

    /// <summary>
    /// <see cref="Advance"/> with the rate table, four nodes per vector in one pass: gather V, interpolate the six
    /// functions, e^{−dt/τ} by <see cref="Vector256.Exp(Vector256{double})"/> (the routine TensorPrimitives.Exp runs) and the cnexp
    /// update. The last partial vector is padded with copies of the last node and only its real lanes are stored, so
    /// every node gets the same vector arithmetic wherever it sits.
    /// </summary>
    private void AdvanceTabulated(int cell, ReadOnlySpan<double> v, double dt, HhRateTable table)
    {
        int count = Count, o = cell * count;
        if ((uint)cell >= (uint)Cells || v.Length < NodeBound) throw new ArgumentException($"hh: cell {cell} of {Cells}, or fewer than {NodeBound} potentials.");
        ref double m = ref _m[o], h = ref _h[o], n = ref _n[o];
        ref int node = ref MemoryMarshal.GetArrayDataReference(Nodes);
        ref double V = ref MemoryMarshal.GetReference(v);
        var minusDt = Vector256.Create(-dt);
        int k = 0;
        for (; k <= count - 4; k += 4)
        {
            var vk = Vector256.Create(Unsafe.Add(ref V, Unsafe.Add(ref node, k)), Unsafe.Add(ref V, Unsafe.Add(ref node, k + 1)),
                Unsafe.Add(ref V, Unsafe.Add(ref node, k + 2)), Unsafe.Add(ref V, Unsafe.Add(ref node, k + 3)));
            table.Lookup(vk, out var minf, out var mtau, out var hinf, out var htau, out var ninf, out var ntau);
            Relax(ref Unsafe.Add(ref m, k), minf, Vector256.Exp(minusDt / mtau));
            Relax(ref Unsafe.Add(ref h, k), hinf, Vector256.Exp(minusDt / htau));
            Relax(ref Unsafe.Add(ref n, k), ninf, Vector256.Exp(minusDt / ntau));
        }
        if (k < count)
        {
            Span<double> lanes = stackalloc double[16];
            for (int j = 0; j < 4; j++)
            {
                int q = Math.Min(k + j, count - 1);
                lanes[j] = v[Nodes[q]];
                lanes[4 + j] = _m[o + q];
                lanes[8 + j] = _h[o + q];
                lanes[12 + j] = _n[o + q];
            }
            table.Lookup(Vector256.Create<double>(lanes), out var minf, out var mtau, out var hinf, out var htau, out var ninf, out var ntau);
            Relax(ref lanes[4], minf, Vector256.Exp(minusDt / mtau));
            Relax(ref lanes[8], hinf, Vector256.Exp(minusDt / htau));
            Relax(ref lanes[12], ninf, Vector256.Exp(minusDt / ntau));
            for (int j = 0; k + j < count; j++)
            {
                _m[o + k + j] = lanes[4 + j];
                _h[o + k + j] = lanes[8 + j];
                _n[o + k + j] = lanes[12 + j];
            }
        }
    }

    /// <summary>x ← x + (1 − decay)(x_∞ − x) for the four gates at <paramref name="x"/> (the same rounding as <see cref="Relax(Span{double}, ReadOnlySpan{double}, ReadOnlySpan{double})"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Relax(ref double x, Vector256<double> inf, Vector256<double> decay)
    {
        var xk = Vector256.LoadUnsafe(ref x);
        (xk + (Vector256<double>.One - decay) * (inf - xk)).StoreUnsafe(ref x);
    }

    private void CheckSpans(int cell, ReadOnlySpan<double> v, Span<double> g, Span<double> current)
    {
        if ((uint)cell >= (uint)Cells || v.Length < NodeBound || g.Length < NodeBound || current.Length < NodeBound)
        {
            throw new ArgumentException($"hh: cell {cell} of {Cells}, or fewer than {NodeBound} potentials, conductances or currents.");
        }
    }

    /// <summary>x ← x + (1 − decay)(x_∞ − x), element by element (cnexp's exact step for a linear gate).</summary>
    private static void Relax(Span<double> x, ReadOnlySpan<double> inf, ReadOnlySpan<double> decay)
    {
        int k = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<double>.One;
            for (; k <= x.Length - Vector<double>.Count; k += Vector<double>.Count)
            {
                var xk = new Vector<double>(x[k..]);
                (xk + (one - new Vector<double>(decay[k..])) * (new Vector<double>(inf[k..]) - xk)).CopyTo(x[k..]);
            }
        }
        for (; k < x.Length; k++) x[k] += (1 - decay[k]) * (inf[k] - x[k]);
    }
}
