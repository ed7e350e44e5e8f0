namespace BioSim.Engine.NeuralOde;

/// <summary>A loss on the states at the observation times.</summary>
public interface ITrajectoryLoss
{
    /// <summary>Returns the loss term of observation <paramref name="index"/> at state <paramref name="x"/> and
    /// writes its gradient ∂ℓ/∂x into <paramref name="gradient"/> (overwritten).</summary>
    double Evaluate(int index, ReadOnlySpan<double> x, Span<double> gradient);
}
