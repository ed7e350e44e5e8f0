using BioSim.Plasticity.Data;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;

namespace BioSim.Plasticity.Networks.Token;

/// <summary>
/// Minibatch training of a <see cref="TokenModel"/> with softmax cross-entropy on the one <see cref="TrainingLoop"/>: backprop
/// (no rule, or <see cref="Backpropagation"/>) or a <see cref="ITokenModelRule"/> (stochastic backpropagation, a fresh keep
/// mask per step), and an element-wise optimiser on the flat parameter vector. Buffers are allocated once; a step allocates
/// only the keep mask's two token lists.
/// </summary>
public sealed class TokenTrainer : ITrainingProblem
{
    private readonly TokenTape _tape;
    private readonly double[] _gradient;
    private readonly double[] _inputs;
    private readonly double[] _targets;
    private Dataset? _train;
    private Dataset? _test;
    private int _evaluationBatch = 1000;

    /// <summary>A trainer for batches of up to <paramref name="maxBatch"/> images; <paramref name="rule"/> null is backprop.
    /// The optimiser is prepared here for the model's parameter count.</summary>
    public TokenTrainer(TokenModel model, ITokenModelRule? rule, ElementwiseOptimiser optimiser, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimiser);
        (Model, Rule, Optimiser) = (model, rule, optimiser);
        optimiser.Prepare(model.Parameters.Length);
        _tape = model.CreateTape(maxBatch);
        _gradient = new double[model.Parameters.Length];
        _inputs = new double[maxBatch * model.Spec.InputSize];
        _targets = new double[maxBatch * model.Spec.Classes];
    }

    /// <summary>The model trained.</summary>
    public TokenModel Model { get; }

    /// <summary>The rule, or null for backprop.</summary>
    public ITokenModelRule? Rule { get; }

    /// <summary>The optimiser.</summary>
    public ElementwiseOptimiser Optimiser { get; }

    /// <summary>The tape of the last step (its <see cref="TokenTape.Retained"/> is the retained-activation ledger).</summary>
    public TokenTape Tape => _tape;

    /// <summary>The gradient of the last step.</summary>
    public ReadOnlySpan<double> Gradient => _gradient;

    /// <summary>One step on <paramref name="batch"/> images: mask (SBP), forward, loss, backward, optimiser. Returns the loss before the step.</summary>
    public double Step(ReadOnlySpan<double> images, ReadOnlySpan<double> targets, int batch)
    {
        if (Rule is { } rule) Model.Forward(images, batch, _tape, rule.NextMask(), rule.Masked);
        else Model.Forward(images, batch, _tape);
        double loss = Model.Loss(_tape, targets);
        Model.Backward(_tape, _gradient);
        Optimiser.Step(Model.Parameters, _gradient);
        return loss;
    }

    /// <summary>Trains on the one <see cref="TrainingLoop"/>, evaluating on <paramref name="test"/> after each epoch.</summary>
    public TrainingHistory Train(Dataset train, Dataset? test, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CheckShapes(train);
        if (test is not null) CheckShapes(test);
        if (options.BatchSize > _tape.MaxBatch) throw new ArgumentException($"BatchSize {options.BatchSize} exceeds the trainer's maximum batch {_tape.MaxBatch}.", nameof(options));
        (_train, _test, _evaluationBatch) = (train, test, options.EvaluationBatch);
        return TrainingLoop.Run(this, options);
    }

    int ITrainingProblem.Samples => _train!.Count;

    double ITrainingProblem.Step(ReadOnlySpan<int> batch)
    {
        _train!.Gather(batch, _inputs, _targets);
        return Step(_inputs, _targets, batch.Length);
    }

    /// <inheritdoc/>
    public Divergence? Diagnose(double loss, double limit)
    {
        bool lossBad = !double.IsFinite(loss) || loss > limit;
        foreach (var t in Model.Tensors)
        {
            foreach (double v in Model.Parameters.AsSpan(t.Offset, t.Length))
                if (!double.IsFinite(v)) return new Divergence(t.Name, $"{(lossBad ? $"the loss became {loss:G4}" : "a parameter became non-finite")}; first non-finite parameters in {t.Name} of the token model");
        }
        if (!lossBad) return null;
        string what = !double.IsFinite(loss) ? $"the loss became {loss}" : $"the loss {loss:G4} exceeded the divergence limit {limit:G4}";
        return new Divergence("head", $"{what}; the parameters are finite");
    }

    (double Loss, double Accuracy) ITrainingProblem.Evaluate() => _test is null ? (double.NaN, double.NaN) : Evaluate(_test, _evaluationBatch);

    /// <inheritdoc/>
    public void ScaleRates(double factor) => Optimiser.RateScale = factor;

    /// <summary>Mean loss and accuracy on <paramref name="data"/> (forward passes without masks, in chunks of the tape's size).</summary>
    public (double Loss, double Accuracy) Evaluate(Dataset data, int batchSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckShapes(data);
        int chunk = Math.Min(batchSize, _tape.MaxBatch), k = Model.Spec.Classes;
        var indices = new int[chunk];
        double loss = 0;
        int correct = 0;
        for (int start = 0; start < data.Count; start += chunk)
        {
            int b = Math.Min(chunk, data.Count - start);
            for (int i = 0; i < b; i++) indices[i] = start + i;
            data.Gather(indices.AsSpan(0, b), _inputs, _targets);
            Model.Forward(_inputs, b, _tape);
            loss += Model.Loss(_tape, _targets) * b;
            for (int r = 0; r < b; r++)
            {
                int best = 0;
                for (int j = 1; j < k; j++) if (_tape.Logits[r * k + j] > _tape.Logits[r * k + best]) best = j;
                if (data.Labels is { } labels && best == labels[start + r]) correct++;
            }
        }
        return (loss / data.Count, (double)correct / data.Count);
    }

    private void CheckShapes(Dataset data)
    {
        if (!data.IsClassification) throw new ArgumentException($"Data set '{data.Name}' has no class labels; the token model is a classifier.");
        if (data.InputSize != Model.Spec.InputSize)
            throw new ArgumentException($"Data set '{data.Name}' has {data.InputSize} inputs per sample but the token model takes {Model.Spec.ImageSide} × {Model.Spec.ImageSide} = {Model.Spec.InputSize} pixels.");
        if (data.OutputSize != Model.Spec.Classes)
            throw new ArgumentException($"Data set '{data.Name}' has {data.OutputSize} classes but the token model has {Model.Spec.Classes} outputs.");
    }
}
