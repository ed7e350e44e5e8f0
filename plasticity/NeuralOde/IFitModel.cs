using BioSim.Engine.NeuralOde;
using BioSim.Engine.Numerics;

namespace BioSim.Plasticity.NeuralOde;

/// <summary>
/// A kind of model that <c>biosim fit</c> fits to trajectories, registered by name in the catalogue
/// (<c>services.AddPlugin&lt;IFitModel, MlpFitModel&gt;("mlp")</c>) and named by a fit file's <c>model.type</c>.
/// </summary>
public interface IFitModel
{
    /// <summary>Whether the model has an input term u(t) (trajectories with inputs need one).</summary>
    bool TakesInput { get; }

    /// <summary>The field to fit, with its initial parameters, for states of <paramref name="dimension"/> components.</summary>
    /// <param name="dimension">State dimension d of the trajectories.</param>
    /// <param name="input">The input u(t) the trajectories were driven by, or null.</param>
    /// <param name="settings">The fit file's model settings.</param>
    /// <param name="product">The matrix product for dense layers.</param>
    IParametricVectorField Create(int dimension, IInputSignal? input, FitModelSettings settings, IMatrixProduct product);

    /// <summary>The projection applied after every optimiser step (e.g. τ ≥ min τ), or null for none.</summary>
    Action<Span<double>>? Constraint(IParametricVectorField field, FitModelSettings settings);

    /// <summary>Named parameter blocks to report beside the flat parameter vector (W, U, b, tau; layer sizes).</summary>
    IReadOnlyList<KeyValuePair<string, double[]>> Describe(IParametricVectorField field);
}
