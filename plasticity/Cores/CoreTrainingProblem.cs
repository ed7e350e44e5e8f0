using BioSim.Engine.Simulation;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Training;

namespace BioSim.Plasticity.Cores;

/// <summary>
/// A core network trained as probabilities on a classification set, as the one <see cref="TrainingLoop"/> sees it: a step
/// gathers the minibatch, takes the loss and exact gradient of the Gaussian-approximation network, lets the optimiser (Adam
/// in pytruenorth and here by default) update the connection probabilities and leaks, and clips them into [0, 1] and
/// [−255, 255]; evaluation is the probabilistic ("shadow") network's loss and accuracy on the held-out set. The optimiser's
/// moments are checkpointable (<see cref="IStateful"/>), with the parameters.
/// </summary>
public sealed class CoreTrainingProblem : ITrainingProblem, IStateful
{
    private readonly ProbabilisticCoreNetwork _network;
    private readonly Dataset _train;
    private readonly Dataset? _test;
    private readonly ElementwiseOptimiser _optimiser;
    private double[] _inputs = [], _targets = [];
    private int[] _labels = [];

    /// <param name="network">The network (initialised).</param>
    /// <param name="train">Training set (labels; inputs in [0, 1] read as spike probabilities).</param>
    /// <param name="test">Held-out set, or null.</param>
    /// <param name="optimiser">The optimiser; prepared here for the network's parameter vector.</param>
    public CoreTrainingProblem(ProbabilisticCoreNetwork network, Dataset train, Dataset? test, ElementwiseOptimiser optimiser)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(optimiser);
        if (!train.IsClassification || train.InputSize != network.InputSize || train.OutputSize != network.Classes)
        {
            throw new ArgumentException($"The training set '{train.Name}' must have class labels, {network.InputSize} inputs and {network.Classes} classes.", nameof(train));
        }
        _network = network;
        _train = train;
        _test = test;
        _optimiser = optimiser;
        _optimiser.Prepare(network.Parameters.Length);
    }

    /// <inheritdoc/>
    public int Samples => _train.Count;

    /// <inheritdoc/>
    public double Step(ReadOnlySpan<int> batch)
    {
        Gather(_train, batch);
        double loss = _network.LossAndGradient(_inputs.AsSpan(0, batch.Length * _train.InputSize), _labels.AsSpan(0, batch.Length));
        _optimiser.Step(_network.Parameters, _network.Gradient);
        _network.Clip();
        return loss;
    }

    private void Gather(Dataset data, ReadOnlySpan<int> batch)
    {
        if (_inputs.Length < batch.Length * data.InputSize)
        {
            _inputs = new double[batch.Length * data.InputSize];
            _targets = new double[batch.Length * data.OutputSize];
            _labels = new int[batch.Length];
        }
        data.Gather(batch, _inputs, _targets);
        for (int r = 0; r < batch.Length; r++) _labels[r] = data.Labels![batch[r]];
    }

    /// <inheritdoc/>
    public Divergence? Diagnose(double loss, double limit)
    {
        if (!double.IsFinite(loss) || loss > limit) return new Divergence("loss", $"the loss is {loss}");
        foreach (var core in _network.Layers.SelectMany(l => l))
        {
            foreach (double p in _network.Parameters.AsSpan(core.Offset, core.ParameterCount))
            {
                if (!double.IsFinite(p)) return new Divergence($"core at parameter {core.Offset}", "non-finite connection probabilities or leaks");
            }
        }
        return null;
    }

    /// <inheritdoc/>
    public (double Loss, double Accuracy) Evaluate() => _test is null ? (double.NaN, double.NaN) : Evaluate(_test, 1000);

    /// <summary>The probabilistic network's mean loss and accuracy on <paramref name="data"/>, in batches.</summary>
    public (double Loss, double Accuracy) Evaluate(Dataset data, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(data);
        double loss = 0;
        int correct = 0;
        var indices = new int[batchSize];
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, data.Count - start);
            for (int r = 0; r < n; r++) indices[r] = start + r;
            Gather(data, indices.AsSpan(0, n));
            _network.Forward(_inputs.AsSpan(0, n * data.InputSize), n);
            var scores = _network.Scores;
            int classes = _network.Classes;
            for (int r = 0; r < n; r++)
            {
                var z = scores.Slice(r * classes, classes);
                double max = double.NegativeInfinity;
                int best = 0;
                for (int k = 0; k < classes; k++)
                {
                    if (z[k] > max) { max = z[k]; best = k; }
                }
                double sum = 0;
                for (int k = 0; k < classes; k++) sum += Math.Exp(z[k] - max);
                loss += Math.Log(sum) + max - z[_labels[r]];
                if (best == _labels[r]) correct++;
            }
        }
        return (loss / data.Count, (double)correct / data.Count);
    }

    /// <inheritdoc/>
    public void ScaleRates(double factor) => _optimiser.RateScale = factor;

    /// <inheritdoc/>
    public void SaveState(StateSnapshot snapshot, string prefix)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        snapshot.Put(prefix + "parameters", _network.Parameters);
        _optimiser.SaveState(snapshot, prefix + "optimiser/");
    }

    /// <inheritdoc/>
    public void LoadState(StateSnapshot snapshot, string prefix)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        snapshot.Get(prefix + "parameters", _network.Parameters);
        _optimiser.LoadState(snapshot, prefix + "optimiser/");
    }
}
