using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;
using BioSim.Circuits.Populations;
using BioSim.Circuits.Stimuli;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Events;
using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Neurons.Lif;

/// <summary>
/// Leaky integrate-and-fire neurons with exponential current synapses, integrated exactly.
/// <code>
///   τ_m dV/dt = E_L − V + R_m I_e + Σ_k s_k        (unless refractory: V = V_reset)
///   τ_k ds_k/dt = −s_k,    s_k += w on each arriving spike (w in mV)
///   V ≥ V_th → spike, V ← V_reset for t_ref
/// </code>
/// The linear system has a closed-form solution over any interval (Rotter &amp; Diesmann 1999), so each
/// step applies exact propagators, and a threshold crossing is located inside the step on that closed
/// form by a safeguarded Newton iteration: spike times are not rounded to the grid. The end of the
/// refractory period is also honoured inside the step. Input that arrives in a step is applied at its
/// start (grid timing), or at its exact time inside the step (exact timing, see LifPopulation.Timed.cs). Neurons
/// that neither spike nor leave refractoriness in a step take a SIMD fast path.
/// </summary>
public sealed partial class LifPopulation : IntegrateAndFirePopulation, IPopulationFactory<LifParameters, LifPopulation>, IExactInput, ICurrentTarget,
    IPreparesCode
{
    private readonly LifParameters _p;
    private readonly double[][] _s;
    private readonly double[] _tauSyn;

    // Propagators for a full step (computed in PrepareModel).
    private double _pm;          // exp(−dt/τ_m)
    private double[] _ps = [];   // exp(−dt/τ_k)
    private double[] _qs = [];   // effect of s_k on V over one step

    /// <summary>Neurons at V = E_L, not refractory, synaptic variables at 0. Only exp-current receptors are accepted.</summary>
    /// <param name="name">The population's name, as experiment files and reports use it.</param>
    /// <param name="size">Number of neurons, &gt; 0.</param>
    /// <param name="parameters">The model's parameters, checked here (a problem throws an <see cref="ArgumentException"/> naming the population and the field).</param>
    /// <param name="receptors">The input ports: exp-current only, weights in mV (a jump of s_k).</param>
    public LifPopulation(string name, int size, LifParameters parameters, IReadOnlyList<ReceptorSpec> receptors)
        : base(name, size, receptors, "lif", parameters, parameters.E_L, parameters.t_ref, HeldAboveThreshold)
    {
        foreach (var r in receptors)
        {
            if (r.Model != ReceptorSpec.ExpCurrent)
            {
                throw new ArgumentException($"Population '{name}' (lif), receptor '{r.Name}': model '{r.Model}' is not supported by lif; allowed: {ReceptorSpec.ExpCurrent}.");
            }
        }
        _p = parameters;
        _s = receptors.Select(r => AddVariable("s_" + r.Name, "mV")).ToArray();
        _tauSyn = receptors.Select(r => r.Tau).ToArray();
    }

    /// <summary>The parameters the population was built with.</summary>
    public LifParameters Parameters => _p;

    /// <summary>exp-current only (weights in mV).</summary>
    public static IReadOnlyList<string> ReceptorModels { get; } = [ReceptorSpec.ExpCurrent];

    /// <summary>The lowest V (mV) the model accepts: far below any reversal potential, reached only by a runaway
    /// inhibitory input (V above threshold always fires and resets, so there is no upper bound to check).</summary>
    public const double PlausibleFloor = -1000;

    /// <summary>Builds the population; the model draws no random numbers, so <paramref name="seed"/> is unused.</summary>
    public static LifPopulation Create(string name, int size, LifParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed) =>
        new(name, size, parameters, receptors);

    /// <summary>True: <see cref="Advance"/> zeroes each ring slot as it adds it to s_k.</summary>
    protected override bool ZeroesInputWhileReading => true;

    /// <summary>Input is added to s_k at the start of a step, so zero-delay spikes may go straight into s_k.</summary>
    public override double[]? DirectInput(string name)
    {
        int k = ReceptorIndex(name);
        return k < 0 ? null : _s[k];
    }

    /// <summary>The propagators of one step: e^{−dt/τ_m}, e^{−dt/τ_k}, and the gain of each s_k on V over the step (see <see cref="SynapticGain"/>).</summary>
    protected override void PrepareModel(double dt)
    {
        _pm = Math.Exp(-dt / _p.tau_m);
        _ps = Decays(_tauSyn, dt);
        _qs = _tauSyn.Select(tau => SynapticGain(tau, dt)).ToArray();
    }

    /// <summary>V(h) − V_∞ e^{−h/τ_m} contributed by s(0) = 1 decaying with τ: τ/(τ − τ_m)(e^{−h/τ} − e^{−h/τ_m}).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private double SynapticGain(double tau, double h)
    {
        double tm = _p.tau_m;
        double em = Math.Exp(-h / tm);
        // The removable singularity at τ = τ_m: the limit is (h/τ_m) e^{−h/τ_m}.
        if (Math.Abs(tau - tm) < 1e-9 * tm) return h / tm * em;
        return tau / (tau - tm) * (Math.Exp(-h / tau) - em);
    }

    /// <inheritdoc/>
    /// <remarks>Optimised from its first call, as are the other per-chunk entry points of a step (their loops are anyway):
    /// with tiered compilation these loop-less methods ran as unoptimised tier-0 code through a whole short run (the runtime
    /// waits for 100 ms without new compilations before it counts calls, and a run keeps compiling).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Advance(double t, double dt, int start, int end, SpikeList spikes)
    {
        RequirePrepared(dt);
        if (TimedInput is { } timed)
        {
            AdvanceTimed(timed, t, dt, start, end, spikes);
            return;
        }
        AdvanceRange(t, dt, start, end, spikes);
    }

    /// <summary>
    /// Width of the vectors the step uses: 0 (the default) the widest the processor accelerates (512 bits on AVX-512, 256 on
    /// AVX2), or 512, 256, or 1 for no vectors. A neuron's result does not depend on it (each lane does what the one-neuron
    /// step does, in the same order), which the tests check; benchmarks and tests set it, users have no reason to.
    /// </summary>
    public int VectorBits
    {
        get => _vectorBits;
        set
        {
            if (value is not (0 or 1 or 256 or 512))
                throw new ArgumentOutOfRangeException(nameof(value), value, $"Population '{Name}': VectorBits must be 0 (widest accelerated), 512, 256 or 1 (no vectors).");
            _vectorBits = value;
        }
    }

    private int _vectorBits;

    /// <summary><see cref="VectorBits"/> resolved: 512, 256 or 1.</summary>
    private int LaneBits => _vectorBits != 0 ? _vectorBits
        : Vector512.IsHardwareAccelerated ? 512
        : Vector256.IsHardwareAccelerated ? 256 : 1;

    /// <summary>The grid step of neurons [start, end): input from the rings at the start of the step.</summary>
    private void AdvanceRange(double t, double dt, int start, int end, SpikeList spikes)
    {
        double vInf = _p.E_L + _p.R_m * _p.I_e;
        // With a current device each neuron has its own V_∞ (E_L + R_m (I_e + I_stim)): the scalar step, which takes it per neuron.
        if (InjectedCurrent is null && _s.Length <= 2)
        {
            switch (LaneBits)
            {
                case 512:
                    AdvanceReceptors<Lanes512, Vector512<double>>(t, dt, start, end, vInf, spikes, true);
                    return;
                case 256:
                    AdvanceReceptors<Lanes256, Vector256<double>>(t, dt, start, end, vInf, spikes, true);
                    return;
                default:
                    AdvanceReceptors<Lanes256, Vector256<double>>(t, dt, start, end, vInf, spikes, false);
                    return;
            }
        }
        // More than two receptors, or a current device: input first, then the scalar step.
        var rings = Rings;
        for (int k = 0; k < _s.Length; k++)
        {
            var input = rings[k].Current[start..end];
            var syn = _s[k].AsSpan(start, end - start);
            System.Numerics.Tensors.TensorPrimitives.Add(syn, input, syn);
            input.Clear();
        }
        for (int i = start; i < end; i++) AdvanceOne(i, t, dt, VInfOf(i, vInf), spikes);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AdvanceReceptors<TLanes, TVector>(double t, double dt, int start, int end, double vInf, SpikeList spikes, bool vectors)
        where TLanes : struct, IDoubleLanes<TVector>
        where TVector : struct
    {
        var rings = Rings;
        switch (_s.Length)
        {
            case 0:
                AdvanceVectorised<TLanes, TVector, NoReceptor<TLanes, TVector>>(new(), t, dt, start, end, vInf, spikes, vectors);
                break;
            case 1:
                AdvanceVectorised<TLanes, TVector, OneReceptor<TLanes, TVector>>(new(_s[0], rings[0], _qs[0], _ps[0]), t, dt, start, end, vInf, spikes,
                    vectors);
                break;
            default:
                AdvanceVectorised<TLanes, TVector, TwoReceptors<TLanes, TVector>>(
                    new(_s[0], rings[0], _qs[0], _ps[0], _s[1], rings[1], _qs[1], _ps[1]), t, dt, start, end, vInf, spikes, vectors);
                break;
        }
    }

    /// <inheritdoc/>
    /// <remarks>The instantiations the steps of this population take on this machine: its lane width, its receptor count, and
    /// in exact timing the linear-response path (one or two receptors) or the event-by-event one.</remarks>
    public void PrepareCode(SpikeTiming timing)
    {
        var (lanes, vector) = LaneBits == 512 ? (typeof(Lanes512), typeof(Vector512<double>)) : (typeof(Lanes256), typeof(Vector256<double>));
        var self = typeof(LifPopulation);
        CodePreparation.Prepare(self, nameof(Advance), nameof(AdvanceRange), nameof(AdvanceOneTimed), nameof(IntegratePiece),
            nameof(LocateCrossing), nameof(HermiteStart), nameof(FreeWithSlope), nameof(Decay));
        CodePreparation.Prepare(typeof(HermiteCrossing), nameof(HermiteCrossing.Estimate));
        CodePreparation.Prepare(typeof(IntegrateAndFirePopulation), nameof(Fire));
        CodePreparation.Prepare(typeof(NeuronPopulation), nameof(EndStep));
        bool linear = timing == SpikeTiming.Exact;
        Type? receptors = _s.Length switch
        {
            0 => linear ? null : typeof(NoReceptor<,>),
            1 => linear ? typeof(LinearOneReceptor<,>) : typeof(OneReceptor<,>),
            2 => linear ? typeof(LinearTwoReceptors<,>) : typeof(TwoReceptors<,>),
            _ => null,
        };
        if (linear)
        {
            CodePreparation.Prepare(self, nameof(AdvanceTimed), nameof(AdvanceLinear), nameof(AddEventSums), nameof(EndTimedStep));
            CodePreparation.Prepare(typeof(LinearInput), nameof(LinearInput.AccumulateStep), "SumRow", nameof(LinearInput.EventsOf));
            if (receptors is not null) CodePreparation.PrepareGeneric(self, nameof(AdvanceLinearReceptors), lanes, vector);
        }
        else if (receptors is not null) CodePreparation.PrepareGeneric(self, nameof(AdvanceReceptors), lanes, vector);
        if (receptors is null) return;
        var kernel = receptors.MakeGenericType(lanes, vector);
        CodePreparation.PrepareGeneric(self, nameof(AdvanceVectorised), lanes, vector, kernel);
        CodePreparation.PrepareGeneric(self, nameof(AdvanceQuietVectors), lanes, vector, kernel);
    }

    /// <summary>V_∞ (mV) of neuron <paramref name="i"/>: <paramref name="vInf"/> = E_L + R_m I_e, plus R_m I_stim (I_stim in pA, R_m in MΩ)
    /// when a current device is connected.</summary>
    private double VInfOf(int i, double vInf) => InjectedCurrent is { } current ? vInf + _p.R_m * 1e-3 * current[i] : vInf;

    /// <inheritdoc/>
    public void AttachCurrent(CurrentProjection projection) => AttachCurrentInput(projection);

    /// <summary>
    /// The SIMD fast path over whole vectors of neurons in [start, end): applies the arriving input, advances V
    /// and the synapses with the step propagators, holds refractory neurons at V_reset; a vector with a threshold crossing
    /// or an end of refractoriness, and the tail, go neuron by neuron: the quiet ones through <see cref="AdvanceQuietOne"/>
    /// (the vector's arithmetic on one lane), the others through the exact scalar step. The receptor struct and the
    /// width are generic arguments, so the JIT emits one loop per count and width. In exact timing with the linear response
    /// (<paramref name="linear"/> given) the neurons that are not quiet walk their own events one by one, their sums dropped.
    /// </summary>
    private void AdvanceVectorised<TLanes, TVector, TReceptors>(TReceptors syn, double t, double dt, int start, int end, double vInf,
        SpikeList spikes, bool vectors, (LinearInput Sums, TimedEventBuffer Buffer)? linear = null, TimedScratch? scratch = null)
        where TLanes : struct, IDoubleLanes<TVector>
        where TVector : struct
        where TReceptors : struct, IReceptorKernel<TVector>, allows ref struct
    {
        int i = start;
        while (i < end)
        {
            if (vectors) i = AdvanceQuietVectors<TLanes, TVector, TReceptors>(syn, t, dt, i, end, vInf);
            int stop = vectors ? Math.Min(i + TLanes.Count, end) : end;
            for (int j = i; j < stop; j++)
            {
                if (AdvanceQuietOne<TVector, TReceptors>(syn, t, dt, j, vInf)) continue;
                var events = linear is { } l ? l.Sums.EventsOf(j, l.Buffer.Current, ref scratch!.Events) : [];
                syn.AddInputOne(j);
                AdvanceOneTimed(j, t, dt, vInf, events, spikes);
            }
            i = stop;
        }
    }

    /// <summary>
    /// Advances whole vectors from <paramref name="start"/> while none of their neurons spikes or leaves
    /// refractoriness in the step; returns the first vector that does (untouched), or the first index
    /// without a whole vector left. The loop makes no call, so the JIT keeps its constants in registers
    /// (a call inside it made every iteration reload ~17 spilled vectors, which cost half the step).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int AdvanceQuietVectors<TLanes, TVector, TReceptors>(TReceptors syn, double t, double dt, int start, int end, double vInf)
        where TLanes : struct, IDoubleLanes<TVector>
        where TVector : struct
        where TReceptors : struct, IReceptorKernel<TVector>, allows ref struct
    {
        int w = TLanes.Count;
        var vInfV = TLanes.Create(vInf);
        var pm = TLanes.Create(_pm);
        var vth = TLanes.Create(_p.V_th);
        var vReset = TLanes.Create(_p.V_reset);
        var floor = TLanes.Create(PlausibleFloor);
        var stepStart = TLanes.Create(t);
        var stepEnd = TLanes.Create(t + dt);
        ref double v0 = ref MemoryMarshal.GetArrayDataReference(Membrane);
        ref double r0 = ref MemoryMarshal.GetArrayDataReference(RefractoryEnd);
        // Six or seven streams at once: the hardware prefetcher alone left the loop waiting (machine B, AVX-512: 4–10 % of
        // the 512-bit step at 4 000–64 000 neurons). With 256-bit vectors it paid only once the state outgrew L2 (7 % at 64 000,
        // 8–12 % lost at 4 000), so there it waits for large populations.
        bool prefetch = System.Runtime.Intrinsics.X86.Sse.IsSupported && (TLanes.Count == 8 || Size >= 16384);
        int i = start;
        for (; i + w <= end; i += w)
        {
            nuint n = (nuint)i;
            if (prefetch && (TLanes.Count == 8 || (n & 7) == 0))
            {
                // Once per 64-byte line: every vector of eight doubles, every other one of four.
                PrefetchAhead(ref v0, n);
                PrefetchAhead(ref r0, n);
                syn.Prefetch(n);
            }
            var v = TLanes.Load(ref v0, n);
            var refractoryEnd = TLanes.Load(ref r0, n);
            var free = TLanes.Add(vInfV, TLanes.Multiply(TLanes.Subtract(v, vInfV), pm));
            var vNew = TLanes.Add(free, syn.Peek(n));
            // Refractory for the whole step: V stays at V_reset, synapses decay as usual.
            var whole = TLanes.GreaterThanOrEqual(refractoryEnd, stepEnd);
            // Unless refractory throughout: refractoriness ends inside the step, or V reaches threshold (~(vNew < V_th) also
            // catches NaN) or falls below the plausible floor: these neurons take the exact scalar path (which fires, or stops
            // the run).
            var alarm = TLanes.Or(TLanes.GreaterThan(refractoryEnd, stepStart), TLanes.Or(TLanes.Not(TLanes.LessThan(vNew, vth)), TLanes.LessThan(vNew, floor)));
            if (TReceptors.BoundsCrossings)
            {
                // Exact timing: V must stay below threshold throughout the step, not only at its end. Its free course is
                // monotone between v and its end value, and the synapses and events lift it by at most Rise.
                var high = TLanes.Add(TLanes.Max(v, free), syn.Rise(n));
                alarm = TLanes.Or(alarm, TLanes.Not(TLanes.LessThan(high, vth)));
            }
            if (TLanes.Any(TLanes.AndNot(alarm, whole))) return i;
            TLanes.Store(TLanes.Select(whole, vReset, vNew), ref v0, n);
            syn.ApplyAndDecay(n);
        }
        return i;
    }

    /// <summary>One lane of <see cref="AdvanceQuietVectors"/>, the same operations in the same order: steps neuron
    /// <paramref name="i"/> and returns true when it neither fires nor leaves refractoriness in the step (nor could, in exact
    /// timing); otherwise changes nothing and returns false.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool AdvanceQuietOne<TVector, TReceptors>(TReceptors syn, double t, double dt, int i, double vInf)
        where TVector : struct
        where TReceptors : struct, IReceptorKernel<TVector>, allows ref struct
    {
        double v = Membrane[i], refractoryEnd = RefractoryEnd[i];
        double free = vInf + (v - vInf) * _pm;
        double vNew = free + syn.PeekOne(i);
        bool whole = refractoryEnd >= t + dt;
        if (!whole)
        {
            if (refractoryEnd > t || !(vNew < _p.V_th) || vNew < PlausibleFloor) return false;
            if (TReceptors.BoundsCrossings && !(Math.Max(v, free) + syn.RiseOne(i) < _p.V_th)) return false;
        }
        Membrane[i] = whole ? _p.V_reset : vNew;
        syn.ApplyAndDecayOne(i);
        return true;
    }

    /// <summary>The general step of one neuron: refractoriness ending, threshold crossings located exactly (one piece, the
    /// whole step; the exact-timing step cuts it at input arrivals).</summary>
    private void AdvanceOne(int i, double t, double dt, double vInf, SpikeList spikes) => AdvanceOneTimed(i, t, dt, vInf, [], spikes);

    /// <summary>Integrates neuron <paramref name="i"/> from t + <paramref name="elapsed"/> to t + <paramref name="until"/> on the closed
    /// form: refractoriness ending inside, threshold crossings located (checked at the end of the piece), spikes emitted.</summary>
    private void IntegratePiece(int i, double t, double until, double vInf, Span<double> s, ref double v, ref double refractoryEnd,
        ref double elapsed, ref int emitted, SpikeList spikes)
    {
        while (true)
        {
            if (refractoryEnd > t + elapsed)
            {
                v = _p.V_reset;
                double free = refractoryEnd - t;
                if (free >= until)
                {
                    Decay(s, until - elapsed, until - elapsed == PreparedDt);
                    elapsed = until;
                    return;
                }
                Decay(s, free - elapsed, false);
                elapsed = free;
            }
            double remaining = until - elapsed;
            if (remaining <= 0) return;
            double vEnd = Free(v, s, vInf, remaining);
            if (vEnd < PlausibleFloor)
            {
                throw new SimulationDivergedException(Name, "V", i, t + until, vEnd, $"[{PlausibleFloor}, V_th] mV",
                    "an inhibitory input drives V far below every reversal potential: check the sign and size of the weights (mV) and I_e");
            }
            if (vEnd < _p.V_th)
            {
                v = vEnd;
                Decay(s, remaining, remaining == PreparedDt);
                elapsed = until;
                return;
            }
            if (double.IsNaN(vEnd)) throw new SimulationDivergedException(Name, "V", i, t + until);
            double crossing = v >= _p.V_th ? 0 : LocateCrossing(v, s, vInf, remaining, vEnd);
            elapsed += crossing;
            Decay(s, crossing, false);
            refractoryEnd = Fire(i, t, elapsed, ref emitted, spikes);
            v = _p.V_reset;
            if (_p.t_ref == 0 && elapsed >= until) return;
        }
    }

    /// <summary>V after free evolution for time h from V = v with synaptic drives s (closed form).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private double Free(double v, ReadOnlySpan<double> s, double vInf, double h)
    {
        if (h == PreparedDt)
        {
            // A whole step: the propagators are precomputed.
            double whole = vInf + (v - vInf) * _pm;
            for (int k = 0; k < s.Length; k++) whole += s[k] * _qs[k];
            return whole;
        }
        return FreeWithSlope(v, s, vInf, h, out _, out _);
    }

    /// <summary>V, dV/dt and d²V/dt² after free evolution for time h, sharing the exponentials (one per time constant).</summary>
    private double FreeWithSlope(double v, ReadOnlySpan<double> s, double vInf, double h, out double slope, out double curvature)
    {
        double tm = _p.tau_m;
        double em = Math.Exp(-h / tm);
        double result = vInf + (v - vInf) * em;
        double drive = 0, driveSlope = 0;
        for (int k = 0; k < s.Length; k++)
        {
            double tau = _tauSyn[k];
            double ek = Math.Exp(-h / tau);
            // τ/(τ − τ_m)(e^{−h/τ} − e^{−h/τ_m}), with the limit (h/τ_m) e^{−h/τ_m} at τ = τ_m.
            double gain = Math.Abs(tau - tm) < 1e-9 * tm ? h / tm * em : tau / (tau - tm) * (ek - em);
            result += s[k] * gain;
            drive += s[k] * ek;
            driveSlope -= s[k] * ek / tau;
        }
        // τ_m V′ = V_∞ − V + Σ s_k(h), and differentiating once more, τ_m V″ = −V′ + Σ s_k′(h).
        slope = (vInf - result + drive) / tm;
        curvature = (driveSlope - slope) / tm;
        return result;
    }

    /// <summary>
    /// First time in (0, h] at which V reaches V_th, given V(0) = v &lt; V_th ≤ V(h) = <paramref name="vEnd"/>:
    /// Newton's method on the closed form, kept inside a shrinking bracket (bisection when a Newton step
    /// leaves it). Over a whole step the start is the root of the cubic Hermite interpolant of V (its
    /// error is O(h⁴), from values and slopes already known), so one or two exact evaluations usually
    /// suffice; the iteration stops when Newton's own error bound |V″/(2V′)| δ² for the next iterate is
    /// below 1e-14 ms, or the step or bracket is below 1e-13 ms.
    /// </summary>
    private double LocateCrossing(double v, ReadOnlySpan<double> s, double vInf, double h, double vEnd)
    {
        double lo = 0, hi = h;
        double x = h == PreparedDt ? HermiteStart(v, s, vInf, vEnd) : h * (_p.V_th - v) / (vEnd - v);
        if (!(x > lo && x < hi)) x = 0.5 * (lo + hi);
        for (int iteration = 0; iteration < 100; iteration++)
        {
            double f = FreeWithSlope(v, s, vInf, x, out double slope, out double curvature) - _p.V_th;
            if (f >= 0) hi = x; else lo = x;
            double step = f / slope;
            double next = x - step;
            if (!(next > lo && next < hi))
            {
                next = 0.5 * (lo + hi);
            }
            else if (Math.Abs(curvature / (2 * slope)) * step * step < 1e-14)
            {
                return next;
            }
            if (Math.Abs(next - x) < 1e-13 || hi - lo < 1e-13) return Math.Min(next >= lo && next <= hi ? next : hi, h);
            x = next;
        }
        return hi;
    }

    /// <summary>The crossing of V_th by the cubic Hermite interpolant of V over a whole step (a starting point only).</summary>
    private double HermiteStart(double v, ReadOnlySpan<double> s, double vInf, double vEnd)
    {
        double h = PreparedDt, tm = _p.tau_m;
        double drive0 = 0, drive1 = 0;
        for (int k = 0; k < s.Length; k++)
        {
            drive0 += s[k];
            drive1 += s[k] * _ps[k];
        }
        // The slopes over the unit interval: h V′ at both ends, from τ_m V′ = V_∞ − V + Σ s_k.
        double m0 = h * (vInf - v + drive0) / tm, m1 = h * (vInf - vEnd + drive1) / tm;
        return HermiteCrossing.Estimate(v, m0, vEnd, m1, _p.V_th) * h;
    }

    private void Decay(Span<double> s, double h, bool fullStep)
    {
        if (h <= 0) return;
        for (int k = 0; k < s.Length; k++) s[k] *= fullStep ? _ps[k] : Math.Exp(-h / _tauSyn[k]);
    }
}
