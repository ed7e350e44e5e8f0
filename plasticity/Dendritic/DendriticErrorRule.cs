using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BioSim.Circuits.Microcircuit;
using BioSim.Engine.Simulation;

namespace BioSim.Plasticity.Dendritic;

/// <summary>
/// The dendritic error rule of Sacramento, Costa, Bengio &amp; Senn (NeurIPS 2018), after the dendritic prediction rule of
/// Urbanczik &amp; Senn (Neuron 2014), on a <see cref="CorticalMicrocircuit"/>, running every step inside the simulation
/// ("dendritic-error"). Each synapse compares the somatic rate of its cell with the rate its own dendrite predicts:
/// <code>
///   dW^PP_{l,l−1}/dt = η^PP_l   (φ(u_l) − φ(û_B,l)) r_{l−1}ᵀ     û_B,l = g_B/(g_lk + g_B + g_A) v_B,l (hidden), g_B/(g_lk + g_B) v_B,L (output)
///   dW^IP_l/dt       = η^IP_l   (φ(u^I_l) − φ(v̂_D,l)) r_lᵀ        v̂_D,l = g_D/(g_lk + g_D) v_D,l
///   dW^PI_l/dt       = η^PI_l   (0 − v_A,l) r^I_lᵀ
///   dW^PP_{l,l+1}/dt = η^down_l (φ(u_l) − φ(W^PP_{l,l+1} r_{l+1})) r_{l+1}ᵀ   (top-down, only when η^down &gt; 0)
/// </code>
/// The bracketed products (the plasticity induction) are low-pass filtered with τ_w before they change the weights:
/// τ_w dΔ/dt = −Δ + (error) preᵀ, dW/dt = η Δ. Per step of length dt the filter is advanced exactly with the induction
/// held over the step, Δ ← e^{−dt/τ_w} Δ + (1 − e^{−dt/τ_w}) (error) preᵀ, and then W ← W + η dt Δ (τ_w = 0: Δ is the
/// induction itself). All errors of a step are computed from the state at the step's end before any weight changes.
/// The filter states Δ are saved with the circuit's checkpoints. No allocation per step.
/// <b>Speed</b> (<see cref="IMicrocircuitDendriticPlasticity"/>): each plastic matrix is read and written once per step.
/// A step's change of a matrix, Δ ← a Δ + c preᵀ and W ← W + s Δ (c = (1 − a) × the errors, s = η dt), is applied to its
/// arrays in the next step's pass over them, the pass that also takes the products of the changed arrays with that step's
/// presynaptic rates, y = W pre (the dendrite of the step's end, which the errors need) and z = Δ pre; the dendrite after
/// this step's change then follows without another pass, W_new pre = y + s a z + s c (pre · pre). The circuit leaves
/// those dendrites to the rule (<see cref="IMicrocircuitDendriticPlasticity.TakesDendrite"/>), and the arrays are brought
/// up to date whenever the weights are asked for (<see cref="Running.Materialise"/>). The changes of W^PP_{1,0}, whose
/// presynaptic rates (the input) are constant over a sample, are kept in a factored form over the sample and folded
/// into the weights when the input changes or the weights are asked for (<see cref="Running.DeferredInput"/>), so the
/// n₁ × n₀ input weights are read and written once per sample instead of every step. A tall matrix of short rows (W^PI_l
/// and the top-down W^PP_{l,l+1}, n_l × n_{l+1} = 500 × 10 in a 784-500-10 circuit) the rule keeps transposed and changes
/// eight rows at a time (<see cref="MicrocircuitKernels.PendingUpdateTransposed"/>): row by row, 500 rows of 10 spent most of
/// a step in per-row overhead. The circuit's row-major array is then brought up to date by a copy when the weights are
/// asked for, saved or recorded (<see cref="Running.Synchronise"/>). The results are the per-step rule's up to round-off
/// (tests/Microcircuit/NaiveMicrocircuitTests, MicrocircuitSpeedEquivalenceTests).
/// <b>Not done, and why</b>: holding K steps' changes back and applying them as one rank-K update does not pay here. With
/// the low-pass filter a step changes W by s Δ (full rank), so both W and Δ must be read every step for W x and Δ x; the K
/// held-back inductions b_k p_kᵀ add K dot products and K axpys per product (K (n + m) against n m = 5 000 for a
/// 500 × 10 matrix: break-even near K = 10), and the flush costs 2K multiply-adds per element every K steps, the same
/// 2 per element and step as the per-step update. Only the stores per step would go: measured at 784-500-10, a pass that
/// also applies the change costs 1.3–1.5 times a pass that only reads (1.7 against 1.2–1.4 µs for 10 × 500, 2.25 against
/// 1.5 µs for the transposed 500 × 10).
/// </summary>
public sealed class DendriticErrorRule : MicrocircuitRule<DendriticErrorParameters>
{
    /// <inheritdoc/>
    protected override string? Validate(DendriticErrorParameters parameters) => parameters.Validate();

