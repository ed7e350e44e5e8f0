using BioSim.Engine.Simulation;
using BioSim.Plasticity.Networks;

namespace BioSim.Plasticity.Rules;

/// <summary>
/// Backpropagation (Rumelhart, Hinton &amp; Williams 1986), the baseline: the error reaches layer l through
/// the transpose of the forward weights, δ_l = s_{l+1} (δ_{l+1} W_{l+1}) ⊙ f′(z_l) (rows are samples).
/// No state.
/// </summary>
public sealed class Backpropagation : ErrorSignalRule
{
    /// <inheritdoc/>
    public override void Prepare(Network network, ulong seed) { }

    /// <inheritdoc/>
    public override void PropagateErrors(Network network, NetworkTape tape)
    {
        for (int l = network.Layers.Count - 1; l >= 1; l--)
        {
            var above = network.Layers[l];
            network.Product.Multiply(false, false, tape.Batch, above.Inputs, above.Outputs, above.Scale,
                tape.Delta[l + 1].AsSpan(0, tape.Batch * above.Outputs), above.Weights, 0.0, tape.Delta[l].AsSpan(0, tape.Batch * above.Inputs));
            LayerUpdates.MultiplyByDerivative(network, tape, l);
        }
    }

    /// <inheritdoc/>
    public override void SaveState(StateSnapshot snapshot, string prefix) { }

    /// <inheritdoc/>
    public override void LoadState(StateSnapshot snapshot, string prefix) { }
}
