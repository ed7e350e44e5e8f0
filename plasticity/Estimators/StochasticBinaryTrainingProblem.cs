using BioSim.Engine.Random;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Training;

namespace BioSim.Plasticity.Estimators;

/// <summary>
/// A <see cref="StochasticBinaryNetwork"/> on a regression set as the one <see cref="TrainingLoop"/> sees it: a step samples
/// the hidden units of the minibatch (from the stream (seed, "estimators", "hidden"), advanced step by step), takes the
/// estimator's gradient and lets the optimiser update the parameters; evaluation is the exact expected loss E_z[ℓ] on the
/// held-out set (2^H configurations per sample; accuracy NaN, a regression).
/// </summary>
public sealed class StochasticBinaryTrainingProblem : ITrainingProblem
{
    private readonly StochasticBinaryNetwork _network;
    private readonly Dataset _train;
    private readonly Dataset? _test;
    private readonly IDiscreteGradientEstimator? _estimator;
    private readonly int _samples;
    private readonly ElementwiseOptimiser _optimiser;
    private RandomStream _stream;
    private double[] _inputs = [], _targets = [];

    /// <param name="network">The network (initialised).</param>
    /// <param name="train">Training set (targets, m per sample).</param>
    /// <param name="test">Held-out set, or null.</param>
    /// <param name="estimator">A pathwise estimator, or null for the score-function estimator with leave-one-out baselines.</param>
    /// <param name="optimiser">The optimiser; prepared here for the parameter vector.</param>
    /// <param name="seed">Seed of the hidden units' samples.</param>
    /// <param name="samples">Samples per input of the score-function estimator (≥ 2).</param>
    public StochasticBinaryTrainingProblem(StochasticBinaryNetwork network, Dataset train, Dataset? test, IDiscreteGradientEstimator? estimator,
        ElementwiseOptimiser optimiser, ulong seed, int samples = 2)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(optimiser);
        if (train.IsClassification || train.InputSize != network.Inputs || train.OutputSize != network.Outputs)
        {
            throw new ArgumentException($"The training set '{train.Name}' must be a regression set with {network.Inputs} inputs and {network.Outputs} targets.", nameof(train));
        }
        if (estimator is null && samples < 2) throw new ArgumentOutOfRangeException(nameof(samples), samples, "the score-function estimator needs at least 2 samples per input");
        (_network, _train, _test, _estimator, _optimiser, _samples) = (network, train, test, estimator, optimiser, samples);
        _stream = new RandomStream(seed, "estimators", "hidden");
        _optimiser.Prepare(network.Parameters.Length);
    }

    /// <inheritdoc/>
    public int Samples => _train.Count;

    /// <inheritdoc/>
    public double Step(ReadOnlySpan<int> batch)
    {
        Gather(_train, batch);
        double loss = _network.LossAndGradient(_inputs.AsSpan(0, batch.Length * _train.InputSize), _targets.AsSpan(0, batch.Length * _train.OutputSize),
            _estimator, ref _stream, _samples);
        _optimiser.Step(_network.Parameters, _network.Gradient);
        return loss;
    }

    private void Gather(Dataset data, ReadOnlySpan<int> batch)
    {
        if (_inputs.Length < batch.Length * data.InputSize) _inputs = new double[batch.Length * data.InputSize];
        if (_targets.Length < batch.Length * data.OutputSize) _targets = new double[batch.Length * data.OutputSize];
        data.Gather(batch, _inputs.AsSpan(0, batch.Length * data.InputSize), _targets.AsSpan(0, batch.Length * data.OutputSize));
    }

    /// <inheritdoc/>
    public Divergence? Diagnose(double loss, double limit)
    {
        if (!double.IsFinite(loss) || loss > limit) return new Divergence("the loss", $"the loss became {loss}");
        return _network.Parameters.All(double.IsFinite) ? null : new Divergence("the parameters", "a parameter became non-finite");
    }

    /// <inheritdoc/>
    public (double Loss, double Accuracy) Evaluate()
    {
        if (_test is null) return (double.NaN, double.NaN);
        var all = Enumerable.Range(0, _test.Count).ToArray();
        Gather(_test, all);
        return (_network.ExpectedLoss(_inputs.AsSpan(0, all.Length * _test.InputSize), _targets.AsSpan(0, all.Length * _test.OutputSize)), double.NaN);
    }

    /// <inheritdoc/>
    public void ScaleRates(double factor) => _optimiser.RateScale = factor;
}
