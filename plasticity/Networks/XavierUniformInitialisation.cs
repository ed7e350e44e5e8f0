using BioSim.Engine.Random;

namespace BioSim.Plasticity.Networks;

/// <summary>Xavier-uniform W ~ U[±√(6/(n_in + n_out))], b = 0: the correlative infomax code's start.</summary>
public sealed class XavierUniformInitialisation : IWeightInitialisation
{
    /// <inheritdoc/>
    public string Description => "U[±√(6/(n_in + n_out))]; zero biases";

    /// <inheritdoc/>
    public void Initialise(Network network, ulong seed)
    {
        foreach (var layer in network.Layers)
        {
            double a = Math.Sqrt(6.0 / (layer.Inputs + layer.Outputs));
            network.Initialise(layer, new UniformDistribution(-a, a), seed, new ConstantDistribution(0));
        }
    }
}