    /// <inheritdoc/>
    protected override IMicrocircuitPlasticity Create(DendriticErrorParameters parameters) => new Running(parameters);

    /// <summary>The rule running on one circuit.</summary>
    private sealed class Running(DendriticErrorParameters parameters) : IMicrocircuitDendriticPlasticity
    {
        private CorticalMicrocircuit _circuit = null!;
        private int _top;
        private Plastic[] _matrices = [];
        private Plastic? _input;
        private DeferredInput? _deferred;
        private double[][] _lateral = [];
        private double[][] _topDown = [], _interToApical = [];
        private double[]?[] _fixedTopDownT = [];   // a fixed tall top-down matrix transposed (null: used as it is)
        private bool[] _fixedTopDownCurrent = [];   // the circuit's arrays (read without folding: the rule folds them itself)
        private bool[] _apicalChanged = [], _apicalTaken = [];
        private double _decayDt = double.NaN, _decay;

        public bool DefersInputWeights => _deferred is not null;

        public bool TakesDendrite(string variable)
        {
            foreach (var m in _matrices)
            {
                if (m == _input) continue;
                string dendrite = m.Kind switch
                {
                    Kind.Basal => $"v_B_{m.Layer}",
                    Kind.PyramidalToInterneuron => $"v_D_{m.Layer}",
                    _ => $"v_A_{m.Layer}",
                };
                if (dendrite == variable) return true;
            }
            return false;
        }

        public void Bind(CorticalMicrocircuit circuit)
        {
            _circuit = circuit;
            _top = circuit.OutputLayer;
            var list = new List<Plastic>();
            var n = circuit.LayerSizes;
            for (int l = 1; l <= _top; l++)
            {
                double eta = Rate(parameters.eta_PP, l, _top, "eta_PP");
                if (eta > 0) list.Add(new Plastic(Kind.Basal, l, eta, circuit.Forward(l), n[l], n[l - 1], $"W_PP_{l}_{l - 1}"));
            }
            _lateral = new double[_top][];
            _apicalChanged = new bool[_top];
            _apicalTaken = new bool[_top];
            _topDown = new double[_top][];
            _fixedTopDownT = new double[_top][];
            _fixedTopDownCurrent = new bool[_top];
            _interToApical = new double[_top][];
            for (int l = 1; l < _top; l++)
            {
                double ip = Rate(parameters.eta_IP, l, _top - 1, "eta_IP");
                if (ip > 0) list.Add(new Plastic(Kind.PyramidalToInterneuron, l, ip, circuit.PyramidalToInterneuron(l), n[l + 1], n[l], $"W_IP_{l}"));
                double pi = Rate(parameters.eta_PI, l, _top - 1, "eta_PI");
                if (pi > 0) list.Add(new Plastic(Kind.InterneuronToApical, l, pi, circuit.InterneuronToApical(l), n[l], n[l + 1], $"W_PI_{l}"));
                double down = Rate(parameters.eta_down, l, _top - 1, "eta_down");
                if (down > 0) list.Add(new Plastic(Kind.TopDown, l, down, circuit.TopDown(l), n[l], n[l + 1], $"W_PP_{l}_{l + 1}"));
                _lateral[l] = new double[n[l]];
                _topDown[l] = circuit.TopDown(l);
                if (down <= 0 && n[l + 1] < 16 && n[l] >= 16) _fixedTopDownT[l] = new double[n[l] * n[l + 1]];
                _interToApical[l] = circuit.InterneuronToApical(l);
                _apicalTaken[l] = pi > 0 || down > 0;
            }
            _matrices = [.. list];
            _input = Array.Find(_matrices, m => m.Kind == Kind.Basal && m.Layer == 1);
            _deferred = _input is null ? null : new DeferredInput(n[1], n[0]);
        }

