using BioSim.Engine.Simulation;
using BioSim.Plasticity.Networks;

namespace BioSim.Plasticity.Rules;

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
