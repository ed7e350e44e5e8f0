using System.Numerics;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;

namespace BioSim.Plasticity.Training;

/// <summary>How a <see cref="Trainer"/> runs.</summary>
public sealed record TrainingOptions
{
    /// <summary>Passes over the training set (default 1).</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Samples per minibatch (default 32); the last batch of an epoch may be smaller.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Seed of the data order: epoch e is a Fisher-Yates permutation from stream (seed, "trainer", "order") element e.</summary>
    public ulong Seed { get; init; }

    /// <summary>Whether to shuffle (default true); false keeps the stored order.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>A minibatch loss above this (or not finite) stops the run as diverged (default 1e10).</summary>
    public double DivergenceLoss { get; init; } = 1e10;

    /// <summary>Rows per forward pass when evaluating (default 1000).</summary>
    public int EvaluationBatch { get; init; } = 1000;

    /// <summary>The first epoch to run (default 1): a run continued from a checkpoint taken after epoch e starts at e + 1 with the same data order it would have had.</summary>
    public int FirstEpoch { get; init; } = 1;

    /// <summary>Called after every minibatch with (epoch, batch, loss), e.g. for progress or to stop on cancellation by throwing.</summary>
    public Action<int, int, double>? BatchCompleted { get; init; }

    /// <summary>Called after every epoch with its numbers (the hook for checkpoints and curves).</summary>
    public Action<EpochResult>? EpochCompleted { get; init; }

    /// <summary>A factor on every learning rate per epoch or per step (none: the rates stay as they are).</summary>
    public ITrainingSchedule? Schedule { get; init; }

    /// <summary>Stop after this many steps over the whole run (counted from epoch 1), possibly inside an epoch; null: run every epoch.</summary>
    public long? MaxSteps { get; init; }

    /// <summary>Whether to evaluate on the held-out data after every epoch (default true).</summary>
    public bool Evaluate { get; init; } = true;

    /// <summary>Checked before every step.</summary>
    public CancellationToken Cancellation { get; init; }

    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be at least 1.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 1.");
        if (EvaluationBatch < 1) throw new ArgumentOutOfRangeException(nameof(EvaluationBatch), EvaluationBatch, "EvaluationBatch must be at least 1.");
        if (FirstEpoch < 1 || FirstEpoch > Epochs) throw new ArgumentOutOfRangeException(nameof(FirstEpoch), FirstEpoch, $"FirstEpoch must lie in [1, Epochs = {Epochs}].");
        if (MaxSteps is < 1) throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, "MaxSteps must be at least 1.");
    }
}

/// <summary>One epoch's numbers. Accuracy is NaN for regression; test values are NaN without a test set.</summary>
public sealed record EpochResult(int Epoch, double TrainLoss, double TestLoss, double TestAccuracy);

/// <summary>The learning curves so far.</summary>
public sealed class TrainingHistory
{
    public List<EpochResult> Epochs { get; } = [];

    /// <summary>Loss of every minibatch in order.</summary>
    public List<double> BatchLosses { get; } = [];
}

/// <summary>A run stopped because the loss or a weight became non-finite or exceeded the divergence limit.</summary>
public sealed class TrainingDivergedException(string message, int epoch, int batch, string layer, TrainingHistory history) : Exception(message)
{
    public int Epoch { get; } = epoch;

    public int Batch { get; } = batch;

    public string Layer { get; } = layer;

    /// <summary>The curves up to the failing batch.</summary>
    public TrainingHistory History { get; } = history;
}

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

    public Trainer(Network network, ICreditAssignmentRule rule, IOptimiser optimiser, ILoss loss, int maxBatch)
    {
        (Network, Rule, Optimiser, Loss) = (network, rule, optimiser, loss);
        _tape = network.CreateTape(maxBatch);
        _gradients = new ParameterGradients(network);
        _batchInputs = new double[maxBatch * network.InputSize];
        _batchTargets = new double[maxBatch * loss.TargetWidth(network)];
    }

    public Network Network { get; }
    public ICreditAssignmentRule Rule { get; }
    public IOptimiser Optimiser { get; }
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
