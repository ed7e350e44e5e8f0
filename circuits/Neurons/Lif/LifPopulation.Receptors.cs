using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BioSim.Engine.Events;

namespace BioSim.Circuits.Neurons.Lif;

/// <summary>The receptor kernels of the vectorised LIF step: the synaptic part for zero, one or two exp-current receptors,
/// as structs so that the JIT specialises the step for each.</summary>
public sealed partial class LifPopulation
{
    /// <summary>The synaptic part of the vectorised step for a fixed number of receptors.</summary>
    private interface IReceptorKernel
    {
        /// <summary>Σ_k (s_k + arriving input_k)·q_k, the synapses' effect on V over the step; changes nothing.</summary>
        Vector<double> Peek(nuint i);

        /// <summary>Adds the arriving input to s, clears the input and decays s over the whole step.</summary>
        void ApplyAndDecay(nuint i);

        /// <summary>Adds the arriving input to s and clears it (before the scalar step takes over the vector).</summary>
        void AddInput(nuint i);
    }

    private readonly struct NoReceptor : IReceptorKernel
    {
        public Vector<double> Peek(nuint i) => Vector<double>.Zero;

        public void ApplyAndDecay(nuint i)
        {
        }

        public void AddInput(nuint i)
        {
        }
    }

    private readonly ref struct OneReceptor(double[] s, DelayRing ring, double q, double p) : IReceptorKernel
    {
        private readonly ref double _s = ref MemoryMarshal.GetArrayDataReference(s);
        private readonly ref double _in = ref MemoryMarshal.GetReference(ring.PeekCurrent());
        // Zero-delay input goes straight into s, so the ring slot is often empty: then it is not read at all.
        private readonly bool _hasInput = ring.CurrentHasInput;
        private readonly Vector<double> _q = new(q), _p = new(p);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<double> Peek(nuint i)
        {
            var x = Vector.LoadUnsafe(ref _s, i);
            if (_hasInput) x += Vector.LoadUnsafe(ref _in, i);
            return x * _q;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void ApplyAndDecay(nuint i)
        {
            var x = Vector.LoadUnsafe(ref _s, i);
            if (_hasInput)
            {
                x += Vector.LoadUnsafe(ref _in, i);
                Vector<double>.Zero.StoreUnsafe(ref _in, i);
            }
            (x * _p).StoreUnsafe(ref _s, i);
        }

        public void AddInput(nuint i)
        {
            if (!_hasInput) return;
            (Vector.LoadUnsafe(ref _s, i) + Vector.LoadUnsafe(ref _in, i)).StoreUnsafe(ref _s, i);
            Vector<double>.Zero.StoreUnsafe(ref _in, i);
        }
    }

    private readonly ref struct TwoReceptors(double[] s1, DelayRing in1, double q1, double p1, double[] s2, DelayRing in2, double q2, double p2)
        : IReceptorKernel
    {
        private readonly OneReceptor _first = new(s1, in1, q1, p1);
        private readonly OneReceptor _second = new(s2, in2, q2, p2);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<double> Peek(nuint i) => _first.Peek(i) + _second.Peek(i);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void ApplyAndDecay(nuint i)
        {
            _first.ApplyAndDecay(i);
            _second.ApplyAndDecay(i);
        }

        public void AddInput(nuint i)
        {
            _first.AddInput(i);
            _second.AddInput(i);
        }
    }

    /// <summary>One receptor in exact timing with the linear response: s_k q_k plus the step's summed event effect on V,
    /// s_k decayed plus the summed effect on s_k; the sums are zeroed as they are read.</summary>
    private readonly ref struct LinearOneReceptor(double[] s, double[] input, double q, double p, double[] inputV, bool hasInput) : IReceptorKernel
    {
        private readonly ref double _s = ref MemoryMarshal.GetArrayDataReference(s);
        private readonly ref double _in = ref MemoryMarshal.GetArrayDataReference(input);
        private readonly ref double _inV = ref MemoryMarshal.GetArrayDataReference(inputV);
        private readonly bool _hasInput = hasInput;
        private readonly Vector<double> _q = new(q), _p = new(p);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<double> Peek(nuint i)
        {
            var x = Vector.LoadUnsafe(ref _s, i) * _q;
            if (_hasInput) x += Vector.LoadUnsafe(ref _inV, i);
            return x;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void ApplyAndDecay(nuint i)
        {
            var x = Vector.LoadUnsafe(ref _s, i) * _p;
            if (_hasInput)
            {
                x += Vector.LoadUnsafe(ref _in, i);
                Vector<double>.Zero.StoreUnsafe(ref _in, i);
                Vector<double>.Zero.StoreUnsafe(ref _inV, i);
            }
            x.StoreUnsafe(ref _s, i);
        }

        public void AddInput(nuint i)
        {
            if (!_hasInput) return;
            Vector<double>.Zero.StoreUnsafe(ref _in, i);
            Vector<double>.Zero.StoreUnsafe(ref _inV, i);
        }
    }

    /// <summary>Two receptors in exact timing with the linear response (the effect on V counted once).</summary>
    private readonly ref struct LinearTwoReceptors(double[] s1, double[] in1, double q1, double p1, double[] s2, double[] in2, double q2, double p2,
        double[] inputV, bool hasInput) : IReceptorKernel
    {
        private readonly ref double _s1 = ref MemoryMarshal.GetArrayDataReference(s1);
        private readonly ref double _in1 = ref MemoryMarshal.GetArrayDataReference(in1);
        private readonly ref double _s2 = ref MemoryMarshal.GetArrayDataReference(s2);
        private readonly ref double _in2 = ref MemoryMarshal.GetArrayDataReference(in2);
        private readonly ref double _inV = ref MemoryMarshal.GetArrayDataReference(inputV);
        private readonly bool _hasInput = hasInput;
        private readonly Vector<double> _q1 = new(q1), _p1 = new(p1), _q2 = new(q2), _p2 = new(p2);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<double> Peek(nuint i)
        {
            var x = Vector.LoadUnsafe(ref _s1, i) * _q1 + Vector.LoadUnsafe(ref _s2, i) * _q2;
            if (_hasInput) x += Vector.LoadUnsafe(ref _inV, i);
            return x;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void ApplyAndDecay(nuint i)
        {
            var x1 = Vector.LoadUnsafe(ref _s1, i) * _p1;
            var x2 = Vector.LoadUnsafe(ref _s2, i) * _p2;
            if (_hasInput)
            {
                x1 += Vector.LoadUnsafe(ref _in1, i);
                x2 += Vector.LoadUnsafe(ref _in2, i);
                Vector<double>.Zero.StoreUnsafe(ref _in1, i);
                Vector<double>.Zero.StoreUnsafe(ref _in2, i);
                Vector<double>.Zero.StoreUnsafe(ref _inV, i);
            }
            x1.StoreUnsafe(ref _s1, i);
            x2.StoreUnsafe(ref _s2, i);
        }

        public void AddInput(nuint i)
        {
            if (!_hasInput) return;
            Vector<double>.Zero.StoreUnsafe(ref _in1, i);
            Vector<double>.Zero.StoreUnsafe(ref _in2, i);
            Vector<double>.Zero.StoreUnsafe(ref _inV, i);
        }
    }
}
