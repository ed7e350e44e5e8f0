namespace BioSim.Engine.NeuralOde;

/// <summary>
/// Backpropagation through the solver, the reference: the forward pass records the field's tape at every stage
/// of every step (N · s · L doubles), the backward pass applies the chain rule to each step in reverse.
/// </summary>
public sealed class BackpropThroughSolver : DiscreteGradientMethod
{
    private double[] _tapes = [];

    /// <inheritdoc/>
    public override string Name => "backprop";

    private protected override long Prepare(RungeKuttaStages stages, int steps)
    {
        _tapes = new double[(long)steps * stages.Stages * stages.TapeLength];
        return _tapes.LongLength;
    }

    private protected override void Forward(RungeKuttaStages stages, IParametricVectorField field, int step, double t, ReadOnlySpan<double> x, double h, Span<double> next)
    {
        int size = stages.Stages * stages.TapeLength;
        stages.Step(field, t, x, h, next, _tapes.AsSpan(step * size, size));
    }

    private protected override void Backward(RungeKuttaStages stages, IParametricVectorField field, int step, double t, double h, Span<double> lambda, Span<double> parameterGradient)
    {
        int size = stages.Stages * stages.TapeLength;
        stages.Backpropagate(field, h, _tapes.AsSpan(step * size, size), lambda, parameterGradient);
    }
}
