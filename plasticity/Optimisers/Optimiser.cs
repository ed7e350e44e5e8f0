using System.Numerics;
using BioSim.Engine.Simulation;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Rules;

namespace BioSim.Plasticity.Optimisers;

/// <summary>Applies a rule's updates to the network's weights; its moment estimates are checkpointable state.</summary>
public interface IOptimiser : IStateful
{
    /// <summary>Allocates the state for <paramref name="network"/> (zero moments, step 0).</summary>
    void Prepare(Network network);

    /// <summary>One step: θ ← θ − (update computed from <paramref name="gradients"/>).</summary>
    void Step(Network network, ParameterGradients gradients);

    /// <summary>Factor on the learning rate η (default 1), set per epoch by a schedule through
    /// <see cref="Training.Trainer.ScaleRates"/>; the moments are untouched, as with PyTorch's lr schedulers.</summary>
    double RateScale { get; set; }

    /// <summary>The learning rate η (positive, finite); a comparison file's "lr".</summary>
    double LearningRate { get; set; }

    /// <summary>The optimiser and its settings in words ("SGD with momentum 0.9, lr 0.01"), for tables.</summary>
    string Description { get; }
}

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

    public double RateScale
    {
        get;
        set => field = value > 0 && double.IsFinite(value) ? value
            : throw new ArgumentOutOfRangeException(nameof(RateScale), value, "The rate scale must be positive and finite.");
    } = 1.0;

    public double LearningRate
    {
        get;
        set
        {
            CheckRate(value, "learningRate");
            field = value;
        }
    } = 1e-3;

    public abstract string Description { get; }

    public override string ToString() => Description;

    /// <summary>Number of moment arrays per parameter tensor.</summary>
    protected abstract int MomentCount { get; }

    /// <summary>Moments[i][tensor].</summary>
    protected double[][][] Moments { get; private set; } = [];

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

    public void SaveState(StateSnapshot snapshot, string prefix)
    {
        snapshot.Put($"{prefix}steps", [Steps]);
        for (int i = 0; i < MomentCount; i++)
            for (int t = 0; t < _names.Length; t++) snapshot.Put($"{prefix}m{i}/{_names[t]}", Moments[i][t]);
    }

    public void LoadState(StateSnapshot snapshot, string prefix)
    {
        Span<long> steps = stackalloc long[1];
        snapshot.Get($"{prefix}steps", steps);
        Steps = steps[0];
        for (int i = 0; i < MomentCount; i++)
            for (int t = 0; t < _names.Length; t++) snapshot.Get($"{prefix}m{i}/{_names[t]}", Moments[i][t]);
    }

    protected static void CheckRate(double value, string name)
    {
        if (!(value > 0) || !double.IsFinite(value)) throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive and finite.");
    }
}

/// <summary>SGD with momentum μ (PyTorch): v ← μ v + g, θ ← θ − η v. μ = 0 is plain gradient descent.</summary>
public sealed class SgdMomentum : ElementwiseOptimiser
{
    public SgdMomentum(double learningRate = 0.01, double momentum = 0.0)
    {
        LearningRate = learningRate;
        Momentum = momentum;
    }

    /// <summary>μ in [0, 1) (default 0).</summary>
    public double Momentum
    {
        get;
        set => field = value >= 0 && value < 1 ? value : throw new ArgumentOutOfRangeException("momentum", value, "momentum must lie in [0, 1).");
    }

    public override string Description => Momentum == 0 ? $"SGD, lr {LearningRate:G4}" : $"SGD with momentum {Momentum:G4}, lr {LearningRate:G4}";

    protected override int MomentCount => 1;

    protected override void Update(int tensor, Span<double> parameters, ReadOnlySpan<double> gradient)
    {
        Span<double> v = Moments[0][tensor];
        double mu = Momentum, eta = LearningRate * RateScale;
        // Whole vectors first (the same element-wise arithmetic and rounding), then the tail.
        int i = 0;
        if (Vector.IsHardwareAccelerated && v.Length == parameters.Length && gradient.Length == parameters.Length)
        {
            var vmu = new Vector<double>(mu);
            var veta = new Vector<double>(eta);
            for (; i <= parameters.Length - Vector<double>.Count; i += Vector<double>.Count)
            {
                var vi = vmu * new Vector<double>(v[i..]) + new Vector<double>(gradient[i..]);
                vi.CopyTo(v[i..]);
                (new Vector<double>(parameters[i..]) - veta * vi).CopyTo(parameters[i..]);
            }
        }
        for (; i < parameters.Length; i++)
        {
            v[i] = mu * v[i] + gradient[i];
            parameters[i] -= eta * v[i];
        }
    }
}

