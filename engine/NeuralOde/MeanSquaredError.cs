namespace BioSim.Engine.NeuralOde;

/// <summary>Mean squared error (1 / (M d)) Σ_k Σ_i (x_i(t_k) − y_ki)² against targets y (M × d, row-major),
/// optionally only on the first <c>observed</c> components.</summary>
public sealed class MeanSquaredError : ITrajectoryLoss
{
    private readonly double[] _targets;
    private readonly int _dimension, _observed;
    private readonly double _scale;

    /// <summary>Creates the loss for <paramref name="observations"/> rows of <paramref name="dimension"/> targets.</summary>
    public MeanSquaredError(double[] targets, int observations, int dimension, int? observed = null)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Length != observations * dimension)
            throw new ArgumentException($"targets has {targets.Length} values, expected observations × dimension = {observations * dimension}.", nameof(targets));
        _targets = targets;
        _dimension = dimension;
        _observed = observed ?? dimension;
        _scale = 1.0 / (observations * _observed);
    }

    /// <inheritdoc/>
    public double Evaluate(int index, ReadOnlySpan<double> x, Span<double> gradient)
    {
        double sum = 0;
        ReadOnlySpan<double> y = _targets.AsSpan(index * _dimension, _dimension);
        gradient.Clear();
        for (int i = 0; i < _observed; i++)
        {
            double r = x[i] - y[i];
            sum += r * r;
            gradient[i] = 2 * _scale * r;
        }
        return _scale * sum;
    }
}