        private static double Rate(double[] rates, int layer, int layers, string field)
        {
            if (layers < 1) return 0;
            if (rates.Length == 1) return rates[0];
            if (rates.Length != layers) throw new ArgumentException($"{field}: needs one learning rate or one per layer ({layers}), got {rates.Length}.");
            return rates[layer - 1];
        }

        public void AfterStep(double t, double dt)
        {
            if (dt != _decayDt)
            {
                _decayDt = dt;
                _decay = parameters.tau_w > 0 ? Math.Exp(-dt / parameters.tau_w) : 0;
            }
            var p = _circuit.Parameters;
            var phi = _circuit.Transfer;
            // The dendrites of the step's end that the circuit left to the rule: one pass over each plastic matrix folds the
            // last step's change into its arrays and takes y = W pre and z = Δ pre with this step's rates.
            foreach (var m in _matrices)
            {
                if (m == _input) continue;
                m.Fold(Pre(m), m.Product, m.FilteredProduct);
                switch (m.Kind)
                {
                    case Kind.Basal:
                        m.Product.CopyTo(_circuit.Basal(m.Layer), 0);
                        break;
                    case Kind.PyramidalToInterneuron:
                        m.Product.CopyTo(_circuit.InterneuronDendritic(m.Layer), 0);
                        break;
                }
            }
            for (int l = 1; l < _top; l++)
            {
                if (!_apicalTaken[l]) continue;
                var top = _circuit.ApicalTopDown(l);
                if (Find(Kind.TopDown, l) is { } down) down.Product.CopyTo(top, 0);
                else FixedTopDown(l, top);
                var lateral = Find(Kind.InterneuronToApical, l)?.Product ?? _lateral[l];
                if (Find(Kind.InterneuronToApical, l) is null) MicrocircuitKernels.MatVec(_interToApical[l], _circuit.InterneuronRates(l), lateral);
                TensorPrimitives.Add(top, lateral, _circuit.Apical(l));
            }
            // Every error first, from the state at the step's end: no weight has changed yet.
            foreach (var m in _matrices)
            {
                var error = m.Error;
                int l = m.Layer;
                switch (m.Kind)
                {
                    case Kind.Basal:
                        {
                            double k = SelfPredictingState.BasalAttenuation(_circuit, l);
                            TensorPrimitives.Multiply(_circuit.Basal(l), k, error);
                            phi.Apply(error, error);
                            TensorPrimitives.Subtract(_circuit.Rates(l), error, error);
                            break;
                        }
                    case Kind.PyramidalToInterneuron:
                        TensorPrimitives.Multiply(_circuit.InterneuronDendritic(l), p.g_D / (p.g_lk + p.g_D), error);
                        phi.Apply(error, error);
                        TensorPrimitives.Subtract(_circuit.InterneuronRates(l), error, error);
                        break;
                    case Kind.InterneuronToApical:
                        TensorPrimitives.Negate(_circuit.Apical(l), error);
                        break;
                    case Kind.TopDown:
                        // φ(W^PP_{l,l+1} r_{l+1}): the circuit computed the product with this step's rates.
                        phi.Apply(_circuit.ApicalTopDown(l), error);
                        TensorPrimitives.Subtract(_circuit.Rates(l), error, error);
                        break;
                }
            }
            double b = 1 - _decay;
            foreach (var m in _matrices)
            {
                double step = m.Eta * dt;
                if (m == _input)
                {
                    _deferred!.Advance(this, m.Error, _decay, step);
                    continue;
                }
                // This step's change stays pending until the next pass; the dendrite after it follows from y and z:
                // W_new pre = W pre + s a Δ pre + s c (pre · pre).
                var pre = Pre(m);
                TensorPrimitives.Multiply(m.Error, b, m.PendingFilter);
                pre.CopyTo(m.PendingRates);
                m.PendingDecay = _decay;
                m.PendingStep = step;
                m.Pending = true;
                double q = TensorPrimitives.Dot(pre, pre);
                MicrocircuitKernels.AfterChange(m.Product, m.FilteredProduct, m.PendingFilter, _decay, step, q);
            }
            // The dendrites the changes touched, from the products of the changed matrices (the rest kept their inputs).
            bool[]? apical = null;
            foreach (var m in _matrices)
            {
                switch (m.Kind)
                {
                    case Kind.Basal when m != _input:
                        m.Product.CopyTo(_circuit.Basal(m.Layer), 0);
                        break;
                    case Kind.PyramidalToInterneuron:
                        m.Product.CopyTo(_circuit.InterneuronDendritic(m.Layer), 0);
                        break;
                    case Kind.InterneuronToApical or Kind.TopDown:
                        apical = _apicalChanged;
                        apical[m.Layer] = true;
                        break;
                }
            }
            if (apical is null) return;
            for (int l = 1; l < _top; l++)
            {
                if (!apical[l]) continue;
                apical[l] = false;
                var top = _circuit.ApicalTopDown(l);
                var down = Find(Kind.TopDown, l);
                down?.Product.CopyTo(top, 0);
                var inter = Find(Kind.InterneuronToApical, l);
                double[] lateral;
                if (inter is not null) lateral = inter.Product;
                else lateral = _lateral[l];   // W^PI is fixed: its product of this step, taken above
                TensorPrimitives.Add(top, lateral, _circuit.Apical(l));
            }
        }

