using System.Numerics;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;

namespace BioSim.Plasticity.Training;

/// <summary>
/// Minibatch training of a <see cref="Network"/> with a credit-assignment rule, an optimiser and a loss, on the one
/// <see cref="TrainingLoop"/> (as a <see cref="NetworkTrainingProblem"/>). All buffers (tape, batch, gradients,
/// permutation) are allocated once; a step allocates nothing.
/// </summary>
public sealed class Trainer
{
    private readonly NetworkTape _tape;
    private readonly ParameterGradients _gradients;
    private readonly double[] _batchInputs;
    private readonly double[] _batchTargets;
    private NetworkTape? _evaluationTape;
    private double[] _evaluationInputs = [];
    private double[] _evaluationTargets = [];

    /// <summary>A trainer whose buffers take minibatches of up to <paramref name="maxBatch"/> rows.</summary>
    /// <param name="network">The network whose weights are trained.</param>
    /// <param name="rule">How the output error reaches each layer.</param>
    /// <param name="optimiser">How the updates are applied.</param>
    /// <param name="loss">The loss and its output error δ_L.</param>
    /// <param name="maxBatch">Most rows in a minibatch.</param>
    public Trainer(Network network, ICreditAssignmentRule rule, IOptimiser optimiser, ILoss loss, int maxBatch)
    {
        (Network, Rule, Optimiser, Loss) = (network, rule, optimiser, loss);
        _tape = network.CreateTape(maxBatch);
        _gradients = new ParameterGradients(network);
        _batchInputs = new double[maxBatch * network.InputSize];
        _batchTargets = new double[maxBatch * loss.TargetWidth(network)];
    }

    /// <summary>The network being trained.</summary>
    public Network Network { get; }
    /// <summary>The credit-assignment rule.</summary>
    public ICreditAssignmentRule Rule { get; }
    /// <summary>The optimiser.</summary>
    public IOptimiser Optimiser { get; }
    /// <summary>The loss.</summary>
    public ILoss Loss { get; }

    /// <summary>The tape of the last step (activations and the errors the rule assigned).</summary>
    public NetworkTape Tape => _tape;

    /// <summary>The updates of the last step.</summary>
    public ParameterGradients Gradients => _gradients;

    /// <summary>
    /// Multiplies every learning rate of the run by <paramref name="factor"/> (a <see cref="LearningRateSchedule"/>'s factor
    /// for the coming epoch), through one mechanism for every rule: a rule that applies rates of its own
    /// (<see cref="IRateScaledRule"/>, e.g. correlative infomax, whose RateScale covers its forward and feedback rates and
    /// so already scales the updates it hands to the optimiser) gets the factor and the optimiser keeps its rate; for every
    /// other rule the optimiser's rate is scaled (<see cref="IOptimiser.RateScale"/>). This is what the benchmark
    /// corinfomax-fashion does by hand (rule.RateScale = 0.95^e …, SGD rate 1 unscaled).
    /// </summary>
    public void ScaleRates(double factor)
    {
        if (!(factor > 0) || !double.IsFinite(factor)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "The rate factor must be positive and finite.");
        if (Rule is IRateScaledRule scaled)
        {
            scaled.RateScale = factor;
            Optimiser.RateScale = 1.0;
        }
        else Optimiser.RateScale = factor;
    }

    /// <summary>One step on <paramref name="batch"/> rows: forward, loss, rule, optimiser (then the rule's
    /// <see cref="IUpdateListener.AfterUpdate"/> if it has one). Returns the loss before the step.</summary>
    public double Step(ReadOnlySpan<double> inputs, ReadOnlySpan<double> targets, int batch)
    {
        Network.Forward(inputs, batch, _tape);
        if (Rule is IStochasticForwardRule stochastic) stochastic.Sample(Network, _tape, Loss, targets);
        double loss = Loss.Evaluate(Network, _tape, targets);
        if (Rule is IInferenceRule settling) settling.SetTargets(targets, batch);
        Rule.ComputeUpdates(Network, _tape, _gradients);
        Optimiser.Step(Network, _gradients);
        if (Rule is IUpdateListener listener) listener.AfterUpdate(Network);
        return loss;
    }

    /// <summary>Trains for options.Epochs epochs on the one <see cref="TrainingLoop"/>, evaluating on <paramref name="test"/> after each.</summary>
    public TrainingHistory Train(Dataset train, Dataset? test, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CheckShapes(train);
        if (test is not null) CheckShapes(test);
        if (options.BatchSize > _tape.MaxBatch)
            throw new ArgumentException($"BatchSize {options.BatchSize} exceeds the trainer's maximum batch {_tape.MaxBatch}.", nameof(options));
        return TrainingLoop.Run(new NetworkTrainingProblem(this, train, test, options.EvaluationBatch), options);
    }

