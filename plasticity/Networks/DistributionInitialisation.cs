using BioSim.Engine.Random;

namespace BioSim.Plasticity.Networks;

/// <summary>Every W from the law <see cref="Law"/> (a comparison file's <c>"init": {"normal": [0, 0.1]}</c>); b as
/// <see cref="Network.Initialise(DenseLayer, Distribution, ulong, Distribution?)"/> sets it.</summary>
public sealed class DistributionInitialisation : IWeightInitialisation
{
    /// <summary>The law of every weight (default N(0, 0.1²) until a file gives one).</summary>
    public Distribution Law { get; set; } = new NormalDistribution(0, 0.1);

    /// <inheritdoc/>
    public string Description => $"W ~ {Law}";

    /// <inheritdoc/>
    public void Initialise(Network network, ulong seed)
    {
        foreach (var layer in network.Layers) network.Initialise(layer, Law, seed);
    }
}