/// <summary>
/// Adam (Kingma &amp; Ba 2015): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − η m̂/(√v̂ + ε) with
/// m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ). With <see cref="BiasCorrection"/> false, m and v are used as they are
/// (the variant GAIT-prop's published runs use).
/// </summary>
public sealed class Adam : ElementwiseOptimiser
{
    public Adam(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, bool biasCorrection = true)
    {
        LearningRate = learningRate; Beta1 = beta1; Beta2 = beta2; Epsilon = epsilon; BiasCorrection = biasCorrection;
    }

    /// <summary>β₁ in [0, 1) (default 0.9).</summary>
    public double Beta1 { get; set => field = value >= 0 && value < 1 ? value : throw new ArgumentOutOfRangeException("beta1", value, "beta1 must lie in [0, 1)."); }

    /// <summary>β₂ in [0, 1) (default 0.999).</summary>
    public double Beta2 { get; set => field = value >= 0 && value < 1 ? value : throw new ArgumentOutOfRangeException("beta2", value, "beta2 must lie in [0, 1)."); }

    /// <summary>ε &gt; 0 (default 1e-8).</summary>
    public double Epsilon { get; set { CheckRate(value, "epsilon"); field = value; } }

    /// <summary>Whether m and v are divided by 1 − βᵗ (default true).</summary>
    public bool BiasCorrection { get; set; }

    public override string Description => $"Adam (β {Beta1:G4}/{Beta2:G4}{(BiasCorrection ? "" : ", no bias correction")}), lr {LearningRate:G4}";

    protected override int MomentCount => 2;

    protected override void Update(int tensor, Span<double> parameters, ReadOnlySpan<double> gradient)
    {
        Span<double> m = Moments[0][tensor], v = Moments[1][tensor];
        double c1 = BiasCorrection ? 1.0 / (1.0 - Math.Pow(Beta1, Steps)) : 1.0;
        double c2 = BiasCorrection ? 1.0 / (1.0 - Math.Pow(Beta2, Steps)) : 1.0;
        double eta = LearningRate * RateScale;
        int i = 0;
        if (Vector.IsHardwareAccelerated && m.Length == parameters.Length && v.Length == parameters.Length && gradient.Length == parameters.Length)
        {
            Vector<double> b1 = new(Beta1), b1c = new(1 - Beta1), b2 = new(Beta2), b2c = new(1 - Beta2);
            Vector<double> vc1 = new(c1), vc2 = new(c2), veta = new(eta), eps = new(Epsilon);
            for (; i <= parameters.Length - Vector<double>.Count; i += Vector<double>.Count)
            {
                var g = new Vector<double>(gradient[i..]);
                var mi = b1 * new Vector<double>(m[i..]) + b1c * g;
                var vi = b2 * new Vector<double>(v[i..]) + b2c * g * g;
                mi.CopyTo(m[i..]);
                vi.CopyTo(v[i..]);
                (new Vector<double>(parameters[i..]) - veta * (mi * vc1) / (Vector.SquareRoot(vi * vc2) + eps)).CopyTo(parameters[i..]);
            }
        }
        for (; i < parameters.Length; i++)
        {
            double g = gradient[i];
            m[i] = Beta1 * m[i] + (1 - Beta1) * g;
            v[i] = Beta2 * v[i] + (1 - Beta2) * g * g;
            parameters[i] -= eta * (m[i] * c1) / (Math.Sqrt(v[i] * c2) + Epsilon);
        }
    }
}

/// <summary>RMSprop (Tieleman &amp; Hinton 2012; PyTorch form): v ← αv + (1−α)g², θ ← θ − η g/(√v + ε).</summary>
public sealed class RmsProp : ElementwiseOptimiser
{
    public RmsProp(double learningRate = 0.01, double alpha = 0.99, double epsilon = 1e-8)
    {
        LearningRate = learningRate; Alpha = alpha; Epsilon = epsilon;
    }

    /// <summary>α in [0, 1) (default 0.99).</summary>
    public double Alpha { get; set => field = value >= 0 && value < 1 ? value : throw new ArgumentOutOfRangeException("alpha", value, "alpha must lie in [0, 1)."); }

    /// <summary>ε &gt; 0 (default 1e-8).</summary>
    public double Epsilon { get; set { CheckRate(value, "epsilon"); field = value; } }

    public override string Description => $"RMSprop (α {Alpha:G4}), lr {LearningRate:G4}";

    protected override int MomentCount => 1;

    protected override void Update(int tensor, Span<double> parameters, ReadOnlySpan<double> gradient)
    {
        Span<double> v = Moments[0][tensor];
        double eta = LearningRate * RateScale;
        for (int i = 0; i < parameters.Length; i++)
        {
            double g = gradient[i];
            v[i] = Alpha * v[i] + (1 - Alpha) * g * g;
            parameters[i] -= eta * g / (Math.Sqrt(v[i]) + Epsilon);
        }
    }
}
