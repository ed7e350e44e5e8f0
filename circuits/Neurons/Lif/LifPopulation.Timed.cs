using BioSim.Engine.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BioSim.Engine.Events;
using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Neurons.Lif;

/// <summary>
/// Exact spike timing (<see cref="SpikeTiming.Exact"/>): each neuron integrates the closed form up to every event that
/// arrives inside the step, adds its weight to s_k at that time and continues (NEST's iaf_psc_exp_ps, Morrison et al. 2007).
/// Neurons without events in the step take the grid step (identical when no input arrives).
/// With one or two receptors and no current device (CUBA and most networks), the events' effects at the end of the step
/// are summed as they are queued (<see cref="LinearInput"/>), so the vectorised grid loop adds them and only neurons that
/// fire or leave refractoriness walk their events one by one; otherwise each neuron with events is handled as below.
/// </summary>
public sealed partial class LifPopulation
{
    /// <summary>Working arrays of one chunk's exact step (grown when needed, kept between steps).</summary>
    private sealed class TimedScratch
    {
        public int[] Targets = [];
        public double[] Saved = [];
        public double[] Kernels = [];
        public TimedEvent[] Events = new TimedEvent[8];
    }

    private TimedScratch[] _scratch = [];

    // τ_k/(τ_k − τ_m) per receptor, NaN where τ_k = τ_m (the limit form applies there).
    private double[] _gainCoefficient = [];

    /// <inheritdoc/>
    public void EnableExactInput(double dt, int slotCount)
    {
        EnableTimedInput(dt, slotCount);
        _scratch = Enumerable.Range(0, (Size + Simulator.ChunkSize - 1) / Simulator.ChunkSize).Select(_ => new TimedScratch()).ToArray();
        double tm = _p.tau_m;
        _gainCoefficient = _tauSyn.Select(tau => Math.Abs(tau - tm) < 1e-9 * tm ? double.NaN : tau / (tau - tm)).ToArray();
        // max over u in [0, dt] of G_k(u) = τ_k/(τ_k − τ_m)(e^{−u/τ_k} − e^{−u/τ_m}), which rises to its peak at
        // u* = τ_k τ_m ln(τ_k/τ_m)/(τ_k − τ_m) (u* = τ_m when τ_k = τ_m) and falls after it.
        _riseMax = _tauSyn.Select(tau =>
        {
            double peak = Math.Abs(tau - tm) < 1e-9 * tm ? tm : tau * tm * Math.Log(tau / tm) / (tau - tm);
            double u = Math.Min(dt, peak);
            return Math.Abs(tau - tm) < 1e-9 * tm ? u / tm * Math.Exp(-u / tm) : tau / (tau - tm) * (Math.Exp(-u / tau) - Math.Exp(-u / tm));
        }).ToArray();
        _linear = null;
        if (InjectedCurrent is null && _s.Length is 1 or 2)
        {
            _linear = new LinearInput(this);
            TimedInput!.UseLinearResponse(_linear);
        }
    }

    private LinearInput? _linear;
    private double[] _riseMax = [];