        private Plastic? Find(Kind kind, int layer)
        {
            foreach (var m in _matrices)
            {
                if (m.Kind == kind && m.Layer == layer) return m;
            }
            return null;
        }

        public void InputChanged() => _deferred!.Start(this);

        public void Materialise()
        {
            Array.Clear(_fixedTopDownCurrent);   // the fixed top-down weights may be changed by hand now: copied in again at their next use
            _deferred?.Fold(this);
            foreach (var m in _matrices)
            {
                m.Fold();
            }
        }

        public void Synchronise()
        {
            foreach (var m in _matrices) m.Synchronise();
        }

        /// <summary>W^PP_{l,l+1} r_{l+1} with fixed top-down weights: from a transposed copy when the matrix is tall with short
        /// rows (500 × 10: eight rows at a time instead of 500 short rows), copied in again after the weights were handed out.</summary>
        private void FixedTopDown(int l, double[] top)
        {
            var transposed = _fixedTopDownT[l];
            if (transposed is null)
            {
                MicrocircuitKernels.MatVec(_topDown[l], _circuit.Rates(l + 1), top);
                return;
            }
            if (!_fixedTopDownCurrent[l])
            {
                MicrocircuitKernels.Transpose(_topDown[l], top.Length, _circuit.Rates(l + 1).Length, transposed);
                _fixedTopDownCurrent[l] = true;
            }
            MicrocircuitKernels.MatVecTransposed(transposed, _circuit.Rates(l + 1), top);
        }

        private ReadOnlySpan<double> Pre(Plastic m) => m.Kind switch
        {
            Kind.Basal => _circuit.Rates(m.Layer - 1),
            Kind.PyramidalToInterneuron => _circuit.Rates(m.Layer),
            Kind.InterneuronToApical => _circuit.InterneuronRates(m.Layer),
            _ => _circuit.Rates(m.Layer + 1),
        };

        public void SaveState(StateSnapshot snapshot, string prefix)
        {
            foreach (var m in _matrices)
            {
                snapshot.Put(prefix + "filtered/" + m.Name, m.FilteredRowMajor());
                if (m == _input) continue;
                // The last step's change as it waits for the next pass: saving does not fold it, so saving changes no bit.
                snapshot.Put(prefix + "pending/" + m.Name + "/scalars", [m.Pending ? 1.0 : 0.0, m.PendingDecay, m.PendingStep]);
                snapshot.Put(prefix + "pending/" + m.Name + "/b", m.PendingFilter);
                snapshot.Put(prefix + "pending/" + m.Name + "/pre", m.PendingRates);
            }
            _deferred?.SaveState(snapshot, prefix + "deferred/" + _input!.Name + "/");
        }

        public void LoadState(StateSnapshot snapshot, string prefix)
        {
            Array.Clear(_fixedTopDownCurrent);
            Span<double> scalars = stackalloc double[3];
            foreach (var m in _matrices)
            {
                m.LoadFiltered(snapshot, prefix + "filtered/" + m.Name);
                if (m == _input) continue;
                snapshot.Get(prefix + "pending/" + m.Name + "/scalars", scalars);
                (m.Pending, m.PendingDecay, m.PendingStep) = (scalars[0] != 0, scalars[1], scalars[2]);
                snapshot.Get(prefix + "pending/" + m.Name + "/b", m.PendingFilter);
                snapshot.Get(prefix + "pending/" + m.Name + "/pre", m.PendingRates);
            }
            _deferred?.LoadState(snapshot, prefix + "deferred/" + _input!.Name + "/");
        }

