using BioSim.Plasticity.Networks;

namespace BioSim.Plasticity.Rules;

/// <summary>The neural dynamics of <see cref="CorrelativeInfomax"/>: the Gauss-Seidel sweeps that settle the potentials
/// and rates of every layer (free and nudged phases), and the forward prediction errors the updates are made of.</summary>
public sealed partial class CorrelativeInfomax
{
    /// <summary>
    /// Runs <paramref name="iterations"/> Gauss-Seidel sweeps of the neural dynamics on u and h (layer l at index l − 1,
    /// batch rows), nudging the output towards <paramref name="y"/> with <paramref name="beta"/> (0: free).
    /// </summary>
    private void Settle(Network network, ReadOnlySpan<double> x, int batch, double[][] u, double[][] h, int iterations, double beta, ReadOnlySpan<double> y)
    {
        var product = network.Product;
        int L = _layers;
        double eps = Epsilon, inv = 1.0 / eps, g = Leak, gamma = (1 - Lambda) / Lambda;

        // Layer 1's basal drive (W₁x + b₁)/ε does not change during a phase: computed once.
        var first = network.Layers[0];
        Span<double> basal1 = _basal1.AsSpan(0, batch * first.Outputs);
        BasalDrive(network, first, x, batch, inv, basal1);

        for (int k = 0; k < iterations; k++)
        {
            double eta = Math.Max(NeuralRate / (k * NeuralRateDecay + 1.0), NeuralRateFloor);
            for (int l = 1; l <= L; l++)
            {
                var layer = network.Layers[l - 1];
                int n = layer.Outputs, count = batch * n;
                Span<double> drive = _drive[l - 1].AsSpan(0, count);
                Span<double> ul = u[l - 1].AsSpan(0, count), hl = h[l - 1].AsSpan(0, count);
                if (l == 1) basal1.CopyTo(drive);
                else BasalDrive(network, layer, h[l - 2].AsSpan(0, batch * layer.Inputs), batch, inv, drive);
                bool output = l == L;
                product.Multiply(false, true, batch, n, n, output ? gamma : 2 * gamma, hl, _lateral[l - 1], 1.0, drive);
                if (!output)
                {
                    int above = network.Layers[l].Outputs;
                    product.Multiply(false, true, batch, n, above, inv, h[l].AsSpan(0, batch * above), _feedback[l - 1], 1.0, drive);
                    double decay = g + 2 * inv;
                    for (int i = 0; i < count; i++) ul[i] += eta * (drive[i] - decay * ul[i] + g * hl[i]);
                }
                else
                {
                    double decay = g + inv + 1.0;
                    if (beta == 0)
                    {
                        for (int i = 0; i < count; i++) ul[i] += eta * (drive[i] - decay * ul[i] + g * hl[i]);
                    }
                    else
                    {
                        ReadOnlySpan<double> yl = y[..count];
                        for (int i = 0; i < count; i++) ul[i] += eta * (drive[i] - decay * ul[i] + g * hl[i] - beta * (hl[i] - yl[i]));
                    }
                }
                layer.Activation.Forward(ul, hl);
            }
        }
    }

    /// <summary>drive ← (H_prev Wᵀ + b)/ε.</summary>
    private static void BasalDrive(Network network, DenseLayer layer, ReadOnlySpan<double> previous, int batch, double inv, Span<double> drive)
    {
        int n = layer.Outputs;
        if (layer.Bias is { } bias)
        {
            for (int r = 0; r < batch; r++)
            {
                Span<double> row = drive.Slice(r * n, n);
                for (int j = 0; j < n; j++) row[j] = bias[j] * inv;
            }
        }
        network.Product.Multiply(false, true, batch, n, layer.Inputs, inv, previous, layer.Weights, layer.Bias is null ? 0.0 : 1.0, drive);
    }

    /// <summary>e ← h − (H_prev Wᵀ + b) for one layer.</summary>
    private static void ForwardError(Network network, DenseLayer layer, ReadOnlySpan<double> previous, ReadOnlySpan<double> rates, int batch, Span<double> e)
    {
        int n = layer.Outputs, count = batch * n;
        rates[..count].CopyTo(e);
        network.Product.Multiply(false, true, batch, n, layer.Inputs, -1.0, previous, layer.Weights, 1.0, e);
        if (layer.Bias is { } bias)
        {
            for (int r = 0; r < batch; r++)
            {
                Span<double> row = e.Slice(r * n, n);
                for (int j = 0; j < n; j++) row[j] -= bias[j];
            }
        }
    }
}
