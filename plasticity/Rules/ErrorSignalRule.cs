using BioSim.Engine.Simulation;
using BioSim.Plasticity.Networks;

namespace BioSim.Plasticity.Rules;

/// <summary>
/// The rules whose only difference from backprop is the error signal: <see cref="PropagateErrors"/>
/// fills tape.Delta[l] for the hidden layers, and the update of layer l is then the same for all,
/// ΔW_l = s_l δ_lᵀ h_{l−1} + λ_l W_l and Δb_l = Σ_rows δ_l.
/// </summary>
public abstract class ErrorSignalRule : ICreditAssignmentRule
{
    /// <inheritdoc/>
    public abstract void Prepare(Network network, ulong seed);

    /// <summary>Fills tape.Delta[1 … L−1] from tape.Delta[L].</summary>
    public abstract void PropagateErrors(Network network, NetworkTape tape);

    /// <inheritdoc/>
    public void ComputeUpdates(Network network, NetworkTape tape, ParameterGradients gradients)
    {
        PropagateErrors(network, tape);
        LayerUpdates.FromErrors(network, tape, gradients);
    }

    /// <inheritdoc/>
    public abstract void SaveState(StateSnapshot snapshot, string prefix);

    /// <inheritdoc/>
    public abstract void LoadState(StateSnapshot snapshot, string prefix);
}