        /// <summary>
        /// The factored change of W^PP_{1,0} over an interval of constant input rates r₀ (a sample). With the error e_k of
        /// step k, a = e^{−dt/τ_w} and s = η dt, the per-step rule Δ ← a Δ + (1 − a) e r₀ᵀ, W ← W + s Δ gives after k steps
        /// <code>
        ///   Δ_k = p_k Δ₀ + b_k r₀ᵀ,   p_k = a p_{k−1} (p₀ = 1),   b_k = a b_{k−1} + (1 − a) e_k   (b₀ = 0)
        ///   W_k = W₀ + α_k Δ₀ + c_k r₀ᵀ, α_k = α_{k−1} + s p_k (α₀ = 0), c_k = c_{k−1} + s b_k     (c₀ = 0)
        ///   v_B,1 = W_k r₀ = y₀ + α_k f₀ + (r₀·r₀) c_k   with y₀ = W₀ r₀, f₀ = Δ₀ r₀
        /// </code>
        /// (the identities follow by induction from the per-step rule), so a step costs O(n₁) and W₀, Δ₀ stay in the
        /// circuit's and the rule's arrays until the factors are folded in (<see cref="Fold"/>, <see cref="Start(Running)"/>).
        /// </summary>
        private sealed class DeferredInput(int rows, int columns)
        {
            private readonly double[] _b = new double[rows], _c = new double[rows], _y0 = new double[rows], _f0 = new double[rows];
            private readonly double[] _r0 = new double[columns];
            private double _alpha, _p = 1, _q;
            private long _steps;
            private bool _stale = true;   // no interval running: W₀, Δ₀ are the arrays as they are, y₀ and f₀ to be taken

            /// <summary>One step: the factors advance with this step's error and v_B,1 takes the changed weights.</summary>
            public void Advance(Running rule, double[] error, double a, double s)
            {
                if (_stale) Start(rule, fold: false, writeBasal: false);
                _p *= a;
                _alpha += s * _p;
                double one = 1 - a, q = _q;
                var basal = rule._circuit.Basal(1);
                int i = 0;
                if (Vector512.IsHardwareAccelerated)
                {
                    // The scalar loop's operations lane by lane (no fused multiply-add), so the bits do not depend on the width.
                    ref double b0 = ref MemoryMarshal.GetArrayDataReference(_b);
                    ref double c0 = ref MemoryMarshal.GetArrayDataReference(_c);
                    ref double y0 = ref MemoryMarshal.GetArrayDataReference(_y0);
                    ref double f0 = ref MemoryMarshal.GetArrayDataReference(_f0);
                    ref double e0 = ref MemoryMarshal.GetArrayDataReference(error);
                    ref double v0 = ref MemoryMarshal.GetArrayDataReference(basal);
                    var va = Vector512.Create(a);
                    var vone = Vector512.Create(one);
                    var vs = Vector512.Create(s);
                    var valpha = Vector512.Create(_alpha);
                    var vq = Vector512.Create(q);
                    int n = Math.Min(Math.Min(_b.Length, error.Length), basal.Length);
                    for (; i + 8 <= n; i += 8)
                    {
                        nuint k = (nuint)i;
                        var bi = va * Vector512.LoadUnsafe(ref b0, k) + vone * Vector512.LoadUnsafe(ref e0, k);
                        bi.StoreUnsafe(ref b0, k);
                        var ci = Vector512.LoadUnsafe(ref c0, k) + vs * bi;
                        ci.StoreUnsafe(ref c0, k);
                        (Vector512.LoadUnsafe(ref y0, k) + valpha * Vector512.LoadUnsafe(ref f0, k) + vq * ci).StoreUnsafe(ref v0, k);
                    }
                }
                if (Vector256.IsHardwareAccelerated)
                {
                    var va = Vector256.Create(a);
                    var vone = Vector256.Create(one);
                    var vs = Vector256.Create(s);
                    var valpha = Vector256.Create(_alpha);
                    var vq = Vector256.Create(q);
                    for (; i + Vector256<double>.Count <= _b.Length; i += Vector256<double>.Count)
                    {
                        var bi = va * Vector256.Create<double>(_b.AsSpan(i)) + vone * Vector256.Create<double>(error.AsSpan(i));
                        bi.CopyTo(_b.AsSpan(i));
                        var ci = Vector256.Create<double>(_c.AsSpan(i)) + vs * bi;
                        ci.CopyTo(_c.AsSpan(i));
                        (Vector256.Create<double>(_y0.AsSpan(i)) + valpha * Vector256.Create<double>(_f0.AsSpan(i)) + vq * ci).CopyTo(basal.AsSpan(i));
                    }
                }
                for (; i < _b.Length; i++)
                {
                    double bi = a * _b[i] + one * error[i];
                    _b[i] = bi;
                    double ci = _c[i] + s * bi;
                    _c[i] = ci;
                    basal[i] = _y0[i] + _alpha * _f0[i] + q * ci;
                }
                _steps++;
            }

