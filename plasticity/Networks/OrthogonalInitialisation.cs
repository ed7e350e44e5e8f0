using BioSim.Plasticity.Rules;

namespace BioSim.Plasticity.Networks;

/// <summary>Random orthogonal W, b = 0 (square layers only), as GAIT-prop's published runs start
/// (<see cref="GaitProp.InitialiseOrthogonal"/>).</summary>
public sealed class OrthogonalInitialisation : IWeightInitialisation
{
    /// <inheritdoc/>
    public string Description => "square layers; zero biases";

    /// <inheritdoc/>
    public void Initialise(Network network, ulong seed) => GaitProp.InitialiseOrthogonal(network, seed);

    /// <inheritdoc/>
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
