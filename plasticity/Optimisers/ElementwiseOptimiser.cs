using BioSim.Engine.Simulation;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Rules;

namespace BioSim.Plasticity.Optimisers;

/// <summary>
/// Optimisers that treat every parameter independently. The parameter tensors are W1, b1, W2, … (biases
/// skipped when absent); <see cref="Update"/> is called once per tensor per step, with the tensor's index
/// for its moment arrays. Conventions follow PyTorch's torch.optim so that results are comparable. Each optimiser's
/// settings are public settable properties (checked when set), which comparison files set by their snake_case names;
/// it is registered by name in the catalogue (<see cref="PlasticityServiceCollectionExtensions.AddPlasticity"/>).
/// </summary>
public abstract class ElementwiseOptimiser : IOptimiser
{
    private string[] _names = [];

    /// <summary>Steps taken (t in Adam's bias correction).</summary>
    public long Steps { get; private set; }

    /// <summary>Factor on the learning rate from the rate schedule (<see cref="Training.Trainer.ScaleRates"/>), positive and finite (default 1).</summary>
    public double RateScale
    {
        get;
        set => field = value > 0 && double.IsFinite(value) ? value
            : throw new ArgumentOutOfRangeException(nameof(RateScale), value, "The rate scale must be positive and finite.");
    } = 1.0;

    /// <summary>η, positive and finite (default 1e-3; each optimiser's constructor sets its own).</summary>
    public double LearningRate
    {
        get;
        set
        {
            CheckRate(value, "learningRate");
            field = value;
        }
    } = 1e-3;

    /// <summary>The optimiser and its settings, for messages ("Adam (β 0.9/0.999), lr 0.001").</summary>
    public abstract string Description { get; }

    /// <summary>The <see cref="Description"/>.</summary>
    public override string ToString() => Description;

    /// <summary>Number of moment arrays per parameter tensor.</summary>
    protected abstract int MomentCount { get; }

    /// <summary>Moments[i][tensor].</summary>
    protected double[][][] Moments { get; private set; } = [];

    /// <summary>The moments for a trainer in another precision, which reads them when it starts and writes them back before a checkpoint.</summary>
    internal double[][][] MomentArrays => Moments;

    /// <summary>Counts a step taken by a trainer in another precision (which applies the update itself).</summary>
    internal void CountStep() => Steps++;

    /// <inheritdoc/>
    public void Prepare(Network network)
    {
        var names = new List<string>();
        var sizes = new List<int>();
        foreach (var layer in network.Layers)
        {
            names.Add($"W{layer.Index}"); sizes.Add(layer.Weights.Length);
            if (layer.Bias is { } b) { names.Add($"b{layer.Index}"); sizes.Add(b.Length); }
        }
        _names = [.. names];
        Moments = [.. Enumerable.Range(0, MomentCount).Select(_ => sizes.Select(s => new double[s]).ToArray())];
        Steps = 0;
    }

    /// <inheritdoc/>
    public void Step(Network network, ParameterGradients gradients)
    {
        if (_names.Length == 0) throw new InvalidOperationException("Call Prepare(network) before the first step.");
        Steps++;
        int t = 0;
        for (int l = 0; l < network.Layers.Count; l++)
        {
            var layer = network.Layers[l];
            Update(t++, layer.Weights, gradients.Weights[l]);
            if (layer.Bias is { } b) Update(t++, b, gradients.Bias[l]);
        }
    }

    /// <summary>Allocates the state for one flat parameter vector of <paramref name="count"/> entries (zero moments,
    /// step 0), for a model that is not a <see cref="Network"/> (a neural-ODE vector field); then use <see cref="Step(Span{double}, ReadOnlySpan{double})"/>.</summary>
    public void Prepare(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        _names = ["theta"];
        Moments = [.. Enumerable.Range(0, MomentCount).Select(_ => new[] { new double[count] })];
        Steps = 0;
    }

    /// <summary>One step on the flat parameter vector prepared by <see cref="Prepare(int)"/>: θ ← θ − (update from <paramref name="gradient"/>).</summary>
    public void Step(Span<double> parameters, ReadOnlySpan<double> gradient)
    {
        if (_names is not ["theta"]) throw new InvalidOperationException("Call Prepare(count) before stepping a flat parameter vector.");
        if (parameters.Length != Moments[0][0].Length || gradient.Length != parameters.Length)
            throw new ArgumentException($"The optimiser was prepared for {Moments[0][0].Length} parameters; got {parameters.Length} parameters and {gradient.Length} gradient entries.");
        Steps++;
        Update(0, parameters, gradient);
    }

    /// <summary>Updates parameter tensor <paramref name="tensor"/> in place from its gradient.</summary>
    protected abstract void Update(int tensor, Span<double> parameters, ReadOnlySpan<double> gradient);

    /// <inheritdoc/>
    public void SaveState(StateSnapshot snapshot, string prefix)
    {
        snapshot.Put($"{prefix}steps", [Steps]);
        for (int i = 0; i < MomentCount; i++)
            for (int t = 0; t < _names.Length; t++) snapshot.Put($"{prefix}m{i}/{_names[t]}", Moments[i][t]);
    }

    /// <inheritdoc/>
    public void LoadState(StateSnapshot snapshot, string prefix)
    {
        Span<long> steps = stackalloc long[1];
        snapshot.Get($"{prefix}steps", steps);
        Steps = steps[0];
        for (int i = 0; i < MomentCount; i++)
            for (int t = 0; t < _names.Length; t++) snapshot.Get($"{prefix}m{i}/{_names[t]}", Moments[i][t]);
    }

    /// <summary>Throws unless <paramref name="value"/> is positive and finite; <paramref name="name"/> is the setting's name in messages.</summary>
    protected static void CheckRate(double value, string name)
    {
        if (!(value > 0) || !double.IsFinite(value)) throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive and finite.");
    }
}