            /// <summary>The input changed: fold the ending interval in (with the rates it had) and start the next one from
            /// the circuit's new rates in the same pass; v_B,1 = y₀.</summary>
            public void Start(Running rule) => Start(rule, fold: !_stale, writeBasal: true);

            private void Start(Running rule, bool fold, bool writeBasal)
            {
                var input = rule._input!;
                var r = rule._circuit.Rates(0);
                if (!fold)
                {
                    Array.Clear(_b);
                    Array.Clear(_c);
                    (_alpha, _p) = (0, 1);
                }
                // Unfolded (α = 0, p = 1, b = c = 0), the kernel keeps the arrays' bits and only takes the products.
                MicrocircuitKernels.Fold(input.Weights, input.Filtered, _r0, _alpha, _p, _b, _c, r, _y0, _f0);
                r.CopyTo(_r0, 0);
                _q = TensorPrimitives.Dot<double>(_r0, _r0);
                _alpha = 0;
                _p = 1;
                Array.Clear(_b);
                Array.Clear(_c);
                _steps = 0;
                _stale = false;
                if (writeBasal) _y0.CopyTo(rule._circuit.Basal(1), 0);
            }

            /// <summary>Folds the factors into the arrays; the next step starts a new interval from them.</summary>
            public void Fold(Running rule)
            {
                if (_stale) return;
                var input = rule._input!;
                if (_steps > 0) MicrocircuitKernels.Fold(input.Weights, input.Filtered, _r0, _alpha, _p, _b, _c, [], [], []);
                _stale = true;
            }

            public void SaveState(StateSnapshot snapshot, string prefix)
            {
                snapshot.Put(prefix + "scalars", [_alpha, _p, _q, _steps, _stale ? 1 : 0]);
                snapshot.Put(prefix + "b", _b);
                snapshot.Put(prefix + "c", _c);
                snapshot.Put(prefix + "y0", _y0);
                snapshot.Put(prefix + "f0", _f0);
                snapshot.Put(prefix + "r0", _r0);
            }

            public void LoadState(StateSnapshot snapshot, string prefix)
            {
                Span<double> scalars = stackalloc double[5];
                snapshot.Get(prefix + "scalars", scalars);
                (_alpha, _p, _q, _steps, _stale) = (scalars[0], scalars[1], scalars[2], (long)scalars[3], scalars[4] != 0);
                snapshot.Get(prefix + "b", _b);
                snapshot.Get(prefix + "c", _c);
                snapshot.Get(prefix + "y0", _y0);
                snapshot.Get(prefix + "f0", _f0);
                snapshot.Get(prefix + "r0", _r0);
            }
        }
    }

    private enum Kind
    {
        Basal,
        PyramidalToInterneuron,
        InterneuronToApical,
        TopDown,
    }

    /// <summary>One plastic matrix: its live weights (rows = receiving cells), filter state and error scratch. A tall matrix
    /// of short rows (fewer than 16 columns, at least 16 rows: W^PI and the top-down W^PP_{l,l+1} of a 784-500-10 circuit,
    /// 500 × 10) is <see cref="Transposed"/>: the rule keeps it column by column (<see cref="WeightsT"/>, the filter state
    /// likewise) and changes it there, and the circuit's row-major array is brought up to date by a copy when it is asked
    /// for (<see cref="Running.Materialise"/>) or saved (<see cref="Running.Synchronise"/>); after that the rule copies it back
    /// in before its next pass, so changes made by hand take effect. Copies change no bit.</summary>
    private sealed class Plastic(Kind kind, int layer, double eta, double[] weights, int rows, int columns, string name)
    {
        public Kind Kind { get; } = kind;

        public int Layer { get; } = layer;

        public double Eta { get; } = eta;

