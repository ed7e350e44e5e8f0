using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using BioSim.Engine.Numerics;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;

namespace BioSim.Plasticity.Training;

/// <summary>
/// Training of a layered <see cref="Network"/> in the floating-point type <typeparamref name="T"/> (float for
/// <c>"precision": "float32"</c>): the forward pass, the loss's output error, the error signal of backprop, feedback alignment
/// or direct feedback alignment, the weight updates and the optimiser step all run on flat <typeparamref name="T"/> arrays,
/// the products through the network's one <see cref="Engine.Numerics.IMatrixProduct"/> (its float overload), the
/// element-wise work (activation, f′ ⊙ δ fused, bias sums, Adam/SGD) vectorised with <see cref="Vector{T}"/> and
/// <see cref="TensorPrimitives"/>. GAIT-prop and ITP (<see cref="GaitProp"/>, <see cref="IncrementalTargetPropagation"/>)
/// run their target errors, updates and orthogonality penalty in <typeparamref name="T"/> too; only their layer inverses,
/// refreshed after every step as the float64 rule does, are computed in double by <see cref="MatrixInverse"/> (LAPACK
/// dgetrf/dgetri has no float path here) from the <typeparamref name="T"/> weights (exact) and rounded once to
/// <typeparamref name="T"/>. Correlative infomax (<see cref="CorrelativeInfomax"/>) settles, updates and predicts in
/// <typeparamref name="T"/> (PrecisionTrainer.Infomax.cs). One generic implementation serves every <typeparamref name="T"/>; with T = double it
/// follows the float64 <see cref="Trainer"/> operation for operation (tests compare them).
/// <para>The float64 <see cref="Network"/>, rule and optimiser stay the record of the run: the initial weights and feedback
/// matrices are drawn in float64 and rounded once to <typeparamref name="T"/> (<see cref="Pull"/>), and <see cref="Push"/>
/// writes the <typeparamref name="T"/> state back (exactly: every float is a double), so checkpoints, probes and evaluation
/// on the float64 objects see the float32 run, and a resumed run continues bit for bit.</para>
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed partial class PrecisionTrainer<T> : ITrainingProblem
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private enum Signal { Backprop, Feedback, Direct, Target, Infomax }
    private enum Kind { Identity, Tanh, Relu, Logistic, LeakyRelu, Softplus, HardSigmoid, UnitClip }

    private readonly int _layers, _maxBatch;
    private readonly int[] _width;             // width[0] = input, width[l] = layer l
    private readonly Kind[] _kind;
    private readonly T[] _slope, _scale, _l2;
    private readonly T[][] _w;
    private readonly T[]?[] _b;
    private readonly T[][] _z, _h, _delta, _gw;
    private readonly T[]?[] _gb;
    private readonly T[][] _feedback;
    private readonly T[][][] _moments;         // [moment][tensor]: W1, b1, W2, …
    private readonly T[] _targets;
    private readonly bool _softmax;
    private readonly int _taskOutputs;         // targets per row: the first units of the output layer (mse with auxiliary units) or all
    private readonly Signal _signal;
    private readonly T[] _derivative;          // f′ of one layer (GAIT-prop, ITP, mse)
    // GAIT-prop / ITP: the rule, T copies of its inverses W_l⁻¹ at index l (l ≥ 2), its error and f⁻¹ difference buffers, the
    // Gram matrix of the orthogonality penalty, and the double buffers of the inversion.
    private readonly GaitProp? _gait;
    private readonly T[][] _inverse = [];
    private readonly T[] _error = [], _difference = [], _gram = [];
    private readonly double[] _invertIn = [], _invertOut = [], _invertWork = [];
    private readonly int[] _pivots = [];
    private Dataset? _train, _test;
    private int _evaluationBatch = 1000;
    private int _batch;

    /// <summary>Names of the rules this trainer runs; every other rule is refused.</summary>
    public static readonly string[] Rules = ["backprop", "feedback-alignment", "direct-feedback-alignment", "gait-prop", "itp", "correlative-infomax"];

    /// <summary>Names of the activations this trainer runs.</summary>
    public static readonly string[] Activations = ["identity", "tanh", "relu", "logistic", "leaky-relu", "softplus", "hard-sigmoid", "unit-clip"];

    /// <summary>Names of the optimisers this trainer runs.</summary>
    public static readonly string[] Optimisers = ["sgd", "adam", "rmsprop"];

    /// <summary>The float64 trainer whose network (initialised), rule and optimiser (prepared), loss and batch size this one runs in <typeparamref name="T"/>.</summary>
    public Trainer Trainer { get; }

    /// <summary>Creates the trainer around the float64 <paramref name="trainer"/>'s network, rule, optimiser and loss.</summary>
    /// <exception cref="NotSupportedException">A rule, optimiser, loss or activation this precision does not run (named).</exception>
    public PrecisionTrainer(Trainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        Trainer = trainer;
        var network = trainer.Network;
        _signal = trainer.Rule switch
        {
            Backpropagation => Signal.Backprop,
            FeedbackAlignment => Signal.Feedback,
            DirectFeedbackAlignment => Signal.Direct,
            GaitProp => Signal.Target,
            CorrelativeInfomax => Signal.Infomax,
            _ => throw new NotSupportedException($"{typeof(T).Name} training runs the rules {string.Join(", ", Rules)}; not {trainer.Rule.GetType().Name}."),
        };
        if (trainer.Optimiser is not (Adam or SgdMomentum or RmsProp))
            throw new NotSupportedException($"{typeof(T).Name} training runs the optimisers adam, sgd and rmsprop; not {trainer.Optimiser.Description}.");
        _softmax = trainer.Loss switch
        {
            SoftmaxCrossEntropy => true,
            MeanSquaredError => false,
            _ => throw new NotSupportedException($"{typeof(T).Name} training takes the losses softmax-cross-entropy and mse; not {trainer.Loss.Name}."),
        };
        _taskOutputs = trainer.Loss.TargetWidth(network);
        _layers = network.Layers.Count;
        _maxBatch = trainer.Tape.MaxBatch;
        _width = new int[_layers + 1];
        _width[0] = network.InputSize;
        _kind = new Kind[_layers + 1];
        _slope = new T[_layers + 1]; _scale = new T[_layers + 1]; _l2 = new T[_layers + 1];
        _w = new T[_layers + 1][]; _b = new T[]?[_layers + 1]; _gw = new T[_layers + 1][]; _gb = new T[]?[_layers + 1];
        _z = new T[_layers + 1][]; _h = new T[_layers + 1][]; _delta = new T[_layers + 1][];
        _h[0] = new T[_maxBatch * network.InputSize];
        _z[0] = []; _delta[0] = []; _w[0] = []; _gw[0] = [];
        for (int l = 1; l <= _layers; l++)
        {
            var layer = network.Layers[l - 1];
            _width[l] = layer.Outputs;
            (_kind[l], _slope[l]) = layer.Activation switch
            {
                Identity => (Kind.Identity, T.Zero),
                Tanh => (Kind.Tanh, T.Zero),
                Relu => (Kind.Relu, T.Zero),
                Logistic => (Kind.Logistic, T.Zero),
                LeakyRelu leaky => (Kind.LeakyRelu, T.CreateChecked(leaky.Slope)),
                Softplus => (Kind.Softplus, T.Zero),
                HardSigmoid => (Kind.HardSigmoid, T.Zero),
                UnitClip => (Kind.UnitClip, T.Zero),
                _ => throw new NotSupportedException($"{typeof(T).Name} training takes the activations {string.Join(", ", Activations)}; {layer.Name} has {layer.Activation.Name}."),
            };
            _scale[l] = T.CreateChecked(layer.Scale);
            _l2[l] = T.CreateChecked(layer.L2);
            _w[l] = new T[layer.Weights.Length];
            _gw[l] = new T[layer.Weights.Length];
            _b[l] = layer.Bias is null ? null : new T[layer.Bias.Length];
            _gb[l] = layer.Bias is null ? null : new T[layer.Bias.Length];
            _z[l] = new T[_maxBatch * layer.Outputs];
            _h[l] = new T[_maxBatch * layer.Outputs];
            _delta[l] = new T[_maxBatch * layer.Outputs];
        }
        var feedback = trainer.Rule switch
        {
            FeedbackAlignment fa => fa.FeedbackWeights,
            DirectFeedbackAlignment dfa => dfa.FeedbackWeights,
            _ => [],
        };
        _feedback = [.. feedback.Select(f => new T[f.Length])];
        int tensors = network.Layers.Sum(l => l.Bias is null ? 1 : 2);
        var elementwise = (ElementwiseOptimiser)trainer.Optimiser;
        _moments = [.. Enumerable.Range(0, elementwise.MomentArrays.Length).Select(i => elementwise.MomentArrays[i].Select(m => new T[m.Length]).ToArray())];
        if (_moments.Length > 0 && _moments[0].Length != tensors)
            throw new InvalidOperationException("Call optimiser.Prepare(network) before creating the trainer.");
        _targets = new T[_maxBatch * _taskOutputs];
        int widest = network.Layers.Max(l => Math.Max(l.Inputs, l.Outputs));
        _derivative = new T[_maxBatch * widest];
        if (trainer.Rule is GaitProp gait)
        {
            _gait = gait;
            if (gait.Inverses.Count != _layers)
                throw new InvalidOperationException("Call rule.Prepare(network) before creating the trainer.");
            _inverse = new T[_layers + 1][];
            _inverse[0] = []; _inverse[1] = [];
            for (int l = 2; l <= _layers; l++) _inverse[l] = new T[_width[l] * _width[l]];
            _error = new T[_maxBatch * widest];
            _difference = new T[_maxBatch * widest];
            _gram = new T[widest * widest];
            _invertIn = new double[widest * widest];
            _invertOut = new double[widest * widest];
            _invertWork = new double[MatrixInverse.WorkspaceLength(widest)];
            _pivots = new int[widest];
        }
        if (trainer.Rule is CorrelativeInfomax infomax) _infomax = CreateInfomax(infomax, network, _maxBatch);
        Pull();
    }

    /// <summary>Rounds the float64 network's weights, the rule's feedback matrices and the optimiser's moments to <typeparamref name="T"/>
    /// (after initialisation, and after loading a checkpoint).</summary>
    public void Pull()
    {
        var network = Trainer.Network;
        for (int l = 1; l <= _layers; l++)
        {
            var layer = network.Layers[l - 1];
            Convert(layer.Weights, _w[l]);
            if (layer.Bias is { } b) Convert(b, _b[l]!);
        }
        var feedback = Feedback();
        for (int i = 0; i < _feedback.Length; i++) Convert(feedback[i], _feedback[i]);
        var moments = ((ElementwiseOptimiser)Trainer.Optimiser).MomentArrays;
        for (int i = 0; i < _moments.Length; i++)
            for (int t = 0; t < _moments[i].Length; t++) Convert(moments[i][t], _moments[i][t]);
        if (_gait is not null) Invert();
        if (_infomax is not null) PullInfomax(_infomax);
    }

    /// <summary>Writes the <typeparamref name="T"/> weights and optimiser moments into the float64 network and optimiser (exact),
    /// before a checkpoint, a probe or an evaluation by float64 code.</summary>
    public void Push()
    {
        var network = Trainer.Network;
        for (int l = 1; l <= _layers; l++)
        {
            var layer = network.Layers[l - 1];
            Convert(_w[l], layer.Weights);
            if (layer.Bias is { } b) Convert(_b[l]!, b);
        }
        var moments = ((ElementwiseOptimiser)Trainer.Optimiser).MomentArrays;
        for (int i = 0; i < _moments.Length; i++)
            for (int t = 0; t < _moments[i].Length; t++) Convert(_moments[i][t], moments[i][t]);
        if (_gait is not null)
            for (int l = 2; l <= _layers; l++) Convert<T, double>(_inverse[l], (double[])_gait.Inverses[l - 1]);
        if (_infomax is not null) PushInfomax(_infomax);
    }

    /// <summary>GAIT-prop, ITP: W_l⁻¹ (l ≥ 2) of the <typeparamref name="T"/> weights, inverted in double as the float64 rule's
    /// <see cref="GaitProp.AfterUpdate"/> does (so with T = double the same bits) and rounded once to <typeparamref name="T"/>.</summary>
    private void Invert()
    {
        for (int l = 2; l <= _layers; l++)
        {
            int n = _width[l], nn = n * n;
            Convert<T, double>(_w[l], _invertIn.AsSpan(0, nn));
            if (!MatrixInverse.TryInvert(_invertIn.AsSpan(0, nn), n, _invertOut.AsSpan(0, nn), _pivots, _invertWork))
                throw new InvalidOperationException($"{Trainer.Network.Layers[l - 1].Name}: its {typeof(T).Name} weights are singular (or not finite), so its inverse does not exist; lower the learning rate or raise the orthogonality penalty λ.");
            Convert<double, T>(_invertOut.AsSpan(0, nn), _inverse[l]);
        }
    }

    private IReadOnlyList<double[]> Feedback() => Trainer.Rule switch
    {
        FeedbackAlignment fa => fa.FeedbackWeights,
        DirectFeedbackAlignment dfa => dfa.FeedbackWeights,
        _ => [],
    };

    private static void Convert<TFrom, TTo>(ReadOnlySpan<TFrom> from, Span<TTo> to)
        where TFrom : unmanaged, INumberBase<TFrom> where TTo : unmanaged, INumberBase<TTo>
    {
        if (from.Length != to.Length) throw new InvalidOperationException($"Shape mismatch: {from.Length} values for {to.Length}.");
        TensorPrimitives.ConvertChecked(from, to);
    }

    /// <summary>The weights of layer <paramref name="l"/> (1-based) in <typeparamref name="T"/>.</summary>
    public ReadOnlySpan<T> Weights(int l) => _w[l];

    /// <summary>The update of layer <paramref name="l"/>'s weights from the last step (before the optimiser).</summary>
    public ReadOnlySpan<T> WeightGradient(int l) => _gw[l];

    /// <summary>The update of layer <paramref name="l"/>'s bias from the last step, or empty.</summary>
    public ReadOnlySpan<T> BiasGradient(int l) => _gb[l];

    /// <summary>Forward pass and the rule's updates (no optimiser step) for <paramref name="batch"/> rows; returns the loss.</summary>
    public double ComputeUpdates(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, int batch)
    {
        if (batch <= 0 || batch > _maxBatch) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"The trainer holds 1 to {_maxBatch} rows.");
        inputs[..(batch * _width[0])].CopyTo(_h[0]);
        Forward(batch);
        double loss = OutputError(targets, batch);
        if (_infomax is not null)
        {
            InfomaxUpdates(_infomax, targets, batch);   // the loss is that of the plain forward pass, as the float64 Trainer reports
            return loss;
        }
        if (_signal == Signal.Target) TargetErrors(batch);
        else PropagateErrors(batch);
        Updates(batch);
        if (_gait is { Orthogonality: > 0 }) AddOrthogonalityGradients();
        return loss;
    }

    /// <summary>One step: forward, loss, error signal, updates, optimiser. Returns the loss before the step.</summary>
    public double Step(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, int batch)
    {
        double loss = ComputeUpdates(inputs, targets, batch);
        OptimiserStep();
        if (_gait is not null) Invert();
        return loss;
    }

    private void Forward(int batch)
    {
        var product = Trainer.Network.Product;
        _batch = batch;
        for (int l = 1; l <= _layers; l++)
        {
            int n = _width[l], k = _width[l - 1];
            Span<T> z = _z[l].AsSpan(0, batch * n);
            if (_b[l] is { } b)
                for (int r = 0; r < batch; r++) b.CopyTo(z.Slice(r * n, n));
            Multiply(product, false, true, batch, n, k, _scale[l], _h[l - 1].AsSpan(0, batch * k), _w[l], _b[l] is null ? T.Zero : T.One, z);
            Activate(_kind[l], _slope[l], z, _h[l].AsSpan(0, z.Length));
        }
    }

    private static void Multiply(Engine.Numerics.IMatrixProduct product, bool ta, bool tb, int m, int n, int k, T alpha, ReadOnlySpan<T> a, ReadOnlySpan<T> b, T beta, Span<T> c)
    {
        if (typeof(T) == typeof(float))
            product.Multiply(ta, tb, m, n, k, float.CreateTruncating(alpha), MemoryMarshal.Cast<T, float>(a), MemoryMarshal.Cast<T, float>(b), float.CreateTruncating(beta), MemoryMarshal.Cast<T, float>(c));
        else if (typeof(T) == typeof(double))
            product.Multiply(ta, tb, m, n, k, double.CreateTruncating(alpha), MemoryMarshal.Cast<T, double>(a), MemoryMarshal.Cast<T, double>(b), double.CreateTruncating(beta), MemoryMarshal.Cast<T, double>(c));
        else throw new NotSupportedException($"The matrix product takes float and double, not {typeof(T).Name}.");
    }

    private static void Activate(Kind kind, T slope, ReadOnlySpan<T> z, Span<T> h)
    {
        switch (kind)
        {
            case Kind.Identity: z.CopyTo(h); break;
            case Kind.Tanh: TensorPrimitives.Tanh(z, h); break;
            case Kind.Relu: TensorPrimitives.Max(z, T.Zero, h); break;
            case Kind.Logistic: TensorPrimitives.Sigmoid(z, h); break;
            case Kind.LeakyRelu:
                for (int i = 0; i < z.Length; i++) h[i] = z[i] > T.Zero ? z[i] : slope * z[i];
                break;
            case Kind.Softplus:
                for (int i = 0; i < z.Length; i++) h[i] = T.Max(z[i], T.Zero) + T.LogP1(T.Exp(-T.Abs(z[i])));
                break;
            case Kind.HardSigmoid:
                T six = T.CreateChecked(6.0), half = T.CreateChecked(0.5);
                for (int i = 0; i < z.Length; i++) h[i] = T.Clamp(z[i] / six + half, T.Zero, T.One);
                break;
            default:
                for (int i = 0; i < z.Length; i++) h[i] = T.Clamp(z[i], T.Zero, T.One);
                break;
        }
    }

    /// <summary>δ ← δ ⊙ f′(z) for layer <paramref name="l"/>, fused in one pass (no derivative buffer).</summary>
    private void MultiplyByDerivative(int l, int batch)
    {
        int count = batch * _width[l];
        Span<T> delta = _delta[l].AsSpan(0, count);
        ReadOnlySpan<T> z = _z[l].AsSpan(0, count), h = _h[l].AsSpan(0, count);
        int i = 0;
        switch (_kind[l])
        {
            case Kind.Identity: return;
            case Kind.Tanh:
                if (Vector.IsHardwareAccelerated)
                {
                    var one = Vector<T>.One;
                    for (; i <= count - Vector<T>.Count; i += Vector<T>.Count)
                    {
                        var hv = new Vector<T>(h[i..]);
                        (new Vector<T>(delta[i..]) * (one - hv * hv)).CopyTo(delta[i..]);
                    }
                }
                for (; i < count; i++) delta[i] *= T.One - h[i] * h[i];
                return;
            case Kind.Logistic:
                for (; i < count; i++) delta[i] *= h[i] * (T.One - h[i]);
                return;
            case Kind.Relu:
                for (; i < count; i++) if (!(z[i] > T.Zero)) delta[i] = T.Zero;
                return;
            case Kind.LeakyRelu:
                for (; i < count; i++) if (!(z[i] > T.Zero)) delta[i] *= _slope[l];
                return;
            default:
                Span<T> d = _derivative.AsSpan(0, count);
                Derivative(l, d);
                TensorPrimitives.Multiply(delta, d, delta);
                return;
        }
    }

    /// <summary>d ← f′(z) of layer <paramref name="l"/> over d.Length values, as the float64 activations' Derivative.</summary>
    private void Derivative(int l, Span<T> d)
    {
        ReadOnlySpan<T> z = _z[l].AsSpan(0, d.Length), h = _h[l].AsSpan(0, d.Length);
        switch (_kind[l])
        {
            case Kind.Identity: d.Fill(T.One); break;
            case Kind.Tanh: for (int i = 0; i < d.Length; i++) d[i] = T.One - h[i] * h[i]; break;
            case Kind.Logistic: for (int i = 0; i < d.Length; i++) d[i] = h[i] * (T.One - h[i]); break;
            case Kind.Relu: for (int i = 0; i < d.Length; i++) d[i] = z[i] > T.Zero ? T.One : T.Zero; break;
            case Kind.LeakyRelu:
                T slope = _slope[l];
                for (int i = 0; i < d.Length; i++) d[i] = z[i] > T.Zero ? T.One : slope;
                break;
            case Kind.Softplus: for (int i = 0; i < d.Length; i++) d[i] = T.One / (T.One + T.Exp(-z[i])); break;
            case Kind.HardSigmoid:
                T sixth = T.CreateChecked(1.0 / 6.0), three = T.CreateChecked(3.0);
                for (int i = 0; i < d.Length; i++) d[i] = z[i] > -three && z[i] < three ? sixth : T.Zero;
                break;
            default: for (int i = 0; i < d.Length; i++) d[i] = z[i] > T.Zero && z[i] < T.One ? T.One : T.Zero; break;
        }
    }

    /// <summary>
    /// GAIT-prop and ITP's errors δ_1 … δ_{L−1} (<see cref="GaitProp.ComputeUpdates"/>, operation for operation): e_L = B δ_L ⊘ f′(a_L);
    /// for l = L … 2, k = γ f′(a_l)² (ITP: γ), u = y_l − k ⊙ e_l, e_{l−1} = s_l⁻¹ W_l⁻¹ (f⁻¹(y_l) − f⁻¹(u)), δ_{l−1} = e_{l−1} ⊙ f′(a_{l−1}) / (B γ^{L−l+1}).
