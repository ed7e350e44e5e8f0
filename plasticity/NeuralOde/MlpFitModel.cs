using BioSim.Engine.NeuralOde;
using BioSim.Engine.Numerics;
using BioSim.Engine.Plugins;

namespace BioSim.Plasticity.NeuralOde;

/// <summary>"mlp": an <see cref="MlpVectorField"/> d (+ t) → hidden → d, Glorot-uniform weights at gain 0.5 from the
/// model seed, zero biases; no input term and no constraint. The activation is resolved by name through the catalogue
/// (<see cref="PlasticityServiceCollectionExtensions.CreateActivation"/>).</summary>
public sealed class MlpFitModel(Catalogue catalogue) : IFitModel
{
    /// <inheritdoc/>
    public bool TakesInput => false;

    /// <inheritdoc/>
    public IParametricVectorField Create(int dimension, IInputSignal? input, FitModelSettings settings, IMatrixProduct product)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var field = new MlpVectorField(dimension, settings.Hidden, catalogue.CreateActivation(settings.Activation), settings.TimeInput, product);
        field.InitializeRandom(settings.Seed, gain: 0.5);
        return field;
    }

    /// <inheritdoc/>
    public Action<Span<double>>? Constraint(IParametricVectorField field, FitModelSettings settings) => null;

    /// <inheritdoc/>
    public IReadOnlyList<KeyValuePair<string, double[]>> Describe(IParametricVectorField field)
    {
        var mlp = (MlpVectorField)field;
        return [new("layer_sizes", [.. mlp.LayerSizes.Select(size => (double)size)])];
    }
}
