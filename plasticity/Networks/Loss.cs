namespace BioSim.Plasticity.Networks;

/// <summary>
/// A loss over a minibatch, averaged over its rows. <see cref="Evaluate"/> returns the loss and writes
/// the output error δ_L = ∂L/∂z_L (batch × width) that every credit-assignment rule starts from.
/// </summary>
public interface ILoss
{
    string Name { get; }

    /// <summary>Loss of the tape's current minibatch against <paramref name="targets"/> (batch × <see cref="TargetWidth"/>); writes tape.Delta[L].</summary>
    double Evaluate(Network network, NetworkTape tape, ReadOnlySpan<double> targets);

    /// <summary>Targets per sample: the network's output width, unless the output layer has auxiliary units (see <see cref="MeanSquaredError"/>).</summary>
    int TargetWidth(Network network) => network.OutputSize;

    /// <summary>Whether the targets are class distributions (one-hot labels) and the output layer must be linear ("identity"),
    /// as for a loss that applies the softmax itself.</summary>
    bool NeedsClassLabels => false;

    /// <summary>This loss with targets for the first <paramref name="taskOutputs"/> output units only (the others are
    /// auxiliary units, see <see cref="MeanSquaredError"/>), or null when the loss has no auxiliary units.</summary>
    ILoss? WithTaskOutputs(int taskOutputs) => null;
}

/// <summary>
/// L = 1/(2B) Σ_rows ‖h_L − y‖², δ_L = (h_L − y) ⊙ f′(z_L) / B. With <see cref="TaskOutputs"/> = k, only
/// the first k output units have targets (y is batch × k); the others are auxiliary units whose target
/// is their own activity, so they add nothing to L and δ_L is zero there. GAIT-prop uses them to make the
/// output layer square (784 units of which the first 10 are the classes; Ahmad et al. 2020, official code).
/// </summary>
public sealed class MeanSquaredError(int? taskOutputs = null) : ILoss
{
    /// <summary>Output units with targets (the first k), or null for all of them.</summary>
    public int? TaskOutputs { get; } = taskOutputs is null or > 0 ? taskOutputs
        : throw new ArgumentOutOfRangeException(nameof(taskOutputs), taskOutputs, "taskOutputs must be positive.");

    public string Name => "mse";

    public ILoss? WithTaskOutputs(int taskOutputs) => new MeanSquaredError(taskOutputs);

    public int TargetWidth(Network network)
    {
        int k = TaskOutputs ?? network.OutputSize;
        if (k > network.OutputSize)
            throw new ArgumentException($"mse: {k} task outputs but {network.Layers[^1].Name} has only {network.OutputSize} units.", nameof(network));
        return k;
    }

    public double Evaluate(Network network, NetworkTape tape, ReadOnlySpan<double> targets)
    {
        var layer = network.Layers[^1];
        int L = network.Layers.Count, n = layer.Outputs, k = TargetWidth(network), count = tape.Batch * n;
        if (targets.Length < tape.Batch * k)
            throw new ArgumentException($"mse: {targets.Length} targets for {tape.Batch} rows of {k}.", nameof(targets));
        ReadOnlySpan<double> h = tape.H[L].AsSpan(0, count), z = tape.Z[L].AsSpan(0, count);
        Span<double> delta = tape.Delta[L].AsSpan(0, count), d = tape.Derivative.AsSpan(0, count);
        layer.Activation.Derivative(z, h, d);
        double sum = 0, inv = 1.0 / tape.Batch;
        for (int r = 0; r < tape.Batch; r++)
        {
            for (int j = 0; j < k; j++)
            {
                int i = r * n + j;
                double e = h[i] - targets[r * k + j];
                sum += e * e;
                delta[i] = e * d[i] * inv;
            }
            delta.Slice(r * n + k, n - k).Clear();
        }
        return 0.5 * sum * inv;
    }
}

/// <summary>
/// Softmax cross-entropy on the output layer's z (which must be linear, "identity"): p = softmax(z),
/// L = −1/B Σ_rows Σ_k y_k log p_k, δ_L = (p − y)/B. Targets are one-hot (or any distribution).
/// </summary>
public sealed class SoftmaxCrossEntropy : ILoss
{
    public string Name => "softmax-cross-entropy";

    public bool NeedsClassLabels => true;

    public double Evaluate(Network network, NetworkTape tape, ReadOnlySpan<double> targets)
    {
        var layer = network.Layers[^1];
        if (layer.Activation is not Identity)
            throw new InvalidOperationException($"softmax-cross-entropy applies the softmax itself: {layer.Name} must have activation 'identity', not '{layer.Activation.Name}'.");
        int L = network.Layers.Count, k = layer.Outputs;
        double loss = 0, inv = 1.0 / tape.Batch;
        for (int r = 0; r < tape.Batch; r++)
        {
            ReadOnlySpan<double> z = tape.Z[L].AsSpan(r * k, k), y = targets.Slice(r * k, k);
            Span<double> delta = tape.Delta[L].AsSpan(r * k, k);
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
