namespace BioSim.Engine.NeuralOde;

/// <summary>Settings of <see cref="Adam"/> (Kingma and Ba, ICLR 2015, Algorithm 1; PyTorch's defaults).</summary>
public sealed record AdamOptions
{
    /// <summary>Step size α, default 1e-3, positive.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Decay β1 of the first-moment estimate, default 0.9, in [0, 1).</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Decay β2 of the second-moment estimate, default 0.999, in [0, 1).</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>ε added to √v̂, default 1e-8, positive.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Throws naming the bad field.</summary>
    public void Validate()
    {
        if (!(LearningRate > 0)) throw new ArgumentException($"LearningRate must be positive, not {LearningRate}.", nameof(LearningRate));
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentException($"Beta1 must lie in [0, 1), not {Beta1}.", nameof(Beta1));
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentException($"Beta2 must lie in [0, 1), not {Beta2}.", nameof(Beta2));
        if (!(Epsilon > 0)) throw new ArgumentException($"Epsilon must be positive, not {Epsilon}.", nameof(Epsilon));
    }
}

/// <summary>
/// Adam: m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g², θ ← θ − α m̂ / (√v̂ + ε) with the bias corrections
/// m̂ = m / (1 − β1^k), v̂ = v / (1 − β2^k). No allocation per step.
/// </summary>
public sealed class Adam
{
    private readonly double[] _m, _v;
    private long _step;

    /// <summary>Creates the optimiser for <paramref name="count"/> parameters.</summary>
    public Adam(int count, AdamOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        Options = options ?? new AdamOptions();
        Options.Validate();
        _m = new double[count];
        _v = new double[count];
    }

    /// <summary>The settings.</summary>
    public AdamOptions Options { get; }

    /// <summary>Learning rate used by the next step (may be changed between steps, e.g. for a schedule).</summary>
    public double LearningRate { get; set; } = double.NaN;

    /// <summary>Steps taken.</summary>
    public long Steps => _step;

    /// <summary>Updates <paramref name="parameters"/> in place from the gradient of the loss.</summary>
    public void Step(Span<double> parameters, ReadOnlySpan<double> gradient)
    {
        if (parameters.Length != _m.Length || gradient.Length != _m.Length)
            throw new ArgumentException($"Adam was built for {_m.Length} parameters; got {parameters.Length} parameters and {gradient.Length} gradient entries.");
        _step++;
        double b1 = Options.Beta1, b2 = Options.Beta2, eps = Options.Epsilon;
        double lr = double.IsNaN(LearningRate) ? Options.LearningRate : LearningRate;
        double c1 = 1 - Math.Pow(b1, _step), c2 = 1 - Math.Pow(b2, _step);
        for (int i = 0; i < _m.Length; i++)
        {
            double g = gradient[i];
            _m[i] = b1 * _m[i] + (1 - b1) * g;
            _v[i] = b2 * _v[i] + (1 - b2) * g * g;
            parameters[i] -= lr * (_m[i] / c1) / (Math.Sqrt(_v[i] / c2) + eps);
        }
    }
}

/// <summary>
/// Fits a parametric field to trajectories: each iteration draws a minibatch of trajectories (initial conditions
/// with their observations), sums the gradients of their losses (averaged over the batch) with the chosen
/// <see cref="IGradientMethod"/>, and takes one <see cref="Adam"/> step. The loss curve is kept.
/// </summary>
public sealed class NeuralOdeTrainer
{
    private readonly IParametricVectorField _field;
    private readonly IGradientMethod _method;
    private readonly Adam _adam;
    private readonly double[] _gradient, _batchGradient;
    private readonly System.Random _random;
    private int[] _order = [];
    private int _cursor;

    /// <summary>Creates a trainer.</summary>
    /// <param name="field">The field whose <see cref="IParametricVectorField.Parameters"/> are fitted in place.</param>
    /// <param name="method">How gradients are computed (the symplectic adjoint is exact and lean).</param>
    /// <param name="options">Adam settings.</param>
    /// <param name="batchSize">Trajectories per step.</param>
    /// <param name="seed">Seed of the minibatch shuffling.</param>
    public NeuralOdeTrainer(IParametricVectorField field, IGradientMethod method, AdamOptions options, int batchSize, int seed)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(method);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        _field = field;
        _method = method;
        _adam = new Adam(field.ParameterCount, options);
        BatchSize = batchSize;
        _gradient = new double[field.ParameterCount];
        _batchGradient = new double[field.ParameterCount];
        _random = new System.Random(seed);
    }

    /// <summary>Trajectories per step.</summary>
    public int BatchSize { get; }

    /// <summary>The optimiser (its learning rate may be scheduled).</summary>
    public Adam Optimizer => _adam;

    /// <summary>Mean minibatch loss of every step so far.</summary>
    public List<double> LossCurve { get; } = [];

    /// <summary>Optional projection applied after each step (e.g. keep time constants positive).</summary>
    public Action<Span<double>>? Constrain { get; init; }

    /// <summary>One Adam step on the next minibatch (reshuffled each pass); returns the batch's mean loss.</summary>
    public double Step(IReadOnlyList<TrajectoryProblem> trajectories)
    {
        ArgumentNullException.ThrowIfNull(trajectories);
        if (trajectories.Count == 0) throw new ArgumentException("No trajectories to fit.", nameof(trajectories));
        if (_order.Length != trajectories.Count)
        {
            _order = new int[trajectories.Count];
            for (int i = 0; i < _order.Length; i++) _order[i] = i;
            _cursor = _order.Length;
        }
        int batch = Math.Min(BatchSize, trajectories.Count);
        Array.Clear(_batchGradient);
        double loss = 0;
        for (int b = 0; b < batch; b++)
        {
            if (_cursor == _order.Length)
            {
                _random.Shuffle(_order);
                _cursor = 0;
            }
            Array.Clear(_gradient);
            loss += _method.Compute(_field, trajectories[_order[_cursor++]], _gradient, default).Loss;
            System.Numerics.Tensors.TensorPrimitives.Add(_batchGradient, _gradient, _batchGradient);
        }
        System.Numerics.Tensors.TensorPrimitives.Multiply(_batchGradient, 1.0 / batch, _batchGradient);
        _adam.Step(_field.Parameters, _batchGradient);
        Constrain?.Invoke(_field.Parameters);
        loss /= batch;
        LossCurve.Add(loss);
        return loss;
    }
}
