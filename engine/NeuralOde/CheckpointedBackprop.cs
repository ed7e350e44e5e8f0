namespace BioSim.Engine.NeuralOde;

/// <summary>
/// Checkpointing: the forward pass keeps only the state at each step ((N + 1) · d doubles); the backward pass
/// recomputes one step at a time with its tapes (s · L doubles) and backpropagates through it.
/// </summary>
public sealed class CheckpointedBackprop : DiscreteGradientMethod
{
    private double[] _states = [];
    private double[] _stepTapes = [];
    private double[] _scratch = [];

    /// <inheritdoc/>
    public override string Name => "checkpoint";

    private protected override long Prepare(RungeKuttaStages stages, int steps)
    {
        _states = new double[(long)steps * stages.Dimension];
        _stepTapes = new double[stages.Stages * stages.TapeLength];
        _scratch = new double[stages.Dimension];
        return _states.LongLength + _stepTapes.Length;
    }

    private protected override void Forward(RungeKuttaStages stages, IParametricVectorField field, int step, double t, ReadOnlySpan<double> x, double h, Span<double> next)
    {
        x.CopyTo(_states.AsSpan(step * stages.Dimension, stages.Dimension));
        stages.Step(field, t, x, h, next, default);
    }

    private protected override void Backward(RungeKuttaStages stages, IParametricVectorField field, int step, double t, double h, Span<double> lambda, Span<double> parameterGradient)
    {
        stages.Step(field, t, _states.AsSpan(step * stages.Dimension, stages.Dimension), h, _scratch, _stepTapes);
        stages.Backpropagate(field, h, _stepTapes, lambda, parameterGradient);
    }
}