    /// <summary>
    /// The linear response of exact timing (one or two receptors, no current device): each event's effect on V and s_k at
    /// the end of its step, w·τ_k/(τ_k − τ_m)(e^{−h/τ_k} − e^{−h/τ_m}) and w·e^{−h/τ_k} (h the time left in the step), summed
    /// per neuron in delivery order when the step becomes current, a neuron's sums side by side in one record (ΣV, Σs_1, Σs_2 or
    /// unused, and the head of the neuron's list of this step's events: an event touches one cache line of them, not one per
    /// array). The neurons with events are listed by block of 2^<see cref="TimedEventBuffer.TargetBlockShift"/> as they get their
    /// first. A neuron that stays below threshold and is not leaving refractoriness then takes the grid step's free evolution plus
    /// these sums, in the vectorised loop; only the others walk their events one by one (<see cref="EventsOf"/>).
    /// </summary>
    private sealed class LinearInput(LifPopulation owner) : ILinearTimedInput
    {
        /// <summary>Doubles per neuron in <see cref="Sums"/>: ΣV, Σs_1, Σs_2 (or unused), the list head; a power of two, so that no
        /// record straddles a cache line.</summary>
        public const int Stride = 4;
        // The neuron's newest event of the step, as its ordinal + 1 (0: none yet), a long in the double's bits (all-zero bits when none).
        private const int Head = 3;
        /// <summary>The current step's sums, per neuron i at i·<see cref="Stride"/>. One array for every step (the buffer hands a
        /// step's events over when it becomes current), so the events' scattered additions stay within one population-sized array.</summary>
        public readonly double[] Sums = new double[owner.Size * Stride];
        /// <summary>Whether the current step has events (else <see cref="Sums"/> and <see cref="Rise"/> are zero throughout).</summary>
        public bool Written;
        // Σ over the step's excitatory events of w·max_u G_k(u): how far they can lift V at any moment of the step. Its own
        // array, as the vectorised loop reads it for every neuron.
        public readonly double[] Rise = new double[owner.Size];
        // The neurons with events in the current step: block b's at [b·2^shift, b·2^shift + _withEvents[b]).
        private readonly int[] _listed = new int[owner.Size];
        private readonly int[] _withEvents = new int[(owner.Size >> TimedEventBuffer.TargetBlockShift) + 1];
        private double _lastRemaining = double.NaN;
        private int _lastPort = -1;
        private double _lastV, _lastS;
        // Per event of the step, by ordinal (the order summed): the neuron's previous event (−1: none) and the entry it came from.
        private int[] _previous = new int[64];
        private int[] _entryOf = new int[64];
        private int _ordinal;
        private readonly bool _prefetch = owner.Size >= 16384;

        /// <summary>The neurons with events in the current step whose block (i &gt;&gt; <see cref="TimedEventBuffer.TargetBlockShift"/>)
        /// is <paramref name="block"/>, each once, in the order their first event was summed.</summary>
        public ReadOnlySpan<int> TargetsWithEvents(int block) =>
            _listed.AsSpan(block << TimedEventBuffer.TargetBlockShift, _withEvents[block]);

        public void AccumulateStep(ReadOnlySpan<TimedEvent> events, ReadOnlySpan<TimedRow> rows, double stepStart, double dt)
        {
            Array.Clear(_withEvents);
            _ordinal = 0;
            if (events.IsEmpty) return;
            Written = true;
            int total = 0;
            foreach (ref readonly var e in events) total += e.Target >= 0 ? 1 : rows[~e.Target].Count;
            if (_previous.Length < total)
            {
                _previous = new int[Math.Max(total, 2 * _previous.Length)];
                _entryOf = new int[_previous.Length];
            }
            int receptors = owner._s.Length;
            for (int n = 0; n < events.Length; n++)
            {
                ref readonly var e = ref events[n];
                int port = e.Port;
                if ((uint)port >= (uint)receptors) throw new InvalidOperationException($"Population '{owner.Name}': a current change reached the linear exact step, which takes synaptic events only.");
                double remaining = dt - Math.Clamp(e.Time - stepStart, 0, dt);
                if (remaining != _lastRemaining || port != _lastPort)
                {
                    // Events of one spike share their time: the kernels are computed once per run of equal times.
                    double tm = owner._p.tau_m, em = Math.Exp(-remaining / tm), ek = Math.Exp(-remaining / owner._tauSyn[port]);
                    double c = owner._gainCoefficient[port];
                    _lastV = double.IsNaN(c) ? remaining / tm * em : c * (ek - em);
                    _lastS = ek;
                    _lastRemaining = remaining;
                    _lastPort = port;
                }
                double w = e.Weight;
                double dv = w * _lastV, ds = w * _lastS;
                double lift = w > 0 ? w * owner._riseMax[port] : 0;
                if (e.Target >= 0) SumRow([e.Target], n, 1 + port, dv, ds, lift);
                else SumRow(rows[~e.Target].Span, n, 1 + port, dv, ds, lift);
            }
        }

