using BioSim.Engine.Random;
using BioSim.Plasticity.Rules;

namespace BioSim.Plasticity.Networks;

/// <summary>
/// How a network's initial weights are drawn from a seed: the same seed gives the same bits. Registered by name in the
/// catalogue ("pytorch", "orthogonal", "xavier-uniform", "distribution"); comparison files name one in "init".
/// </summary>
public interface IWeightInitialisation
{
    /// <summary>What the initialisation draws, for messages ("U[±1/√n_in] for W and b").</summary>
    string Description { get; }

    /// <summary>Sets every layer's W (and b) from streams keyed by <paramref name="seed"/>.</summary>
    void Initialise(Network network, ulong seed);

    /// <summary>Null when the layer sizes suit this initialisation; otherwise the problem and its fix.</summary>
    /// <param name="inputs">The network's input width.</param>
    /// <param name="layers">Sizes of the layers above the input.</param>
    string? Check(int inputs, IReadOnlyList<int> layers) => null;
}

/// <summary>PyTorch's default for linear layers: W and b ~ U[±1/√n_in] (<see cref="Network.Initialise(ulong)"/>).</summary>
public sealed class PyTorchDefaultInitialisation : IWeightInitialisation
{
    public string Description => "U[±1/√n_in] for W and b";

    public void Initialise(Network network, ulong seed) => network.Initialise(seed);
}

/// <summary>Random orthogonal W, b = 0 (square layers only), as GAIT-prop's published runs start
/// (<see cref="GaitProp.InitialiseOrthogonal"/>).</summary>
public sealed class OrthogonalInitialisation : IWeightInitialisation
{
    public string Description => "square layers; zero biases";

    public void Initialise(Network network, ulong seed) => GaitProp.InitialiseOrthogonal(network, seed);

    public string? Check(int inputs, IReadOnlyList<int> layers)
    {
        int width = inputs;
        for (int l = 0; l < layers.Count; l++)
        {
            if (layers[l] != width)
                return $"\"orthogonal\" needs square layers, but layer {l + 1} maps {width} → {layers[l]}; make every layer {inputs} wide or choose another init";
            width = layers[l];
        }
        return null;
    }
}

/// <summary>Xavier-uniform W ~ U[±√(6/(n_in + n_out))], b = 0: the correlative infomax code's start.</summary>
public sealed class XavierUniformInitialisation : IWeightInitialisation
{
    public string Description => "U[±√(6/(n_in + n_out))]; zero biases";

    public void Initialise(Network network, ulong seed)
    {
        foreach (var layer in network.Layers)
        {
            double a = Math.Sqrt(6.0 / (layer.Inputs + layer.Outputs));
            network.Initialise(layer, new UniformDistribution(-a, a), seed, new ConstantDistribution(0));
        }
    }
}

/// <summary>Every W from the law <see cref="Law"/> (a comparison file's <c>"init": {"normal": [0, 0.1]}</c>); b as
/// <see cref="Network.Initialise(DenseLayer, Distribution, ulong, Distribution?)"/> sets it.</summary>
public sealed class DistributionInitialisation : IWeightInitialisation
{
    /// <summary>The law of every weight (default N(0, 0.1²) until a file gives one).</summary>
    public Distribution Law { get; set; } = new NormalDistribution(0, 0.1);

    public string Description => $"W ~ {Law}";

    public void Initialise(Network network, ulong seed)
    {
        foreach (var layer in network.Layers) network.Initialise(layer, Law, seed);
    }
}
