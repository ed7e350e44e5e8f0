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

/// <summary>
/// The rules whose only difference from backprop is the error signal: <see cref="PropagateErrors"/>
/// fills tape.Delta[l] for the hidden layers, and the update of layer l is then the same for all,
/// ΔW_l = s_l δ_lᵀ h_{l−1} + λ_l W_l and Δb_l = Σ_rows δ_l.
/// </summary>
public abstract class ErrorSignalRule : ICreditAssignmentRule
{
    public abstract void Prepare(Network network, ulong seed);

    /// <summary>Fills tape.Delta[1 … L−1] from tape.Delta[L].</summary>
    public abstract void PropagateErrors(Network network, NetworkTape tape);

    public void ComputeUpdates(Network network, NetworkTape tape, ParameterGradients gradients)
    {
        PropagateErrors(network, tape);
        LayerUpdates.FromErrors(network, tape, gradients);
    }

    public abstract void SaveState(StateSnapshot snapshot, string prefix);

    public abstract void LoadState(StateSnapshot snapshot, string prefix);
}

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

/// <summary>One update array per weight matrix and bias vector, shaped like the network's.</summary>
public sealed class ParameterGradients
{
    public ParameterGradients(Network network)
    {
        Weights = [.. network.Layers.Select(l => new double[l.Weights.Length])];
        Bias = [.. network.Layers.Select(l => l.Bias is null ? null : new double[l.Bias.Length])];
    }

    public double[][] Weights { get; }

    public double[]?[] Bias { get; }
}
