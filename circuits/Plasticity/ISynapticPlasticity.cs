using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Plasticity;

/// <summary>
/// A plasticity rule running inside the simulation on the synapses of one projection (STDP, the triplet rule, and
/// continuous-time rules such as the dendritic error rule). The projection calls it once per step, after the step's
/// spikes were delivered, with that step's events in time order: each presynaptic spike when it reaches a synapse
/// (its emission time plus the synapse's delay) and each spike of a target neuron, then <see cref="AfterStep"/>.
/// Events at the same time are handed over presynaptic first (as Brian2 runs <c>on_pre</c> before <c>on_post</c>).
/// The rule changes <see cref="PlasticSynapses.Weights"/> in place; its own state (traces) is saved with checkpoints
/// through <see cref="IStateful"/>, the weights by the projection.
/// </summary>
public interface ISynapticPlasticity : IStateful
{
    /// <summary>Called once, before the first step: the synapses whose weights the rule changes.</summary>
    void Bind(PlasticSynapses synapses);

    /// <summary>A presynaptic spike reaches synapse <paramref name="synapse"/> (CSR index) at <paramref name="t"/> ms.</summary>
    void OnPresynaptic(int synapse, double t);

    /// <summary>Target neuron <paramref name="target"/> spiked at <paramref name="t"/> ms; its synapses are
    /// <see cref="PlasticSynapses.SynapsesOf"/>(target).</summary>
    void OnPostsynaptic(int target, double t);

    /// <summary>Called at the end of every step (time <paramref name="t"/>, ms), after its events: continuous-time rules
    /// read the populations' state here.</summary>
    void AfterStep(double t);

    /// <summary>Whether <see cref="AfterStep"/> reads the populations' state (continuous-time rules do; spike-timing rules
    /// see only events). A run split over processes learns at the end of each communication interval, when the populations
    /// are further on, so it runs such a rule only when the interval is one step.</summary>
    bool ReadsStateAfterStep => false;
}
