using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
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
/// </summary>
public sealed class DendriticErrorRule : MicrocircuitRule<DendriticErrorParameters>
{
    /// <inheritdoc/>
    protected override string? Validate(DendriticErrorParameters parameters) => parameters.Validate();

    /// <inheritdoc/>
    protected override IMicrocircuitPlasticity Create(DendriticErrorParameters parameters) => new Running(parameters);

    /// <summary>The rule running on one circuit.</summary>
    private sealed class Running(DendriticErrorParameters parameters) : IMicrocircuitPlasticity
    {
        private CorticalMicrocircuit _circuit = null!;
        private int _top;
        private Plastic[] _matrices = [];
        private double _decayDt = double.NaN, _decay;

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
            for (int l = 1; l < _top; l++)
            {
                double ip = Rate(parameters.eta_IP, l, _top - 1, "eta_IP");
                if (ip > 0) list.Add(new Plastic(Kind.PyramidalToInterneuron, l, ip, circuit.PyramidalToInterneuron(l), n[l + 1], n[l], $"W_IP_{l}"));
                double pi = Rate(parameters.eta_PI, l, _top - 1, "eta_PI");
                if (pi > 0) list.Add(new Plastic(Kind.InterneuronToApical, l, pi, circuit.InterneuronToApical(l), n[l], n[l + 1], $"W_PI_{l}"));
                double down = Rate(parameters.eta_down, l, _top - 1, "eta_down");
                if (down > 0) list.Add(new Plastic(Kind.TopDown, l, down, circuit.TopDown(l), n[l], n[l + 1], $"W_PP_{l}_{l + 1}"));
            }
            _matrices = [.. list];
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
                        {
                            var r = _circuit.Rates(l + 1);
                            int k = r.Length;
                            for (int i = 0; i < error.Length; i++) error[i] = TensorPrimitives.Dot(m.Weights.AsSpan(i * k, k), r);
                            phi.Apply(error, error);
                            TensorPrimitives.Subtract(_circuit.Rates(l), error, error);
                            break;
                        }
                }
            }
            double b = 1 - _decay;
            foreach (var m in _matrices)
            {
                ReadOnlySpan<double> pre = m.Kind switch
                {
                    Kind.Basal => _circuit.Rates(m.Layer - 1),
                    Kind.PyramidalToInterneuron => _circuit.Rates(m.Layer),
                    Kind.InterneuronToApical => _circuit.InterneuronRates(m.Layer),
                    _ => _circuit.Rates(m.Layer + 1),
                };
                double step = m.Eta * dt;
                int columns = m.Columns;
                for (int i = 0; i < m.Rows; i++)
                {
                    Update(m.Weights.AsSpan(i * columns, columns), m.Filtered.AsSpan(i * columns, columns), pre, _decay, b * m.Error[i], step);
                }
            }
        }

        /// <summary>One row, one pass over memory: Δ ← a Δ + c·pre, W ← W + s Δ (the weight rows of large layers do not fit in
        /// cache, so three separate passes cost three times the memory traffic).</summary>
        private static void Update(Span<double> w, Span<double> filtered, ReadOnlySpan<double> pre, double a, double c, double s)
        {
            int j = 0;
            if (Vector.IsHardwareAccelerated && w.Length >= Vector<double>.Count)
            {
                var va = new Vector<double>(a);
                var vc = new Vector<double>(c);
                var vs = new Vector<double>(s);
                var wv = MemoryMarshal.Cast<double, Vector<double>>(w);
                var fv = MemoryMarshal.Cast<double, Vector<double>>(filtered);
                var pv = MemoryMarshal.Cast<double, Vector<double>>(pre);
                for (int k = 0; k < wv.Length; k++)
                {
                    var d = va * fv[k] + vc * pv[k];
                    fv[k] = d;
                    wv[k] += vs * d;
                }
                j = wv.Length * Vector<double>.Count;
            }
            for (; j < w.Length; j++)
            {
                double d = a * filtered[j] + c * pre[j];
                filtered[j] = d;
                w[j] += s * d;
            }
        }

        public void SaveState(StateSnapshot snapshot, string prefix)
        {
            foreach (var m in _matrices) snapshot.Put(prefix + "filtered/" + m.Name, m.Filtered);
        }

        public void LoadState(StateSnapshot snapshot, string prefix)
        {
            foreach (var m in _matrices) snapshot.Get(prefix + "filtered/" + m.Name, m.Filtered);
        }
    }

    private enum Kind
    {
        Basal,
        PyramidalToInterneuron,
        InterneuronToApical,
        TopDown,
    }

    /// <summary>One plastic matrix: its live weights (rows = receiving cells), filter state and error scratch.</summary>
    private sealed class Plastic(Kind kind, int layer, double eta, double[] weights, int rows, int columns, string name)
    {
        public Kind Kind { get; } = kind;

        public int Layer { get; } = layer;

        public double Eta { get; } = eta;

        public double[] Weights { get; } = weights;

        public int Rows { get; } = rows;

        public int Columns { get; } = columns;

        public string Name { get; } = name;

        public double[] Filtered { get; } = new double[rows * columns];

        public double[] Error { get; } = new double[rows];
    }
}
