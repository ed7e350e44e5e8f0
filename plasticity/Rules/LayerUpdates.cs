using BioSim.Plasticity.Networks;

namespace BioSim.Plasticity.Rules;

/// <summary>Weight updates from per-layer errors, shared by every rule.</summary>
public static class LayerUpdates
{
    /// <summary>ΔW_l = s_l δ_lᵀ h_{l−1} + λ_l W_l, Δb_l = Σ_rows δ_l for every layer.</summary>
    public static void FromErrors(Network network, NetworkTape tape, ParameterGradients gradients)
    {
        int batch = tape.Batch;
        for (int l = 0; l < network.Layers.Count; l++)
        {
            var layer = network.Layers[l];
            ReadOnlySpan<double> delta = tape.Delta[l + 1].AsSpan(0, batch * layer.Outputs);
            if (layer.L2 != 0) layer.Weights.CopyTo(gradients.Weights[l], 0);
            network.Product.Multiply(true, false, layer.Outputs, layer.Inputs, batch, layer.Scale,
                delta, tape.H[l].AsSpan(0, batch * layer.Inputs), layer.L2, gradients.Weights[l]);
            if (gradients.Bias[l] is { } gb)
            {
                gb.AsSpan().Clear();
                for (int r = 0; r < batch; r++)
                {
                    ReadOnlySpan<double> row = delta.Slice(r * layer.Outputs, layer.Outputs);
                    for (int j = 0; j < row.Length; j++) gb[j] += row[j];
                }
            }
        }
    }

    /// <summary>delta ← delta ⊙ f′(z_l) for layer index <paramref name="l"/> (1-based) on the current batch.</summary>
    public static void MultiplyByDerivative(Network network, NetworkTape tape, int l)
    {
        var layer = network.Layers[l - 1];
        int count = tape.Batch * layer.Outputs;
        Span<double> d = tape.Derivative.AsSpan(0, count);
        layer.Activation.Derivative(tape.Z[l].AsSpan(0, count), tape.H[l].AsSpan(0, count), d);
        Span<double> delta = tape.Delta[l].AsSpan(0, count);
        for (int i = 0; i < count; i++) delta[i] *= d[i];
    }
}
