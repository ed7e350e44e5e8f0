namespace BioSim.Plasticity.Networks;

/// <summary>
/// Softmax cross-entropy on the output layer's z (which must be linear, "identity"): p = softmax(z),
/// L = −1/B Σ_rows Σ_k y_k log p_k, δ_L = (p − y)/B. Targets are one-hot (or any distribution).
/// </summary>
public sealed class SoftmaxCrossEntropy : ILoss
{
    /// <inheritdoc/>
    public string Name => "softmax-cross-entropy";

    /// <inheritdoc/>
    public bool NeedsClassLabels => true;

    /// <inheritdoc/>
    public double Evaluate(Network network, NetworkTape tape, ReadOnlySpan<double> targets)
    {
        var layer = network.Layers[^1];
        if (layer.Activation is not Identity)
            throw new InvalidOperationException($"softmax-cross-entropy applies the softmax itself: {layer.Name} must have activation 'identity', not '{layer.Activation.Name}'.");
        int L = network.Layers.Count;
        return Rows(tape.Z[L], targets, tape.Delta[L], layer.Outputs, tape.Batch);
    }

    /// <summary>The loss of <paramref name="batch"/> rows of <paramref name="classes"/> logits each against <paramref name="targets"/>,
    /// mean over the rows, and ∂loss/∂z = (softmax(z) − y)/B into <paramref name="gradient"/> (every model with a softmax output
    /// uses this one definition).</summary>
    public static double Rows(ReadOnlySpan<double> logits, ReadOnlySpan<double> targets, Span<double> gradient, int classes, int batch)
    {
        int k = classes;
        double loss = 0, inv = 1.0 / batch;
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<double> z = logits.Slice(r * k, k), y = targets.Slice(r * k, k);
            Span<double> delta = gradient.Slice(r * k, k);
            double max = double.NegativeInfinity;
            for (int j = 0; j < k; j++) max = Math.Max(max, z[j]);
            double s = 0;
            for (int j = 0; j < k; j++) s += Math.Exp(z[j] - max);
            double logS = Math.Log(s) + max;
            for (int j = 0; j < k; j++)
            {
                double logP = z[j] - logS;
                if (y[j] != 0) loss -= y[j] * logP;
                delta[j] = (Math.Exp(logP) - y[j]) * inv;
            }
        }
        return loss * inv;
    }
}
