using BioSim.Circuits.Plasticity;
using BioSim.Engine.Simulation;

namespace BioSim.Plasticity.Synaptic;

/// <summary>
/// Pair-based spike-timing-dependent plasticity (Song, Miller &amp; Abbott 2000; the trace formulation of Morrison,
/// Diesmann &amp; Gerstner 2008), registered as <c>"stdp"</c>. Each synapse keeps a presynaptic trace x (τ₊) and each target
/// neuron a postsynaptic trace y (τ₋). When a presynaptic spike reaches a synapse at t, the weight is depressed by
/// A₋·y(t) (times (w − w_min) when multiplicative), then x takes the spike; when the target spikes at t, each of its
/// synapses is potentiated by A₊·x(t) (times (w_max − w) when multiplicative), then y takes the spike. Weights stay in
/// [w_min, w_max]. With all-to-all pairing the traces add up every spike, so the change over a set of spikes is the sum
/// of the pair window over all pairs; with nearest pairing a trace is reset to 1 at each spike.
/// </summary>
public sealed class Stdp : SynapticRule<StdpParameters>
{
    /// <inheritdoc/>
    protected override string? Validate(StdpParameters parameters) => parameters.Validate();

    /// <inheritdoc/>
    protected override (double Min, double Max) WeightBounds(StdpParameters parameters) => (parameters.w_min, parameters.w_max);

    /// <inheritdoc/>
    protected override ISynapticPlasticity Create(StdpParameters parameters) => new Running(parameters);

    private sealed class Running(StdpParameters p) : ISynapticPlasticity
    {
        private readonly bool _nearest = p.pairing == "nearest";
        private readonly bool _multiplicative = p.weight_dependence == "multiplicative";
        private PlasticSynapses _synapses = null!;
        private EventTrace _pre = null!;
        private EventTrace _post = null!;

        public void Bind(PlasticSynapses synapses)
        {
            _synapses = synapses;
            _pre = new EventTrace(synapses.Count, p.tau_plus);
            _post = new EventTrace(synapses.Target.Size, p.tau_minus);
        }

        public void OnPresynaptic(int synapse, double t)
        {
            ref double w = ref _synapses.Weights[synapse];
            double y = _post.At(_synapses.Targets[synapse], t);
            w = Math.Max(p.w_min, w - p.A_minus * y * (_multiplicative ? w - p.w_min : 1.0));
            _pre.Spike(synapse, t, _nearest);
        }

        public void OnPostsynaptic(int target, double t)
        {
            var weights = _synapses.Weights;
            foreach (int k in _synapses.SynapsesOf(target))
            {
                double x = _pre.At(k, t);
                ref double w = ref weights[k];
                w = Math.Min(p.w_max, w + p.A_plus * x * (_multiplicative ? p.w_max - w : 1.0));
            }
            _post.Spike(target, t, _nearest);
        }

        public void AfterStep(double t)
        {
        }

        public void SaveState(StateSnapshot snapshot, string prefix)
        {
            _pre.Save(snapshot, prefix + "pre");
            _post.Save(snapshot, prefix + "post");
        }

        public void LoadState(StateSnapshot snapshot, string prefix)
        {
            _pre.Load(snapshot, prefix + "pre");
            _post.Load(snapshot, prefix + "post");
        }
    }
}