        /// <summary>Adds (dv, ds, lift) to the records of <paramref name="targets"/> (ds at <paramref name="slot"/>) and puts the events
        /// (of entry <paramref name="entry"/>) at the head of their neurons' lists, listing each neuron at its first event of the step.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void SumRow(ReadOnlySpan<int> targets, int entry, int slot, double dv, double ds, double lift)
        {
            ref double first = ref MemoryMarshal.GetArrayDataReference(Sums);
            ref double rise = ref MemoryMarshal.GetArrayDataReference(Rise);
            ref int listed = ref MemoryMarshal.GetArrayDataReference(_listed);
            ref int withEvents = ref MemoryMarshal.GetArrayDataReference(_withEvents);
            int ordinal = _ordinal, count = targets.Length;
            if (_previous.Length - ordinal < count) throw new InvalidOperationException("The step's events outgrew the space counted for them.");
            ref int previous = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_previous), ordinal);
            _entryOf.AsSpan(ordinal, count).Fill(entry);
            uint size = (uint)owner.Size;
            bool prefetch = _prefetch && System.Runtime.Intrinsics.X86.Sse.IsSupported;
            bool excitatory = lift != 0;
            // Locals, not fields, in the loop, and the failure in a method of its own: the loop keeps its values in registers.
            for (int k = 0; k < count; k++)
            {
                if (prefetch && k + 8 < count)
                {
                    // The records are scattered over the population: ask for the one eight events ahead, once they outgrow the caches.
                    uint ahead = (uint)targets[k + 8];
                    if (ahead < size) CacheHints.Ahead(ref first, (nuint)ahead * Stride, 0);
                }
                int i = targets[k];
                if ((uint)i >= size) ThrowOutside(i);
                ref double record = ref Unsafe.Add(ref first, (nint)i * Stride);
                record += dv;
                Unsafe.Add(ref record, slot) += ds;
                if (excitatory) Unsafe.Add(ref rise, i) += lift;
                ref long head = ref Unsafe.As<double, long>(ref Unsafe.Add(ref record, Head));
                long h = head;
                if (h == 0)
                {
                    int b = i >> TimedEventBuffer.TargetBlockShift;
                    ref int filled = ref Unsafe.Add(ref withEvents, b);
                    Unsafe.Add(ref listed, (b << TimedEventBuffer.TargetBlockShift) + filled) = i;
                    filled++;
                }
                Unsafe.Add(ref previous, k) = (int)h - 1;
                head = ordinal + k + 1;
            }
            _ordinal = ordinal + count;
        }

        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        private void ThrowOutside(int i) =>
            throw new InvalidOperationException($"A synapse targets neuron {i}, outside population '{owner.Name}' ({owner.Size} neurons).");

        /// <summary>
        /// The current step's events of neuron <paramref name="i"/>, sorted by (time, order added), in <paramref name="scratch"/> (grown
        /// when needed), from its list; <paramref name="events"/> are the buffer's current entries. Call before the neuron's record is
        /// cleared. Safe from several threads for different neurons with their own scratch arrays.
        /// </summary>
        public ReadOnlySpan<TimedEvent> EventsOf(int i, ReadOnlySpan<TimedEvent> events, ref TimedEvent[] scratch)
        {
            int n = 0;
            for (int o = (int)BitConverter.DoubleToInt64Bits(Sums[i * Stride + Head]) - 1; o >= 0; o = _previous[o])
            {
                if (n == scratch.Length) Array.Resize(ref scratch, Math.Max(8, 2 * n));
                int entry = _entryOf[o];
                ref readonly var e = ref events[entry];
                var x = new TimedEvent(i, e.Port, e.Time, e.Weight, entry);
                // Insertion by (time, order added): the list runs newest first, so most events go to the front.
                int b = n - 1;
                while (b >= 0 && (scratch[b].Time > x.Time || (scratch[b].Time == x.Time && scratch[b].Sequence > x.Sequence)))
                {
                    scratch[b + 1] = scratch[b];
                    b--;
                }
                scratch[b + 1] = x;
                n++;
            }
            return scratch.AsSpan(0, n);
        }

        public void ClearAccumulated()
        {
            Array.Clear(Sums);
            Array.Clear(Rise);
            Array.Clear(_withEvents);
            _ordinal = 0;
            Written = false;
        }
    }

    /// <summary>The slot just consumed was zeroed while it was read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void EndTimedStep()
    {
        if (_linear is not null) _linear.Written = false;
    }

    /// <summary>
    /// Neurons [start, end) in exact timing with the linear response: the vectorised grid loop with each step's summed
    /// event effects added at its end; a neuron that fires or leaves refractoriness in the step (or whose V could touch
    /// threshold inside it) takes the event-by-event step, with its own events in time order (<see cref="LinearInput.EventsOf"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AdvanceLinear(TimedEventBuffer buffer, double t, double dt, int start, int end, SpikeList spikes)
    {
        var linear = _linear!;
        bool written = linear.Written;
        var sums = linear.Sums;
        var scratch = _scratch[Math.Min(start / Simulator.ChunkSize, _scratch.Length - 1)];
        double vInf = _p.E_L + _p.R_m * _p.I_e;
        var rise = linear.Rise;
        switch (LaneBits)
        {
            case 512:
                AdvanceLinearReceptors<Lanes512, Vector512<double>>(linear, written, sums, rise, buffer, scratch, t, dt, start, end, vInf, spikes, true);
                break;
            case 256:
                AdvanceLinearReceptors<Lanes256, Vector256<double>>(linear, written, sums, rise, buffer, scratch, t, dt, start, end, vInf, spikes, true);
                break;
            default:
                AdvanceLinearReceptors<Lanes256, Vector256<double>>(linear, written, sums, rise, buffer, scratch, t, dt, start, end, vInf, spikes, false);
                break;
        }
        if (written) AddEventSums(linear, t + dt, start, end);
    }

    /// <summary>
    /// After the step of [start, end): adds the step's summed event effects to the neurons that had events, V += Σ w G(h) (unless
    /// refractory for the whole step) and s_k += Σ w e^{−h/τ_k}, and zeroes the sums and the bound's rise. A neuron that walked
    /// its events one by one had its sums zeroed then, so it gets zeros. Only neurons with events are touched (the linear input lists
    /// them by block), so the vectorised loop streams no event array but the bound's, which it only reads. The quiet step's
    /// bound (V below threshold throughout, events included) also bounds V after the sums are added, so no crossing is missed here.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AddEventSums(LinearInput linear, double stepEnd, int start, int end)
    {
        ref double sums = ref MemoryMarshal.GetArrayDataReference(linear.Sums);
        ref double rise = ref MemoryMarshal.GetArrayDataReference(linear.Rise);
        ref double membrane = ref MemoryMarshal.GetArrayDataReference(Membrane);
        ref double refractoryEnd = ref MemoryMarshal.GetArrayDataReference(RefractoryEnd);
        ref double s1 = ref MemoryMarshal.GetArrayDataReference(_s[0]);
        bool two = _s.Length == 2;
        ref double s2 = ref two ? ref MemoryMarshal.GetArrayDataReference(_s[1]) : ref s1;
        int last = (end - 1) >> TimedEventBuffer.TargetBlockShift;
        for (int b = start >> TimedEventBuffer.TargetBlockShift; b <= last; b++)
        {
            foreach (int j in linear.TargetsWithEvents(b))
            {
                if (j < start || j >= end) continue;
                ref double record = ref Unsafe.Add(ref sums, (nint)j * LinearInput.Stride);
                if (Unsafe.Add(ref refractoryEnd, j) < stepEnd)
                {
                    double v = Unsafe.Add(ref membrane, j) + record;
                    if (!(v >= PlausibleFloor)) ThrowBelowFloor(j, stepEnd, v);
                    Unsafe.Add(ref membrane, j) = v;
                }
                Unsafe.Add(ref s1, j) += Unsafe.Add(ref record, 1);
                if (two) Unsafe.Add(ref s2, j) += Unsafe.Add(ref record, 2);
                Vector256.StoreUnsafe(Vector256<double>.Zero, ref record);
                Unsafe.Add(ref rise, j) = 0;
            }
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowBelowFloor(int j, double t, double v) =>
        throw new SimulationDivergedException(Name, "V", j, t, v, $"[{PlausibleFloor}, V_th] mV",
            "an inhibitory input drives V far below every reversal potential: check the sign and size of the weights (mV) and I_e");

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AdvanceLinearReceptors<TLanes, TVector>(LinearInput linear, bool written, double[] sums, double[] rise, TimedEventBuffer buffer,
        TimedScratch scratch, double t, double dt, int start, int end, double vInf, SpikeList spikes, bool vectors)
        where TLanes : struct, IDoubleLanes<TVector>
        where TVector : struct
    {
        if (_s.Length == 1)
        {
            AdvanceVectorised<TLanes, TVector, LinearOneReceptor<TLanes, TVector>>(
                new(_s[0], _qs[0], _ps[0], sums, LinearInput.Stride, rise, _riseMax[0], written), t, dt, start, end, vInf, spikes, vectors, (linear, buffer), scratch);
        }
        else
        {
            AdvanceVectorised<TLanes, TVector, LinearTwoReceptors<TLanes, TVector>>(
                new(_s[0], _qs[0], _ps[0], _s[1], _qs[1], _ps[1], sums, LinearInput.Stride, rise, _riseMax[0], _riseMax[1], written),
                t, dt, start, end, vInf, spikes, vectors, (linear, buffer), scratch);
        }
    }

    /// <summary>
    /// Neurons [start, end) in exact mode. The whole range takes the grid step (exact for neurons without events, since
    /// the rings stay empty). A neuron with events that was neither refractory nor at threshold and did not fire then adds
    /// the events' kernels (<see cref="TryAddEvents"/>) when V stays below threshold; any other neuron with events gets its
    /// state from before the step back, its grid-step spikes removed, and takes <see cref="AdvanceOneTimed"/>, its spikes
    /// following the range's (the simulation sorts every step's spikes by time and index). This keeps the vectorised loop
    /// whole: splitting the range at every neuron with events cost five times the grid step on CUBA.
    /// </summary>
    private void AdvanceTimed(TimedEventBuffer buffer, double t, double dt, int start, int end, SpikeList spikes)
    {
        if (_linear is not null)
        {
            AdvanceLinear(buffer, t, dt, start, end, spikes);
            return;
        }
        var events = buffer.Current;
        int first = buffer.FirstOf(start), stop = buffer.FirstOf(end);
        if (first == stop)
        {
            AdvanceRange(t, dt, start, end, spikes);
            return;
        }
        int distinct = 1;
        for (int e = first + 1; e < stop; e++) if (events[e].Target != events[e - 1].Target) distinct++;
        int receptors = _s.Length, width = 2 + receptors, count = stop - first;
        // Scratch of this chunk (chunks are disjoint and fixed, so parallel calls never share one).
        var scratch = _scratch[Math.Min(start / Simulator.ChunkSize, _scratch.Length - 1)];
        int[] targets = scratch.Targets.Length >= distinct ? scratch.Targets : scratch.Targets = new int[2 * distinct];
        double[] saved = scratch.Saved.Length >= distinct * width ? scratch.Saved : scratch.Saved = new double[2 * distinct * width];
        double[] kernels = scratch.Kernels.Length >= 2 * count ? scratch.Kernels : scratch.Kernels = new double[4 * count];
        // e^{−h/τ_m} and e^{−h/τ_k} for each event, h the rest of the step after it. Math.Exp, not TensorPrimitives.Exp:
        // the latter's short-span path uses MultiplyAddEstimate, whose rounding may change when the JIT recompiles it,
        // and a resumed run must give the same bits.
        var em = kernels.AsSpan(0, count);
        var ek = kernels.AsSpan(count, count);
        double tm = _p.tau_m;
        for (int e = 0; e < count; e++)
        {
            ref readonly var ev = ref events[first + e];
            double h = dt - Math.Clamp(ev.Time - t, 0, dt);
            em[e] = Math.Exp(-h / tm);
            ek[e] = ev.Port < _tauSyn.Length ? Math.Exp(-h / _tauSyn[ev.Port]) : 0; // the current port has no synaptic decay
        }
        int n = 0;
        for (int e = first; e < stop; e++)
        {
            int i = events[e].Target;
            if (n > 0 && targets[n - 1] == i) continue;
            targets[n] = i;
            var row = saved.AsSpan(n * width, width);
            row[0] = Membrane[i];
            row[1] = RefractoryEnd[i];
            for (int k = 0; k < receptors; k++) row[2 + k] = _s[k][i];
            n++;
        }
        int before = spikes.Count;
        AdvanceRange(t, dt, start, end, spikes);
        spikes.RemoveElements(before, targets.AsSpan(0, n));
        double vInf = _p.E_L + _p.R_m * _p.I_e;
        int from = first;
        for (int m = 0; m < n; m++)
        {
            int i = targets[m];
            var row = saved.AsSpan(m * width, width);
            int last = from;
            while (last < stop && events[last].Target == i) last++;
            // Not refractory, below threshold at the start and no spike in the grid step: the exact step is the grid step
            // (the free evolution over the whole step) plus each event's kernel over the rest of the step.
            if (row[1] <= t && row[0] < _p.V_th && RefractoryEnd[i] == row[1]
                && TryAddEvents(i, t, dt, events[from..last], em[(from - first)..(last - first)], ek[(from - first)..(last - first)]))
            {
                from = last;
                continue;
            }
            Membrane[i] = row[0];
            RefractoryEnd[i] = row[1];
            for (int k = 0; k < receptors; k++) _s[k][i] = row[2 + k];
            AdvanceOneTimed(i, t, dt, VInfOf(i, vInf), events[from..last], spikes);
            from = last;
        }
    }

    /// <summary>
    /// Adds the kernels of <paramref name="events"/> over the rest of the step to neuron <paramref name="i"/>'s grid step (its
    /// free evolution over the whole step): V gains w τ_k/(τ_k − τ_m)(e^{−h/τ_k} − e^{−h/τ_m}) and s_k gains w e^{−h/τ_k}, h the
    /// time from the event to the end of the step. Returns false, changing nothing, when V would end at or above threshold.
    /// </summary>
    private bool TryAddEvents(int i, double t, double dt, ReadOnlySpan<TimedEvent> events, ReadOnlySpan<double> membraneKernel,
        ReadOnlySpan<double> synapseKernel)
    {
        double vEnd = Membrane[i], tm = _p.tau_m;
        for (int e = 0; e < events.Length; e++)
        {
            double em = membraneKernel[e], ek = synapseKernel[e];
            if (events[e].Port == CurrentPort)
            {
                // A step ΔI of the injected current: V gains R_m ΔI (1 − e^{−h/τ_m}) by the end of the step.
                vEnd += _p.R_m * 1e-3 * events[e].Weight * (1 - em);
                continue;
            }
            // At τ_k = τ_m (coefficient NaN) the limit (h/τ_m) e^{−h/τ_m}.
            double c = _gainCoefficient[events[e].Port];
            vEnd += events[e].Weight * (double.IsNaN(c) ? (dt - Math.Clamp(events[e].Time - t, 0, dt)) / tm * em : c * (ek - em));
        }
        if (!(vEnd < _p.V_th)) return false;
        Membrane[i] = vEnd;
        for (int e = 0; e < events.Length; e++)
        {
            if (!TryApplyCurrent(events[e])) _s[events[e].Port][i] += events[e].Weight * synapseKernel[e];
        }
        return true;
    }

    /// <summary>
    /// One neuron with events inside the step (sorted by time) that spikes, is refractory, or starts above threshold: the
    /// step is integrated piece by piece between events, V checked at each event and at the end of the step, a crossing
    /// located in the piece where V reached threshold, and the end of refractoriness honoured inside a piece.
    /// </summary>
    private void AdvanceOneTimed(int i, double t, double dt, double vInf, ReadOnlySpan<TimedEvent> events, SpikeList spikes)
    {
        int receptors = _s.Length;
        Span<double> s = stackalloc double[receptors];
        for (int k = 0; k < receptors; k++) s[k] = _s[k][i];
        double v = Membrane[i];
        double refractoryEnd = RefractoryEnd[i];
        double elapsed = 0;
        int emitted = 0;
        for (int j = 0; ; j++)
        {
            double until = j < events.Length ? Math.Clamp(events[j].Time - t, elapsed, dt) : dt;
            IntegratePiece(i, t, until, vInf, s, ref v, ref refractoryEnd, ref elapsed, ref emitted, spikes);
            if (j == events.Length) break;
            if (TryApplyCurrent(events[j])) vInf += _p.R_m * 1e-3 * events[j].Weight; // V_∞ follows the injected current
            else s[events[j].Port] += events[j].Weight;
        }
        Membrane[i] = v;
        RefractoryEnd[i] = refractoryEnd;
        for (int k = 0; k < receptors; k++) _s[k][i] = s[k];
    }
}
