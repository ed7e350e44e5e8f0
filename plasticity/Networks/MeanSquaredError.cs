namespace BioSim.Plasticity.Networks;

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

    /// <inheritdoc/>
    public string Name => "mse";

    /// <inheritdoc/>
    public ILoss? WithTaskOutputs(int taskOutputs) => new MeanSquaredError(taskOutputs);

    /// <inheritdoc/>
    public int TargetWidth(Network network)
    {
        int k = TaskOutputs ?? network.OutputSize;
        if (k > network.OutputSize)
            throw new ArgumentException($"mse: {k} task outputs but {network.Layers[^1].Name} has only {network.OutputSize} units.", nameof(network));
        return k;
    }

    /// <inheritdoc/>
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