        /// <summary>The circuit's array, row-major.</summary>
        public double[] Weights { get; } = weights;

        public int Rows { get; } = rows;

        public int Columns { get; } = columns;

        public string Name { get; } = name;

        /// <summary>Whether the rule keeps the matrix transposed (see the class summary).</summary>
        public bool Transposed { get; } = columns < 16 && rows >= 16;

        /// <summary>Wᵀ, row-major Columns × Rows, the live weights while <see cref="Loaded"/> (transposed matrices only).</summary>
        public double[] WeightsT { get; } = columns < 16 && rows >= 16 ? new double[rows * columns] : [];

        /// <summary>Whether <see cref="WeightsT"/> holds the weights (false: copy them in from the circuit's array first).</summary>
        private bool Loaded { get; set; }

        /// <summary>Whether <see cref="WeightsT"/> changed since the circuit's array was last brought up to date.</summary>
        private bool Changed { get; set; }

        /// <summary>The low-pass state Δ, in the rule's layout (transposed when <see cref="Transposed"/>).</summary>
        public double[] Filtered { get; } = new double[rows * columns];

        private double[]? _scratch;

        public double[] Error { get; } = new double[rows];

        /// <summary>The product of the changed matrix with its presynaptic rates (the dendrite's new input), one per row.</summary>
        public double[] Product { get; } = new double[rows];

        /// <summary>Δ pre, with the filter state of the pass, one per row.</summary>
        public double[] FilteredProduct { get; } = new double[rows];

        /// <summary>The last step's change, not yet in the arrays (when <see cref="Pending"/>): Δ ← a Δ + b preᵀ, W ← W + s Δ
        /// with a = <see cref="PendingDecay"/>, s = <see cref="PendingStep"/>, b = <see cref="PendingFilter"/>, pre = <see cref="PendingRates"/>.</summary>
        public bool Pending { get; set; }

        public double PendingDecay { get; set; } = 1;

        public double PendingStep { get; set; }

        public double[] PendingFilter { get; } = new double[rows];

        public double[] PendingRates { get; } = new double[columns];

        /// <summary>Folds the pending change into the arrays and takes y = W x and z = Δ x in the same pass.</summary>
        public void Fold(ReadOnlySpan<double> x, Span<double> y, Span<double> z)
        {
            if (Transposed)
            {
                if (!Loaded)
                {
                    MicrocircuitKernels.Transpose(Weights, Rows, Columns, WeightsT);
                    Loaded = true;
                }
                MicrocircuitKernels.PendingUpdateTransposed(WeightsT, Filtered, Pending, PendingRates, PendingFilter, PendingDecay, PendingStep, x, y, z);
                Changed |= Pending;
            }
            else
            {
                MicrocircuitKernels.PendingUpdate(Weights, Filtered, Pending, PendingRates, PendingFilter, PendingDecay, PendingStep, x, y, z);
            }
            Pending = false;
        }

        /// <summary>Folds the pending change into the arrays (the products are taken into scratch) and brings the circuit's
        /// array up to date; a transposed matrix is copied back in before the next pass (the array may be changed by hand).</summary>
        public void Fold()
        {
            if (Pending) Fold(PendingRates, Product, FilteredProduct);
            Synchronise();
            Loaded = false;
        }

        /// <summary>Brings the circuit's array up to date with <see cref="WeightsT"/> (a copy).</summary>
        public void Synchronise()
        {
            if (!Transposed || !Loaded || !Changed) return;
            MicrocircuitKernels.Transpose(WeightsT, Columns, Rows, Weights);
            Changed = false;
        }

        /// <summary>Δ row-major (for checkpoints).</summary>
        public double[] FilteredRowMajor()
        {
            if (!Transposed) return Filtered;
            _scratch ??= new double[Rows * Columns];
            MicrocircuitKernels.Transpose(Filtered, Columns, Rows, _scratch);
            return _scratch;
        }

        /// <summary>Δ from a row-major checkpoint; the weights are copied in from the circuit's (loaded) array at the next pass.</summary>
        public void LoadFiltered(StateSnapshot snapshot, string key)
        {
            if (!Transposed)
            {
                snapshot.Get(key, Filtered);
                return;
            }
            _scratch ??= new double[Rows * Columns];
            snapshot.Get(key, _scratch);
            MicrocircuitKernels.Transpose(_scratch, Rows, Columns, Filtered);
            Loaded = false;
            Changed = false;
        }
    }
}