/// f⁻¹(y_l) − f⁻¹(u) is taken without cancellation (<see cref="GaitProp.InverseDifference"/>): in float32 y − u would lose
/// every digit of an O(γ³) step.
    /// </summary>
    private void TargetErrors(int batch)
    {
        var product = Trainer.Network.Product;
        var gait = _gait!;
        bool adjusted = gait.GradientAdjusted;
        T gamma = T.CreateChecked(gait.Gamma), rows = T.CreateChecked(batch);
        int count = batch * _width[_layers];
        Span<T> d = _derivative.AsSpan(0, count), e = _error.AsSpan(0, count);
        Derivative(_layers, d);
        ReadOnlySpan<T> deltaTop = _delta[_layers].AsSpan(0, count);
        for (int i = 0; i < count; i++) e[i] = rows * deltaTop[i] / d[i]; // per-sample ∂ℓ/∂y_L; f′ ≥ slope > 0
        double scale = 1.0 / batch;
        for (int l = _layers; l >= 2; l--)
        {
            int n = _width[l], below = _width[l - 1];
            count = batch * n;
            d = _derivative.AsSpan(0, count);
            e = _error.AsSpan(0, count);
            Derivative(l, d);
            ReadOnlySpan<T> h = _h[l].AsSpan(0, count);
            T slope = _kind[l] == Kind.LeakyRelu ? _slope[l] : T.One;
            Span<T> diff = _difference.AsSpan(0, count);
            for (int i = 0; i < count; i++)
            {
                T k = adjusted ? gamma * d[i] * d[i] : gamma;
                T step = k * e[i];
                diff[i] = GaitProp.InverseDifference(h[i], h[i] - step, step, slope); // f⁻¹(y_l) − f⁻¹(u), u = (1 − k) y_l + k t_l
            }
            Multiply(product, false, true, batch, below, n, T.One / _scale[l], diff, _inverse[l], T.Zero, _error.AsSpan(0, batch * below));
            scale /= gait.Gamma;
            int countBelow = batch * below;
            Span<T> db = _derivative.AsSpan(0, countBelow), delta = _delta[l - 1].AsSpan(0, countBelow);
            Derivative(l - 1, db);
            ReadOnlySpan<T> eb = _error.AsSpan(0, countBelow);
            T s = T.CreateChecked(scale);
            for (int i = 0; i < countBelow; i++) delta[i] = eb[i] * db[i] * s;
        }
    }

    /// <summary>GAIT-prop's soft orthogonality penalty: ΔW_l += 4λ W_l O, O = W_lᵀW_l with its diagonal set to zero.</summary>
    private void AddOrthogonalityGradients()
    {
        var product = Trainer.Network.Product;
        T alpha = T.CreateChecked(4 * _gait!.Orthogonality);
        for (int l = 1; l <= _layers; l++)
        {
            int n = _width[l - 1];
            Span<T> gram = _gram.AsSpan(0, n * n);
            Multiply(product, true, false, n, n, _width[l], T.One, _w[l], _w[l], T.Zero, gram);
            for (int i = 0; i < n; i++) gram[i * n + i] = T.Zero;
            Multiply(product, false, false, _width[l], n, n, alpha, _w[l], gram, T.One, _gw[l]);
        }
    }

    private double OutputError(ReadOnlySpan<T> targets, int batch)
    {
        int k = _width[_layers];
        T inv = T.One / T.CreateChecked(batch);
        Span<T> deltaAll = _delta[_layers];
        double loss = 0;
        if (_softmax)
        {
            if (_kind[_layers] != Kind.Identity)
                throw new InvalidOperationException("softmax-cross-entropy applies the softmax itself: the output layer must have activation 'identity'.");
            for (int r = 0; r < batch; r++)
            {
                ReadOnlySpan<T> z = _z[_layers].AsSpan(r * k, k), y = targets.Slice(r * k, k);
                Span<T> delta = deltaAll.Slice(r * k, k);
                T max = T.NegativeInfinity;
                for (int j = 0; j < k; j++) max = T.Max(max, z[j]);
                T s = T.Zero;
                for (int j = 0; j < k; j++) s += T.Exp(z[j] - max);
                T logS = T.Log(s) + max;
                for (int j = 0; j < k; j++)
                {
                    T logP = z[j] - logS;
                    if (y[j] != T.Zero) loss -= double.CreateTruncating(y[j] * logP);
                    delta[j] = (T.Exp(logP) - y[j]) * inv;
                }
            }
            return loss / batch;
        }
        // mse: L = 1/(2B) Σ (h − y)² over the task units, δ = (h − y) f′(z) / B there and 0 on auxiliary units (their target
        // is their own activity), in the float64 loss's order of operations.
        int task = _taskOutputs;
        Span<T> d = _derivative.AsSpan(0, batch * k);
        Derivative(_layers, d);
        ReadOnlySpan<T> h = _h[_layers];
        for (int r = 0; r < batch; r++)
        {
            for (int j = 0; j < task; j++)
            {
                int i = r * k + j;
                T e = h[i] - targets[r * task + j];
                loss += double.CreateTruncating(e * e);
                deltaAll[i] = e * d[i] * inv;
            }
            deltaAll.Slice(r * k + task, k - task).Clear();
        }
        return 0.5 * loss * (1.0 / batch);
    }

    private void PropagateErrors(int batch)
    {
        var product = Trainer.Network.Product;
        int nOut = _width[_layers];
        for (int l = _layers - 1; l >= 1; l--)
        {
            int n = _width[l], above = _width[l + 1];
            switch (_signal)
            {
                case Signal.Backprop:
                    Multiply(product, false, false, batch, n, above, _scale[l + 1], _delta[l + 1].AsSpan(0, batch * above), _w[l + 1], T.Zero, _delta[l].AsSpan(0, batch * n));
                    break;
                case Signal.Feedback:
                    Multiply(product, false, true, batch, n, above, _scale[l + 1], _delta[l + 1].AsSpan(0, batch * above), _feedback[l - 1], T.Zero, _delta[l].AsSpan(0, batch * n));
                    break;
                default:
                    Multiply(product, false, true, batch, n, nOut, T.One, _delta[_layers].AsSpan(0, batch * nOut), _feedback[l - 1], T.Zero, _delta[l].AsSpan(0, batch * n));
                    break;
            }
            MultiplyByDerivative(l, batch);
        }
    }

    private void Updates(int batch)
    {
        var product = Trainer.Network.Product;
        for (int l = 1; l <= _layers; l++)
        {
            int n = _width[l], k = _width[l - 1];
            ReadOnlySpan<T> delta = _delta[l].AsSpan(0, batch * n);
            if (_l2[l] != T.Zero) _w[l].CopyTo(_gw[l], 0);
            Multiply(product, true, false, n, k, batch, _scale[l], delta, _h[l - 1].AsSpan(0, batch * k), _l2[l], _gw[l]);
            if (_gb[l] is { } gb)
            {
                gb.AsSpan().Clear();
                for (int r = 0; r < batch; r++) TensorPrimitives.Add(gb, delta.Slice(r * n, n), gb);
            }
        }
    }

    private void OptimiserStep()
    {
        var optimiser = (ElementwiseOptimiser)Trainer.Optimiser;
        optimiser.CountStep();
        int t = 0;
        for (int l = 1; l <= _layers; l++)
        {
            Update(optimiser, t++, _w[l], _gw[l]);
            if (_b[l] is { } b) Update(optimiser, t++, b, _gb[l]!);
        }
    }

    private void Update(ElementwiseOptimiser optimiser, int tensor, Span<T> p, ReadOnlySpan<T> g)
    {
        T eta = T.CreateChecked(optimiser.LearningRate * optimiser.RateScale);
        int i = 0, n = p.Length, w = Vector<T>.Count;
        if (optimiser is Adam adam)
        {
            Span<T> m = _moments[0][tensor], v = _moments[1][tensor];
            T b1 = T.CreateChecked(adam.Beta1), b2 = T.CreateChecked(adam.Beta2), eps = T.CreateChecked(adam.Epsilon);
            T b1c = T.One - b1, b2c = T.One - b2;
            T c1 = adam.BiasCorrection ? T.CreateChecked(1.0 / (1.0 - Math.Pow(adam.Beta1, optimiser.Steps))) : T.One;
            T c2 = adam.BiasCorrection ? T.CreateChecked(1.0 / (1.0 - Math.Pow(adam.Beta2, optimiser.Steps))) : T.One;
            if (Vector.IsHardwareAccelerated)
            {
                Vector<T> vb1 = new(b1), vb1c = new(b1c), vb2 = new(b2), vb2c = new(b2c), vc1 = new(c1), vc2 = new(c2), veta = new(eta), veps = new(eps);
                for (; i <= n - w; i += w)
                {
                    var gi = new Vector<T>(g[i..]);
                    var mi = vb1 * new Vector<T>(m[i..]) + vb1c * gi;
                    var vi = vb2 * new Vector<T>(v[i..]) + vb2c * gi * gi;
                    mi.CopyTo(m[i..]);
                    vi.CopyTo(v[i..]);
                    (new Vector<T>(p[i..]) - veta * (mi * vc1) / (Vector.SquareRoot(vi * vc2) + veps)).CopyTo(p[i..]);
                }
            }
            for (; i < n; i++)
            {
                T gi = g[i];
                m[i] = b1 * m[i] + b1c * gi;
                v[i] = b2 * v[i] + b2c * gi * gi;
                p[i] -= eta * (m[i] * c1) / (T.Sqrt(v[i] * c2) + eps);
            }
        }
        else if (optimiser is RmsProp rms)
        {
            // v ← αv + (1−α)g², θ ← θ − η g/(√v + ε), in RmsProp's order of operations.
            Span<T> v = _moments[0][tensor];
            T alpha = T.CreateChecked(rms.Alpha), alphac = T.CreateChecked(1 - rms.Alpha), eps = T.CreateChecked(rms.Epsilon);
            for (; i < n; i++)
            {
                T gi = g[i];
                v[i] = alpha * v[i] + alphac * gi * gi;
                p[i] -= eta * gi / (T.Sqrt(v[i]) + eps);
            }
        }
        else
        {
            Span<T> v = _moments[0][tensor];
            T mu = T.CreateChecked(((SgdMomentum)optimiser).Momentum);
            if (Vector.IsHardwareAccelerated)
            {
                Vector<T> vmu = new(mu), veta = new(eta);
                for (; i <= n - w; i += w)
                {
                    var vi = vmu * new Vector<T>(v[i..]) + new Vector<T>(g[i..]);
                    vi.CopyTo(v[i..]);
                    (new Vector<T>(p[i..]) - veta * vi).CopyTo(p[i..]);
                }
            }
            for (; i < n; i++)
            {
                v[i] = mu * v[i] + g[i];
                p[i] -= eta * v[i];
            }
        }
    }

    // ITrainingProblem: the one training loop drives this trainer on a data set.

    /// <summary>Trains on <paramref name="train"/> for options.Epochs epochs on the one <see cref="TrainingLoop"/>, evaluating on
    /// <paramref name="test"/> after each; the float64 network holds the final weights afterwards.</summary>
    public TrainingHistory Train(Dataset train, Dataset? test, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        if (options.BatchSize > _maxBatch)
            throw new ArgumentException($"BatchSize {options.BatchSize} exceeds the trainer's maximum batch {_maxBatch}.", nameof(options));
        if (train.InputSize != _width[0] || train.OutputSize != _taskOutputs)
            throw new ArgumentException($"Data set '{train.Name}' has {train.InputSize} inputs and {train.OutputSize} targets per sample; the network takes {_width[0]} and the loss expects {_taskOutputs}.");
        (_train, _test, _evaluationBatch) = (train, test, options.EvaluationBatch);
        try
        {
            return TrainingLoop.Run(this, options);
        }
        finally
        {
            Push();
        }
    }

    /// <inheritdoc/>
    int ITrainingProblem.Samples => _train?.Count ?? 0;

    /// <inheritdoc/>
    double ITrainingProblem.Step(ReadOnlySpan<int> batch)
    {
        var data = _train!;
        Gather(data, batch);
        return Step(_h[0], _targets, batch.Length);
    }

    private void Gather(Dataset data, ReadOnlySpan<int> rows)
    {
        int nIn = data.InputSize, nOut = data.OutputSize;
        for (int r = 0; r < rows.Length; r++)
        {
            int s = rows[r];
            Convert<float, T>(data.Inputs.AsSpan(s * nIn, nIn), _h[0].AsSpan(r * nIn, nIn));
            Span<T> y = _targets.AsSpan(r * nOut, nOut);
            if (data.Labels is { } labels)
            {
                y.Clear();
                y[labels[s]] = T.One;
            }
            else Convert<float, T>(data.Targets.AsSpan(s * nOut, nOut), y);
        }
    }

    /// <inheritdoc/>
    Divergence? ITrainingProblem.Diagnose(double loss, double limit)
    {
        bool finite = true;
        for (int l = 1; l <= _layers && finite; l++)
            finite = IsFinite(_w[l]) && (_b[l] is not { } b || IsFinite(b));
        if (double.IsFinite(loss) && loss <= limit && finite) return null;
        Push();
        return Trainer.Diagnose(loss, limit);
    }

    private static bool IsFinite(ReadOnlySpan<T> x)
    {
        // x·0 is 0 for a finite x and NaN otherwise; a NaN makes the sum NaN.
        T s = TensorPrimitives.Dot(x, x) * T.Zero;
        return s == T.Zero;
    }

    /// <inheritdoc/>
    (double Loss, double Accuracy) ITrainingProblem.Evaluate() => _test is null ? (double.NaN, double.NaN) : Evaluate(_test, _evaluationBatch);

    /// <summary>Mean loss and (for classification) accuracy of the <typeparamref name="T"/> network on <paramref name="data"/>.</summary>
    public (double Loss, double Accuracy) Evaluate(Dataset data, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(data);
        batchSize = Math.Min(batchSize, _maxBatch);
        var rows = new int[batchSize];
        double loss = 0;
        int correct = 0, n = _width[_layers], task = _taskOutputs;   // argmax over the task units, not auxiliary ones
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int b = Math.Min(batchSize, data.Count - start);
            for (int i = 0; i < b; i++) rows[i] = start + i;
            Gather(data, rows.AsSpan(0, b));
            Forward(b);
            if (_infomax is not null) InfomaxInfer(_infomax, b);   // prediction is the settled free phase
            loss += OutputError(_targets, b) * b;
            if (data.Labels is { } labels)
            {
                ReadOnlySpan<T> z = _z[_layers];
                for (int r = 0; r < b; r++)
                {
                    int best = 0;
                    for (int j = 1; j < task; j++) if (z[r * n + j] > z[r * n + best]) best = j;
                    if (best == labels[start + r]) correct++;
                }
            }
        }
        return (loss / data.Count, data.IsClassification ? (double)correct / data.Count : double.NaN);
    }

    /// <inheritdoc/>
    void ITrainingProblem.ScaleRates(double factor) => Trainer.ScaleRates(factor);
}
