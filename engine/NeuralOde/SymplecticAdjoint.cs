namespace BioSim.Engine.NeuralOde;

/// <summary>
/// The symplectic adjoint method (Matsubara, Miyatake and Yaguchi, "Symplectic Adjoint Method for Exact
/// Gradient of Neural ODE with Minimal Memory", NeurIPS 2021): the forward pass keeps only the state at each
/// step ((N + 1) · d doubles); the backward pass integrates the adjoint system with the Runge-Kutta method
/// paired with the forward tableau (B_i = b_i, A_ij = b_j − b_j a_ji / b_i), recomputing the stages of one
/// step and each stage's tape just before its vector-Jacobian product, so the memory beyond the checkpoints is
/// O(s) vectors and one tape. The pair is symplectic, λᵀδ is conserved, and the gradient equals that of the
/// discrete forward map (backprop through the same solver) to round-off, for fixed and replayed adaptive steps.
/// </summary>
public sealed class SymplecticAdjoint : DiscreteGradientMethod
{
    private double[] _states = [];

    /// <inheritdoc/>
    public override string Name => "symplectic-adjoint";

    private protected override long Prepare(RungeKuttaStages stages, int steps)
    {
        _states = new double[(long)steps * stages.Dimension];
        return _states.LongLength;
    }

    private protected override void Forward(RungeKuttaStages stages, IParametricVectorField field, int step, double t, ReadOnlySpan<double> x, double h, Span<double> next)
    {
        x.CopyTo(_states.AsSpan(step * stages.Dimension, stages.Dimension));
        stages.Step(field, t, x, h, next, default);
    }

    private protected override void Backward(RungeKuttaStages stages, IParametricVectorField field, int step, double t, double h, Span<double> lambda, Span<double> parameterGradient) =>
        stages.SymplecticAdjoint(field, t, _states.AsSpan(step * stages.Dimension, stages.Dimension), h, lambda, parameterGradient);
}
