using BioSim.Engine.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BioSim.Engine.Events;

namespace BioSim.Circuits.Neurons.Lif;

/// <summary>The receptor kernels of the vectorised LIF step: the synaptic part for zero, one or two exp-current receptors,
/// as structs generic over the vector width, so that the JIT specialises the step for each count and width. Each vector
/// member has a one-neuron twin (…One) doing the same operations in the same order on one lane, so a neuron's result does
/// not depend on whether it was stepped in a vector or alone, nor on the vector width.</summary>
public sealed partial class LifPopulation
{
    /// <summary>The synaptic part of the vectorised step for a fixed number of receptors.</summary>
    /// <summary>How far ahead of the element being stepped the vectorised loop asks for its state: eight lines, enough for the
    /// loads of a population's arrays (six or seven streams) to overlap instead of waiting for the hardware prefetcher.</summary>
    private const int Ahead = 512;

    /// <summary>The line <see cref="Ahead"/> bytes past <paramref name="first"/>[<paramref name="i"/>] (<see cref="CacheHints.Ahead"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchAhead(ref double first, nuint i) => CacheHints.Ahead(ref first, i, Ahead);

    private interface IReceptorKernel<TVector>
        where TVector : struct
    {
        /// <summary>Σ_k (s_k + arriving input_k)·q_k, the synapses' effect on V over the step; changes nothing.</summary>
        TVector Peek(nuint i);

        /// <summary>Adds the arriving input to s, clears the input and decays s over the whole step.</summary>
        void ApplyAndDecay(nuint i);

        /// <summary>Whether the step bounds V inside the step (<see cref="Rise"/>), not only at its end: exact timing, where a
        /// neuron's events may lift V above threshold and let it fall back before the step ends.</summary>
        static abstract bool BoundsCrossings { get; }

        /// <summary>An upper bound of how far the synapses, and the step's events, can lift V above its free course at any
        /// moment of the step (asked only when <see cref="BoundsCrossings"/>).</summary>
        TVector Rise(nuint i);

        /// <summary>Asks for the cache lines of the synaptic state <see cref="Ahead"/> bytes past element <paramref name="i"/>'s (a hint
        /// that reads nothing; only called where SSE is supported).</summary>
        void Prefetch(nuint i) { }

        /// <summary><see cref="Peek"/> for neuron <paramref name="i"/> alone.</summary>
        double PeekOne(int i);

        /// <summary><see cref="ApplyAndDecay"/> for neuron <paramref name="i"/> alone.</summary>
        void ApplyAndDecayOne(int i);

        /// <summary><see cref="Rise"/> for neuron <paramref name="i"/> alone.</summary>
        double RiseOne(int i);

        /// <summary>Adds the arriving input of neuron <paramref name="i"/> to s and clears it (grid), or drops its summed event
        /// effects (exact timing), before the scalar step takes the neuron over.</summary>
        void AddInputOne(int i);
    }

    private readonly struct NoReceptor<TLanes, TVector> : IReceptorKernel<TVector>
        where TLanes : struct, IDoubleLanes<TVector>
        where TVector : struct
    {
        public static bool BoundsCrossings => false;

        public TVector Rise(nuint i) => TLanes.Create(0);

        public TVector Peek(nuint i) => TLanes.Create(0);

        public void ApplyAndDecay(nuint i)
        {
        }

        public double PeekOne(int i) => 0;

        public void ApplyAndDecayOne(int i)
        {
        }

        public double RiseOne(int i) => 0;

        public void AddInputOne(int i)
        {
        }
    }