    /// <summary>Gathers the rows <paramref name="batch"/> of <paramref name="data"/> into the trainer's buffers and takes one step.</summary>
    internal double Step(Dataset data, ReadOnlySpan<int> batch)
    {
        data.Gather(batch, _batchInputs, _batchTargets);
        return Step(_batchInputs, _batchTargets, batch.Length);
    }

    /// <summary>Mean loss and (for classification) the fraction of samples whose largest output is the label.</summary>
    public (double Loss, double Accuracy) Evaluate(Dataset data, int batchSize = 1000)
    {
        CheckShapes(data);
        if (_evaluationTape is null || _evaluationTape.MaxBatch < batchSize)
        {
            _evaluationTape = Network.CreateTape(batchSize);
            _evaluationInputs = new double[batchSize * Network.InputSize];
            _evaluationTargets = new double[batchSize * Loss.TargetWidth(Network)];
        }
        var indices = new int[batchSize];
        double loss = 0;
        int correct = 0, k = Loss.TargetWidth(Network), n = Network.OutputSize; // argmax over the task units, not auxiliary ones
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int b = Math.Min(batchSize, data.Count - start);
            for (int i = 0; i < b; i++) indices[i] = start + i;
            data.Gather(indices.AsSpan(0, b), _evaluationInputs, _evaluationTargets);
            Network.Forward(_evaluationInputs, b, _evaluationTape);
            if (Rule is IInferenceRule settling) settling.Infer(Network, _evaluationTape);
            loss += Loss.Evaluate(Network, _evaluationTape, _evaluationTargets) * b;
            if (data.Labels is { } labels)
            {
                ReadOnlySpan<double> z = _evaluationTape.Z[^1];
                for (int r = 0; r < b; r++)
                {
                    int best = 0;
                    for (int j = 1; j < k; j++) if (z[r * n + j] > z[r * n + best]) best = j;
                    if (best == labels[start + r]) correct++;
                }
            }
        }
        return (loss / data.Count, data.IsClassification ? (double)correct / data.Count : double.NaN);
    }

    private void CheckShapes(Dataset data)
    {
        if (data.InputSize != Network.InputSize)
            throw new ArgumentException($"Data set '{data.Name}' has {data.InputSize} inputs per sample but {Network.Layers[0].Name} takes {Network.InputSize}.");
        int width = Loss.TargetWidth(Network);
        if (data.OutputSize != width)
            throw new ArgumentException(width == Network.OutputSize
                ? $"Data set '{data.Name}' has {data.OutputSize} targets per sample but {Network.Layers[^1].Name} gives {Network.OutputSize}."
                : $"Data set '{data.Name}' has {data.OutputSize} targets per sample but the loss '{Loss.Name}' expects {width} (the first {width} units of {Network.Layers[^1].Name}; the rest are auxiliary).");
    }

    /// <summary>Null when the loss is within <paramref name="limit"/> and every weight is finite; otherwise the first
    /// layer with non-finite weights (or activations), or the output layer, and what went wrong.</summary>
    internal Divergence? Diagnose(double loss, double limit)
    {
        bool lossBad = !double.IsFinite(loss) || loss > limit;
        string? layer = null;
        string where = "";
        foreach (var l in Network.Layers)
        {
            if (!AllFinite(l.Weights) || (l.Bias is { } b && !AllFinite(b))) { layer = l.Name; where = $"first non-finite weights in {layer}"; break; }
        }
        if (!lossBad && layer is null) return null;
        if (layer is null)
        {
            for (int l = 1; l < _tape.H.Length && layer is null; l++)
            {
                if (!AllFinite(_tape.H[l].AsSpan(0, _tape.Batch * Network.Layers[l - 1].Outputs)))
                {
                    layer = Network.Layers[l - 1].Name;
                    where = $"first non-finite activations in {layer}";
                }
            }
        }
        if (layer is null)
        {
            layer = Network.Layers[^1].Name;
            where = $"weights and activations are finite; the error is at the output, {layer}";
        }
        string what = !double.IsFinite(loss) ? $"the loss became {loss}" : loss > limit ? $"the loss {loss:G4} exceeded the divergence limit {limit:G4}" : "a weight became non-finite";
        return new Divergence(layer, $"{what}; {where}");
    }

    /// <summary>
    /// True if every value is finite. Runs after every batch over all weights, so it is vectorised: x·0 is 0 for a
    /// finite x and NaN for ±∞ or NaN, and a NaN anywhere makes the sum of those products NaN.
    /// </summary>
    private static bool AllFinite(ReadOnlySpan<double> x)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var sum = Vector<double>.Zero;
            for (; i <= x.Length - Vector<double>.Count; i += Vector<double>.Count) sum += new Vector<double>(x[i..]) * Vector<double>.Zero;
            if (!Vector.EqualsAll(sum, Vector<double>.Zero)) return false;
        }
        for (; i < x.Length; i++) if (!double.IsFinite(x[i])) return false;
        return true;
    }
}
