using BioSim.Plasticity.Networks;

namespace BioSim.Plasticity.Rules;

/// <summary>
/// Optional, for rules whose network computes by settling neural dynamics rather than by the plain
/// feed-forward pass (correlative infomax, equilibrium-propagation-like rules). The trainer hands such a
/// rule the minibatch's targets before <see cref="ICreditAssignmentRule.ComputeUpdates"/> (its nudged phase
/// pulls the output towards them, which the loss's δ_L at the feed-forward state cannot express), and lets it
/// replace the forward pass when evaluating.
/// </summary>
public interface IInferenceRule
{
    /// <summary>The targets (batch × OutputSize, row-major) of the minibatch that the next ComputeUpdates sees.</summary>
    void SetTargets(ReadOnlySpan<double> targets, int batch);

    /// <summary>
    /// Overwrites tape.Z[l] and tape.H[l] (l ≥ 1) for the tape's current batch, whose input is tape.H[0], with the
    /// state the rule's network predicts with (Z the somatic potentials, H the rates).
    /// </summary>
    void Infer(Network network, NetworkTape tape);
}
