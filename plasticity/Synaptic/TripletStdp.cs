using BioSim.Circuits.Plasticity;
using BioSim.Engine.Simulation;

namespace BioSim.Plasticity.Synaptic;

/// <summary>
/// The triplet STDP rule of Pfister &amp; Gerstner (2006, J. Neurosci. 26:9673, eqs. 3–4), registered as
/// <c>"stdp-triplet"</c>. Each synapse keeps two presynaptic traces r₁ (τ₊) and r₂ (τ_x), each target neuron two
/// postsynaptic traces o₁ (τ₋) and o₂ (τ_y). A presynaptic spike at t depresses the weight by o₁(t)·(A₂⁻ + A₃⁻·r₂(t⁻)),
/// then r₁ and r₂ take the spike; a postsynaptic spike potentiates each synapse of the neuron by
/// r₁(t)·(A₂⁺ + A₃⁺·o₂(t⁻)), then o₁ and o₂ take it (t⁻: the trace before this spike's own increment). Additive, clipped
/// to [w_min, w_max]; with A₃⁺ = A₃⁻ = 0 it is pair STDP.
/// </summary>
public sealed class TripletStdp : SynapticRule<TripletStdpParameters>
{
    /// <inheritdoc/>
    protected override string? Validate(TripletStdpParameters parameters) => parameters.Validate();

    /// <inheritdoc/>
    protected override (double Min, double Max) WeightBounds(TripletStdpParameters parameters) => (parameters.w_min, parameters.w_max);

    /// <inheritdoc/>
    protected override ISynapticPlasticity Create(TripletStdpParameters parameters) => new Running(parameters);

    private sealed class Running(TripletStdpParameters p) : ISynapticPlasticity
    {
        private readonly bool _nearest = p.pairing == "nearest";
        private PlasticSynapses _synapses = null!;
        private EventTrace _r1 = null!;
        private EventTrace _r2 = null!;
        private EventTrace _o1 = null!;
        private EventTrace _o2 = null!;

        public void Bind(PlasticSynapses synapses)
        {
            _synapses = synapses;
            _r1 = new EventTrace(synapses.Count, p.tau_plus);
            _r2 = new EventTrace(synapses.Count, p.tau_x);
            _o1 = new EventTrace(synapses.Target.Size, p.tau_minus);
            _o2 = new EventTrace(synapses.Target.Size, p.tau_y);
        }

        public void OnPresynaptic(int synapse, double t)
        {
            int j = _synapses.Targets[synapse];
            ref double w = ref _synapses.Weights[synapse];
            w = Math.Max(p.w_min, w - _o1.At(j, t) * (p.A2_minus + p.A3_minus * _r2.At(synapse, t)));
            _r1.Spike(synapse, t, _nearest);
            _r2.Spike(synapse, t, _nearest);
        }

        public void OnPostsynaptic(int target, double t)
        {
            double slow = p.A2_plus + p.A3_plus * _o2.At(target, t);
            var weights = _synapses.Weights;
            foreach (int k in _synapses.SynapsesOf(target))
            {
                ref double w = ref weights[k];
                w = Math.Min(p.w_max, w + _r1.At(k, t) * slow);
            }
            _o1.Spike(target, t, _nearest);
            _o2.Spike(target, t, _nearest);
        }

        public void AfterStep(double t)
        {
        }

        public void SaveState(StateSnapshot snapshot, string prefix)
        {
            _r1.Save(snapshot, prefix + "r1");
            _r2.Save(snapshot, prefix + "r2");
            _o1.Save(snapshot, prefix + "o1");
            _o2.Save(snapshot, prefix + "o2");
        }

        public void LoadState(StateSnapshot snapshot, string prefix)
        {
            _r1.Load(snapshot, prefix + "r1");
            _r2.Load(snapshot, prefix + "r2");
            _o1.Load(snapshot, prefix + "o1");
            _o2.Load(snapshot, prefix + "o2");
        }
    }
}
