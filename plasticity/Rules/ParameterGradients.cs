using BioSim.Plasticity.Networks;

namespace BioSim.Plasticity.Rules;

/// <summary>One update array per weight matrix and bias vector, shaped like the network's.</summary>
public sealed class ParameterGradients
{
    /// <summary>Zeroed arrays shaped like <paramref name="network"/>'s weights and biases.</summary>
    public ParameterGradients(Network network)
    {
        Weights = [.. network.Layers.Select(l => new double[l.Weights.Length])];
        Bias = [.. network.Layers.Select(l => l.Bias is null ? null : new double[l.Bias.Length])];
    }

    /// <summary>Weights[l − 1]: the update of W_l, row-major Outputs × Inputs.</summary>
    public double[][] Weights { get; }

    /// <summary>Bias[l − 1]: the update of b_l; null where layer l has no bias.</summary>
    public double[]?[] Bias { get; }
}