    // Constructed once per chunk and step: optimised from the first call (tier-0 code ran through short runs, as in Advance).
    [method: MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly ref struct OneReceptor<TLanes, TVector>(double[] s, DelayRing ring, double q, double p) : IReceptorKernel<TVector>
        where TLanes : struct, IDoubleLanes<TVector>
        where TVector : struct
    {
        public static bool BoundsCrossings => false;

        public TVector Rise(nuint i) => TLanes.Create(0);

        public double RiseOne(int i) => 0;

        private readonly ref double _s = ref MemoryMarshal.GetArrayDataReference(s);
        private readonly ref double _in = ref MemoryMarshal.GetReference(ring.PeekCurrent());

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Prefetch(nuint i)
        {
            PrefetchAhead(ref _s, i);
            if (_hasInput) PrefetchAhead(ref _in, i);
        }
        // Zero-delay input goes straight into s, so the ring slot is often empty: then it is not read at all.
        private readonly bool _hasInput = ring.CurrentHasInput;
        private readonly TVector _qv = TLanes.Create(q), _pv = TLanes.Create(p);
        private readonly double _q = q, _p = p;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TVector Peek(nuint i)
        {
            var x = TLanes.Load(ref _s, i);
            if (_hasInput) x = TLanes.Add(x, TLanes.Load(ref _in, i));
            return TLanes.Multiply(x, _qv);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void ApplyAndDecay(nuint i)
        {
            var x = TLanes.Load(ref _s, i);
            if (_hasInput)
            {
                x = TLanes.Add(x, TLanes.Load(ref _in, i));
                TLanes.Store(TLanes.Create(0), ref _in, i);
            }
            TLanes.Store(TLanes.Multiply(x, _pv), ref _s, i);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public double PeekOne(int i)
        {
            double x = Unsafe.Add(ref _s, i);
            if (_hasInput) x += Unsafe.Add(ref _in, i);
            return x * _q;
        }

        public void ApplyAndDecayOne(int i)
        {
            AddInputOne(i);
            Unsafe.Add(ref _s, i) *= _p;
        }

        public void AddInputOne(int i)
        {
            if (!_hasInput) return;
            Unsafe.Add(ref _s, i) += Unsafe.Add(ref _in, i);
            Unsafe.Add(ref _in, i) = 0;
        }
    }

    // Constructed once per chunk and step: optimised from the first call (tier-0 code ran through short runs, as in Advance).
    [method: MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly ref struct TwoReceptors<TLanes, TVector>(double[] s1, DelayRing in1, double q1, double p1, double[] s2, DelayRing in2, double q2,
        double p2) : IReceptorKernel<TVector>
        where TLanes : struct, IDoubleLanes<TVector>
        where TVector : struct
    {
        public static bool BoundsCrossings => false;

        public TVector Rise(nuint i) => TLanes.Create(0);

        public double RiseOne(int i) => 0;

        private readonly OneReceptor<TLanes, TVector> _first = new(s1, in1, q1, p1);
        private readonly OneReceptor<TLanes, TVector> _second = new(s2, in2, q2, p2);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Prefetch(nuint i)
        {
            _first.Prefetch(i);
            _second.Prefetch(i);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TVector Peek(nuint i) => TLanes.Add(_first.Peek(i), _second.Peek(i));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void ApplyAndDecay(nuint i)
        {
            _first.ApplyAndDecay(i);
            _second.ApplyAndDecay(i);
        }

        public double PeekOne(int i) => _first.PeekOne(i) + _second.PeekOne(i);

        public void ApplyAndDecayOne(int i)
        {
            _first.ApplyAndDecayOne(i);
            _second.ApplyAndDecayOne(i);
        }

        public void AddInputOne(int i)
        {
            _first.AddInputOne(i);
            _second.AddInputOne(i);
        }
    }

    /// <summary>One receptor in exact timing with the linear response: the grid step's s_k q_k and decay, and the bound of the
    /// step's events' rise (read only; <see cref="AddEventSums"/> zeroes it). The events' summed effects on V and s_k are added
    /// afterwards, only for the neurons that had events, so the loop does not stream those sums.</summary>
    // Constructed once per chunk and step: optimised from the first call (tier-0 code ran through short runs, as in Advance).
    [method: MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly ref struct LinearOneReceptor<TLanes, TVector>(double[] s, double q, double p, double[] sums, int stride, double[] rise,
        double riseMax, bool hasInput) : IReceptorKernel<TVector>
        where TLanes : struct, IDoubleLanes<TVector>
        where TVector : struct
    {
        private readonly ref double _s = ref MemoryMarshal.GetArrayDataReference(s);
        private readonly ref double _sums = ref MemoryMarshal.GetArrayDataReference(sums);
        private readonly ref double _rise = ref MemoryMarshal.GetArrayDataReference(rise);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Prefetch(nuint i)
        {
            PrefetchAhead(ref _s, i);
            if (_hasInput) PrefetchAhead(ref _rise, i);
        }
        private readonly int _stride = stride;
        private readonly bool _hasInput = hasInput;
        private readonly TVector _qv = TLanes.Create(q), _pv = TLanes.Create(p), _riseMaxV = TLanes.Create(riseMax);
        private readonly double _q = q, _p = p, _riseMax = riseMax;

        public static bool BoundsCrossings => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TVector Rise(nuint i)
        {
            var x = TLanes.Multiply(TLanes.Max(TLanes.Load(ref _s, i), TLanes.Create(0)), _riseMaxV);
            if (_hasInput) x = TLanes.Add(x, TLanes.Load(ref _rise, i));
            return x;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TVector Peek(nuint i) => TLanes.Multiply(TLanes.Load(ref _s, i), _qv);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void ApplyAndDecay(nuint i) => TLanes.Store(TLanes.Multiply(TLanes.Load(ref _s, i), _pv), ref _s, i);

        public double RiseOne(int i)
        {
            double x = Math.Max(Unsafe.Add(ref _s, i), 0) * _riseMax;
            if (_hasInput) x += Unsafe.Add(ref _rise, i);
            return x;
        }

        public double PeekOne(int i) => Unsafe.Add(ref _s, i) * _q;

        public void ApplyAndDecayOne(int i) => Unsafe.Add(ref _s, i) *= _p;

        public void AddInputOne(int i)
        {
            if (!_hasInput) return;
            ref double record = ref Unsafe.Add(ref _sums, (nint)i * _stride);
            for (int k = 0; k < _stride; k++) Unsafe.Add(ref record, k) = 0;
            Unsafe.Add(ref _rise, i) = 0;
        }
    }

    /// <summary>Two receptors in exact timing with the linear response, as <see cref="LinearOneReceptor{TLanes, TVector}"/>.</summary>
    // Constructed once per chunk and step: optimised from the first call (tier-0 code ran through short runs, as in Advance).
    [method: MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly ref struct LinearTwoReceptors<TLanes, TVector>(double[] s1, double q1, double p1, double[] s2, double q2, double p2,
        double[] sums, int stride, double[] rise, double riseMax1, double riseMax2, bool hasInput) : IReceptorKernel<TVector>
        where TLanes : struct, IDoubleLanes<TVector>
        where TVector : struct
    {
        private readonly ref double _s1 = ref MemoryMarshal.GetArrayDataReference(s1);
        private readonly ref double _s2 = ref MemoryMarshal.GetArrayDataReference(s2);
        private readonly ref double _sums = ref MemoryMarshal.GetArrayDataReference(sums);
        private readonly ref double _rise = ref MemoryMarshal.GetArrayDataReference(rise);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Prefetch(nuint i)
        {
            PrefetchAhead(ref _s1, i);
            PrefetchAhead(ref _s2, i);
            if (_hasInput) PrefetchAhead(ref _rise, i);
        }
        private readonly int _stride = stride;
        private readonly bool _hasInput = hasInput;
        private readonly TVector _q1v = TLanes.Create(q1), _p1v = TLanes.Create(p1), _q2v = TLanes.Create(q2), _p2v = TLanes.Create(p2);
        private readonly TVector _riseMax1V = TLanes.Create(riseMax1), _riseMax2V = TLanes.Create(riseMax2);
        private readonly double _q1 = q1, _p1 = p1, _q2 = q2, _p2 = p2, _riseMax1 = riseMax1, _riseMax2 = riseMax2;

        public static bool BoundsCrossings => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TVector Rise(nuint i)
        {
            var zero = TLanes.Create(0);
            var x = TLanes.Add(TLanes.Multiply(TLanes.Max(TLanes.Load(ref _s1, i), zero), _riseMax1V),
                TLanes.Multiply(TLanes.Max(TLanes.Load(ref _s2, i), zero), _riseMax2V));
            if (_hasInput) x = TLanes.Add(x, TLanes.Load(ref _rise, i));
            return x;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TVector Peek(nuint i) => TLanes.Add(TLanes.Multiply(TLanes.Load(ref _s1, i), _q1v), TLanes.Multiply(TLanes.Load(ref _s2, i), _q2v));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void ApplyAndDecay(nuint i)
        {
            TLanes.Store(TLanes.Multiply(TLanes.Load(ref _s1, i), _p1v), ref _s1, i);
            TLanes.Store(TLanes.Multiply(TLanes.Load(ref _s2, i), _p2v), ref _s2, i);
        }

        public double RiseOne(int i)
        {
            double x = Math.Max(Unsafe.Add(ref _s1, i), 0) * _riseMax1 + Math.Max(Unsafe.Add(ref _s2, i), 0) * _riseMax2;
            if (_hasInput) x += Unsafe.Add(ref _rise, i);
            return x;
        }

        public double PeekOne(int i) => Unsafe.Add(ref _s1, i) * _q1 + Unsafe.Add(ref _s2, i) * _q2;

        public void ApplyAndDecayOne(int i)
        {
            Unsafe.Add(ref _s1, i) *= _p1;
            Unsafe.Add(ref _s2, i) *= _p2;
        }

        public void AddInputOne(int i)
        {
            if (!_hasInput) return;
            ref double record = ref Unsafe.Add(ref _sums, (nint)i * _stride);
            for (int k = 0; k < _stride; k++) Unsafe.Add(ref record, k) = 0;
            Unsafe.Add(ref _rise, i) = 0;
        }
    }
}
