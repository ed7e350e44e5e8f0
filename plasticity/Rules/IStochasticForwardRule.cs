using BioSim.Plasticity.Networks;

namespace BioSim.Plasticity.Rules;

/// <summary>
/// Optional, for rules that train networks whose hidden units are stochastic (binary or categorical units with a gradient
/// estimator, <see cref="Estimators.StochasticUnits"/>): after the deterministic forward pass of a training step (and of an
/// alignment probe) the trainer lets the rule replace the tape's hidden activations by a sample and recompute the layers
/// above, before the loss is evaluated, so that the loss, δ_L and the rule's updates all see the sampled network.
/// </summary>
public interface IStochasticForwardRule
{
    /// <summary>Overwrites tape.Z[l] and tape.H[l] (l ≥ 1) of the tape's current batch, whose input is tape.H[0], with a
    /// sampled forward pass; <paramref name="loss"/> and <paramref name="targets"/> (batch × the loss's target width) are
    /// there for rules that need each row's loss (the score-function estimator).</summary>
    void Sample(Network network, NetworkTape tape, ILoss loss, ReadOnlySpan<double> targets);
}
