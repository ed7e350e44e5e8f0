using BioSim.Engine.Numerics;

namespace BioSim.Plasticity.Visualisation;

/// <summary>
/// A "model neuron" in the sense of Lappe et al. (NeurIPS 2024, "Parallel Backpropagation for Shared-Feature
/// Visualization"): a linear readout r̂(x) = b + wᵀ h_l(x) of the activations h_l of one hidden layer of a network, fitted to a
/// neuron's responses on the images of one category only. The fit is ridge regression with an intercept: features and
/// responses are centred on their means over the fitting images, and w solves (X_cᵀX_c + λI) w = X_cᵀ y_c with the relative
/// ridge λ = <see cref="Ridge"/> · tr(X_cᵀX_c)/d (so the penalty does not depend on the scale of the features), by Cholesky
/// factorisation; b = ȳ − wᵀx̄.
/// </summary>
/// <param name="Layer">l, the layer whose activations h_l the readout reads (1 = the first hidden layer).</param>
/// <param name="Weights">w, one weight per unit of layer l.</param>
/// <param name="Bias">b, the intercept.</param>
/// <param name="Ridge">the relative ridge the readout was fitted with.</param>
public sealed record ModelNeuron(int Layer, double[] Weights, double Bias, double Ridge)
{
    /// <summary>Width of layer l (the length of <see cref="Weights"/>).</summary>
    public int Width => Weights.Length;

    /// <summary>r̂ = b + wᵀh for one row of layer-l activations.</summary>
    public double Response(ReadOnlySpan<double> features)
    {
        if (features.Length != Weights.Length) throw new ArgumentException($"The readout has {Weights.Length} weights but the row has {features.Length} values.", nameof(features));
        return Bias + System.Numerics.Tensors.TensorPrimitives.Dot(features, Weights);
    }

    /// <summary>
    /// The ridge readout of <paramref name="rows"/> rows of layer-<paramref name="layer"/> activations
    /// (<paramref name="features"/>, rows × width, row-major) to <paramref name="responses"/> (see the class summary).
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two rows, lengths that do not match, a negative ridge, or a system the
    /// ridge leaves singular (the message says to raise it).</exception>
    public static ModelNeuron Fit(int layer, ReadOnlySpan<double> features, int rows, ReadOnlySpan<double> responses, double ridge, IMatrixProduct product)
    {
        ArgumentNullException.ThrowIfNull(product);
        if (rows < 2) throw new ArgumentException($"A readout needs at least 2 fitting images (got {rows}).", nameof(rows));
        if (responses.Length != rows) throw new ArgumentException($"{rows} rows but {responses.Length} responses.", nameof(responses));
        if (features.Length % rows != 0) throw new ArgumentException($"{features.Length} feature values are not {rows} whole rows.", nameof(features));
        if (!(ridge >= 0) || !double.IsFinite(ridge)) throw new ArgumentException($"The relative ridge must be finite and ≥ 0 (got {ridge}).", nameof(ridge));
        int d = features.Length / rows;
        var mean = new double[d];
        for (int r = 0; r < rows; r++)
            System.Numerics.Tensors.TensorPrimitives.Add(mean, features.Slice(r * d, d), mean);
        System.Numerics.Tensors.TensorPrimitives.Multiply(mean, 1.0 / rows, mean);
        double meanResponse = 0;
        foreach (double y in responses) meanResponse += y;
        meanResponse /= rows;
        var centred = new double[rows * d];
        var y0 = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            System.Numerics.Tensors.TensorPrimitives.Subtract(features.Slice(r * d, d), mean, centred.AsSpan(r * d, d));
            y0[r] = responses[r] - meanResponse;
        }
        var gram = new double[d * d];
        product.Multiply(true, false, d, d, rows, 1.0, centred, centred, 0.0, gram);
        var rhs = new double[d];
        product.Multiply(true, false, d, 1, rows, 1.0, centred, y0, 0.0, rhs);
        double trace = 0;
        for (int i = 0; i < d; i++) trace += gram[i * d + i];
        double lambda = ridge * trace / d;
        for (int i = 0; i < d; i++) gram[i * d + i] += lambda;
        if (!CholeskySolve(gram, d, rhs))
            throw new ArgumentException($"The ridge system of layer {layer} ({rows} images × {d} units, relative ridge {ridge:G3}) is singular to working precision; raise the ridge.", nameof(ridge));
        double bias = meanResponse - System.Numerics.Tensors.TensorPrimitives.Dot(rhs, mean);
        return new ModelNeuron(layer, rhs, bias, ridge);
    }

    /// <summary>Solves A x = b in place (b ← x) for a symmetric positive definite row-major n×n A (overwritten by its
    /// Cholesky factor); false when A is not positive definite to working precision.</summary>
    private static bool CholeskySolve(double[] a, int n, double[] b)
    {
        for (int j = 0; j < n; j++)
        {
            double diagonal = a[j * n + j];
            for (int k = 0; k < j; k++) diagonal -= a[j * n + k] * a[j * n + k];
            if (!(diagonal > 0) || !double.IsFinite(diagonal)) return false;
            double l = Math.Sqrt(diagonal);
            a[j * n + j] = l;
            for (int i = j + 1; i < n; i++)
            {
                double s = a[i * n + j];
                for (int k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
                a[i * n + j] = s / l;
            }
        }
        // L y = b, then Lᵀ x = y.
        for (int i = 0; i < n; i++)
        {
            double s = b[i];
            for (int k = 0; k < i; k++) s -= a[i * n + k] * b[k];
            b[i] = s / a[i * n + i];
        }
        for (int i = n - 1; i >= 0; i--)
        {
            double s = b[i];
            for (int k = i + 1; k < n; k++) s -= a[k * n + i] * b[k];
            b[i] = s / a[i * n + i];
        }
        return true;
    }
}
