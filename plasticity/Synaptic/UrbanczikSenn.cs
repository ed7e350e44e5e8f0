using BioSim.Circuits.Neurons.Dendritic;
using BioSim.Circuits.Plasticity;
using BioSim.Engine.Events;
using BioSim.Engine.Simulation;

namespace BioSim.Plasticity.Synaptic;

/// <summary>
/// Learning by dendritic prediction of somatic activity (Urbanczik &amp; Senn 2014, Neuron 81:521), registered as
/// <c>"urbanczik-senn"</c>, on a projection onto a dendrite of a <c>pyramidal</c> or <c>interneuron</c> population. The
/// dendrite predicts the somatic potential, V*_j = (g_L E_L + g_d V_d,j)/(g_L + Σ g_d) (<see cref="DendriticPopulation.Prediction"/>);
/// the soma, nudged by somatic input towards a teacher's potential, carries the target. Each weight follows
/// <code>
///   dw_k/dt = η (S_j(t) − ρ(V*_j)) x_k(t)       (output "spikes": S_j the neuron's spike train)
///   dw_k/dt = η (ρ(U_j) − ρ(V*_j)) x_k(t)       (output "rate")
/// </code>
/// with ρ = rate_scale·φ (Hz) and x_k the synapse's postsynaptic-potential trace: each presynaptic arrival adds 1 and x
/// decays with the receptor's τ, so that the receptor's contribution to V_d is Σ_k w_k x_k and x_k = ∂V_d/∂w_k — the rule is
/// the gradient of the log-likelihood of the somatic spikes (rate version: of the squared rate error with φ' absorbed).
/// <para>
/// Discretisation: once per step, after the populations advanced (<see cref="ISynapticPlasticity.AfterStep"/>), x decays
/// exactly over the step and takes each arrival of the step with its exact remaining decay; the increment
/// F_k = (n_j − ρ(V*_j)·dt)·x_k (rate: (ρ(U_j) − ρ(V*_j))·dt·x_k; dt in s, n_j the neuron's spikes in the step) uses the
/// end-of-step values (an O(dt/τ) difference from the continuous product for spikes inside the step). With τ_Δ &gt; 0 the
/// increments pass a first-order low-pass of unit gain, F̄ ← a F̄ + (1 − a) F, a = e^{−dt/τ_Δ}, and the weight changes by
/// η F̄ (the paper's filtered PI_i); weights are clipped to [w_min, w_max].
/// </para>
/// </summary>
public sealed class UrbanczikSenn : SynapticRule<UrbanczikSennParameters>
{
    /// <inheritdoc/>
    public override bool NeedsPostsynapticSpikes => false;

    /// <inheritdoc/>
    protected override string? Validate(UrbanczikSennParameters parameters) => parameters.Validate();

    /// <inheritdoc/>
    protected override (double Min, double Max) WeightBounds(UrbanczikSennParameters parameters) => (parameters.w_min, parameters.w_max);

    /// <inheritdoc/>
    protected override ISynapticPlasticity Create(UrbanczikSennParameters parameters) => new Running(parameters);

    private sealed class Running(UrbanczikSennParameters p) : ISynapticPlasticity
    {
        private readonly bool _spikes = p.output == "spikes";
        private PlasticSynapses _synapses = null!;
        private DendriticPopulation _target = null!;
        private int _dendrite;
        private double[] _x = [], _filtered = [], _error = [], _u = [];
        private int[] _spikeCount = [];
        private readonly SpikeList _arrivals = new(64);
        private double _decay, _tau, _lowPass, _dtSeconds;

        public void Bind(PlasticSynapses synapses)
        {
            _synapses = synapses;
            _target = synapses.Target as DendriticPopulation ?? throw new ArgumentException(
                $"plasticity rule 'urbanczik-senn' learns on a dendrite of a pyramidal or interneuron population; target '{synapses.Target.Name}' is not one");
            _dendrite = _target.DendriteOf(synapses.Receptor);
            if (_dendrite < 0)
            {
                throw new ArgumentException($"plasticity rule 'urbanczik-senn': receptor '{synapses.Receptor}' of '{_target.Name}' feeds the soma; "
                    + $"the rule learns dendritic synapses (a receptor named after a dendrite: {string.Join(", ", _target.Dendrites)})");
            }
            if (_spikes && !_target.EmitsSpikes)
            {
                throw new ArgumentException($"plasticity rule 'urbanczik-senn' with output 'spikes': '{_target.Name}' emits no spikes (rate_scale is 0); use output 'rate'");
            }
            if (_target.RateScale == 0)
            {
                throw new ArgumentException($"plasticity rule 'urbanczik-senn': '{_target.Name}' has rate_scale 0, so its rates ρ = rate_scale·φ are 0 and nothing is learned; set rate_scale > 0");
            }
            _tau = _target.Receptors.Single(r => r.Name == synapses.Receptor).Tau;
            _decay = Math.Exp(-synapses.Dt / _tau);
            _lowPass = p.tau_delta > 0 ? Math.Exp(-synapses.Dt / p.tau_delta) : 0;
            _dtSeconds = synapses.Dt * 1e-3;
            _x = new double[synapses.Count];
            _filtered = p.tau_delta > 0 ? new double[synapses.Count] : [];
            _error = new double[_target.Size];
            _spikeCount = new int[_target.Size];
            _u = _target.Variable("U");
        }

        public bool ReadsStateAfterStep => true;

        public void OnPresynaptic(int synapse, double t) => _arrivals.Add(synapse, t);

        public void OnPostsynaptic(int target, double t) => _spikeCount[target]++;

        public void AfterStep(double t)
        {
            var x = _x;
            for (int k = 0; k < x.Length; k++) x[k] *= _decay;
            var ids = _arrivals.Ids;
            var times = _arrivals.Times;
            for (int n = 0; n < ids.Length; n++) x[ids[n]] += Math.Exp(-Math.Max(0, t - times[n]) / _tau);
            _arrivals.Clear();

            double scale = _target.RateScale;
            for (int j = 0; j < _error.Length; j++)
            {
                double predicted = scale * _target.Phi(_target.Prediction(j, _dendrite)) * _dtSeconds;
                double teaching = _spikes ? _spikeCount[j] : scale * _target.Phi(_u[j]) * _dtSeconds;
                _error[j] = teaching - predicted;
                _spikeCount[j] = 0;
            }

            var w = _synapses.Weights;
            var targets = _synapses.Targets;
            bool filter = _filtered.Length > 0;
            for (int k = 0; k < w.Length; k++)
            {
                double increment = _error[targets[k]] * x[k];
                if (filter) increment = _filtered[k] = _lowPass * _filtered[k] + (1 - _lowPass) * increment;
                w[k] = Math.Clamp(w[k] + p.eta * increment, p.w_min, p.w_max);
            }
        }

        public void SaveState(StateSnapshot snapshot, string prefix)
        {
            snapshot.Put(prefix + "x", _x);
            if (_filtered.Length > 0) snapshot.Put(prefix + "filtered", _filtered);
        }

        public void LoadState(StateSnapshot snapshot, string prefix)
        {
            snapshot.Get(prefix + "x", _x);
            if (_filtered.Length > 0) snapshot.Get(prefix + "filtered", _filtered);
        }
    }
}
