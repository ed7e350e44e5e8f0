using BioSim.Engine.Simulation;
using BioSim.Plasticity.Networks;

namespace BioSim.Plasticity.Rules;

/// <summary>
/// A credit-assignment rule for layered networks: from one minibatch's forward pass (the tape, with the
/// loss's output error δ_L in tape.Delta[L]) it computes every layer's weight and bias update direction
/// (a gradient for backprop, a pseudo-gradient for the others); the optimiser then applies it. Rules
/// differ from backprop only in how the error reaches each layer. Their state (fixed feedback matrices,
/// lateral weights, inverses) is saved with the checkpoint through <see cref="IStateful"/>.
/// Register one with <c>services.AddPlugin&lt;ICreditAssignmentRule, T&gt;("name", PluginLifetime.PerUse)</c>.
/// </summary>
public interface ICreditAssignmentRule : IStateful
{
    /// <summary>Creates the rule's state for <paramref name="network"/>, random parts drawn from streams keyed by <paramref name="seed"/>.</summary>
    void Prepare(Network network, ulong seed);

    /// <summary>Writes the update of every layer into <paramref name="gradients"/> (overwriting it).</summary>
    void ComputeUpdates(Network network, NetworkTape tape, ParameterGradients gradients);
}
