namespace BioSim.Engine.NeuralOde;

/// <summary>
/// Computes the loss of a trajectory and its gradient with respect to the parameters θ and the initial state.
/// </summary>
public interface IGradientMethod
{
    /// <summary>Name used in experiment files and reports, e.g. "symplectic-adjoint".</summary>
    string Name { get; }

    /// <summary>
    /// Adds ∂loss/∂θ to <paramref name="parameterGradient"/> (length P) and writes ∂loss/∂x0 into
    /// <paramref name="initialStateGradient"/> (length d, or empty to skip).
    /// </summary>
    GradientResult Compute(IParametricVectorField field, TrajectoryProblem problem, Span<double> parameterGradient, Span<double> initialStateGradient);
}
