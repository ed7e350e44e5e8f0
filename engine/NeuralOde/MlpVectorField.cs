using System.Numerics.Tensors;

namespace BioSim.Engine.NeuralOde;

/// <summary>Hidden-layer nonlinearity of an <see cref="MlpVectorField"/>.</summary>
public enum Activation
{
    /// <summary>tanh(z); derivative 1 − tanh²(z).</summary>
    Tanh,

    /// <summary>softplus(z) = log(1 + e^z); derivative the logistic σ(z).</summary>
    Softplus,
}

/// <summary>
/// A multilayer perceptron vector field f(t, x) = W_L σ(… σ(W_1 [x; t] + b_1) …) + b_L: hidden layers with
/// tanh or softplus, a linear output layer of size d, optionally the time t appended to the input.
/// </summary>
/// <remarks>
/// <para>Parameters, flat, layer by layer: W_l (out × in, row-major) then b_l. This is the layout of
/// PyTorch's <c>nn.Linear</c> (weight [out, in], bias [out]), which the reference script uses.</para>
/// <para>Tape: for each layer its input a_l and pre-activation z_l; the VJP runs the chain rule backwards:
/// δ ← δ ∘ σ'(z_l) (hidden layers), ∂W_l += δ a_lᵀ, ∂b_l += δ, δ ← W_lᵀ δ.</para>
/// </remarks>
public sealed class MlpVectorField : IParametricVectorField
{
    private readonly int[] _sizes;            // layer widths, input first (d or d + 1), output d last
    private readonly int[] _weightOffset, _biasOffset, _inputOffset, _preOffset;
    private readonly double[] _theta;
    private readonly double[] _scratch, _delta, _deltaNext;

    /// <summary>Creates the field with all parameters zero; see <see cref="InitializeRandom"/>.</summary>
    /// <param name="dimension">State dimension d (input and output width).</param>
    /// <param name="hidden">Widths of the hidden layers (may be empty: a linear field).</param>
    /// <param name="activation">Hidden nonlinearity.</param>
    /// <param name="timeInput">Whether t is appended to the input.</param>
    public MlpVectorField(int dimension, IReadOnlyList<int> hidden, Activation activation = Activation.Tanh, bool timeInput = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentNullException.ThrowIfNull(hidden);
        Dimension = dimension;
        ActivationFunction = activation;
        TimeInput = timeInput;
        _sizes = new int[hidden.Count + 2];
        _sizes[0] = dimension + (timeInput ? 1 : 0);
        for (int i = 0; i < hidden.Count; i++)
        {
            if (hidden[i] <= 0) throw new ArgumentOutOfRangeException(nameof(hidden), hidden[i], $"Hidden layer {i} must have a positive width.");
            _sizes[i + 1] = hidden[i];
        }
        _sizes[^1] = dimension;
        int layers = _sizes.Length - 1;
        _weightOffset = new int[layers];
        _biasOffset = new int[layers];
        _inputOffset = new int[layers];
        _preOffset = new int[layers];
        int p = 0, tape = 0, widest = 0;
        for (int l = 0; l < layers; l++)
        {
            _weightOffset[l] = p;
            p += _sizes[l + 1] * _sizes[l];
            _biasOffset[l] = p;
            p += _sizes[l + 1];
            _inputOffset[l] = tape;
            tape += _sizes[l];
            _preOffset[l] = tape;
            tape += _sizes[l + 1];
            widest = Math.Max(widest, Math.Max(_sizes[l], _sizes[l + 1]));
        }
        _theta = new double[p];
        TapeLength = tape;
        _scratch = new double[tape];
        _delta = new double[widest];
        _deltaNext = new double[widest];
    }

    /// <inheritdoc/>
    public int Dimension { get; }

    /// <summary>The hidden nonlinearity.</summary>
    public Activation ActivationFunction { get; }

    /// <summary>Whether t is an input.</summary>
    public bool TimeInput { get; }

    /// <summary>Layer widths, input first.</summary>
    public IReadOnlyList<int> LayerSizes => _sizes;

    /// <inheritdoc/>
    public Span<double> Parameters => _theta;

    /// <inheritdoc/>
    public int ParameterCount => _theta.Length;

    /// <inheritdoc/>
    public int TapeLength { get; }

    /// <summary>Offset of W_l in <see cref="Parameters"/> (l = 0 is the first layer).</summary>
    public int WeightOffset(int layer) => _weightOffset[layer];

    /// <summary>Offset of b_l in <see cref="Parameters"/>.</summary>
    public int BiasOffset(int layer) => _biasOffset[layer];

    /// <summary>Glorot-uniform weights (±sqrt(6 / (in + out))) and zero biases from a seeded generator.</summary>
    public void InitializeRandom(int seed, double gain = 1.0)
    {
        var random = new System.Random(seed);
        Array.Clear(_theta);
        for (int l = 0; l < _sizes.Length - 1; l++)
        {
            double limit = gain * Math.Sqrt(6.0 / (_sizes[l] + _sizes[l + 1]));
            int count = _sizes[l] * _sizes[l + 1];
            for (int i = 0; i < count; i++) _theta[_weightOffset[l] + i] = limit * (2 * random.NextDouble() - 1);
        }
    }

    /// <inheritdoc/>
    public void Evaluate(double t, ReadOnlySpan<double> x, Span<double> dxdt, Span<double> tape)
    {
        FieldChecks.Lengths(this, x, dxdt, tape);
        Span<double> record = tape.IsEmpty ? _scratch : tape;
        Span<double> input = record.Slice(_inputOffset[0], _sizes[0]);
        x.CopyTo(input);
        if (TimeInput) input[^1] = t;
        int layers = _sizes.Length - 1;
        for (int l = 0; l < layers; l++)
        {
            int nIn = _sizes[l], nOut = _sizes[l + 1];
            ReadOnlySpan<double> a = record.Slice(_inputOffset[l], nIn);
            Span<double> z = record.Slice(_preOffset[l], nOut);
            ReadOnlySpan<double> w = _theta.AsSpan(_weightOffset[l], nOut * nIn);
            ReadOnlySpan<double> b = _theta.AsSpan(_biasOffset[l], nOut);
            for (int o = 0; o < nOut; o++) z[o] = TensorPrimitives.Dot(w.Slice(o * nIn, nIn), a) + b[o];
            if (l == layers - 1)
            {
                z.CopyTo(dxdt);
            }
            else
            {
                Span<double> next = record.Slice(_inputOffset[l + 1], nOut);
                if (ActivationFunction == Activation.Tanh) TensorPrimitives.Tanh(z, next);
                else Softplus(z, next);
            }
        }
    }

    /// <inheritdoc/>
    public void VectorJacobianProduct(ReadOnlySpan<double> tape, ReadOnlySpan<double> v, Span<double> stateGradient, Span<double> parameterGradient)
    {
        FieldChecks.VjpLengths(this, tape, v, stateGradient, parameterGradient);
        int layers = _sizes.Length - 1;
        Span<double> delta = _delta.AsSpan(0, Dimension);
        v.CopyTo(delta);
        for (int l = layers - 1; l >= 0; l--)
        {
            int nIn = _sizes[l], nOut = _sizes[l + 1];
            delta = _delta.AsSpan(0, nOut);
            if (l < layers - 1)
            {
                // δ ∘ σ'(z): tanh' = 1 − a² with a = tanh(z) the next layer's input; softplus' = logistic(z).
                ReadOnlySpan<double> z = tape.Slice(_preOffset[l], nOut);
                ReadOnlySpan<double> a = tape.Slice(_inputOffset[l + 1], nOut);
                for (int o = 0; o < nOut; o++)
                {
                    double slope = ActivationFunction == Activation.Tanh ? 1 - a[o] * a[o] : 1 / (1 + Math.Exp(-z[o]));
                    delta[o] *= slope;
                }
            }
            ReadOnlySpan<double> input = tape.Slice(_inputOffset[l], nIn);
            Span<double> gw = parameterGradient.Slice(_weightOffset[l], nOut * nIn);
            Span<double> gb = parameterGradient.Slice(_biasOffset[l], nOut);
            ReadOnlySpan<double> w = _theta.AsSpan(_weightOffset[l], nOut * nIn);
            Span<double> next = _deltaNext.AsSpan(0, nIn);
            next.Clear();
            for (int o = 0; o < nOut; o++)
            {
                double d = delta[o];
                gb[o] += d;
                if (d == 0) continue;
                TensorPrimitives.MultiplyAdd(input, d, gw.Slice(o * nIn, nIn), gw.Slice(o * nIn, nIn));
                TensorPrimitives.MultiplyAdd(w.Slice(o * nIn, nIn), d, next, next);
            }
            next.CopyTo(_delta.AsSpan(0, nIn));
        }
        _delta.AsSpan(0, Dimension).CopyTo(stateGradient);
    }

    /// <summary>softplus(z) = log(1 + e^z), evaluated without overflow as max(z, 0) + log1p(e^−|z|).</summary>
    private static void Softplus(ReadOnlySpan<double> z, Span<double> result)
    {
        for (int i = 0; i < z.Length; i++)
        {
            double v = z[i];
            result[i] = Math.Max(v, 0) + double.LogP1(Math.Exp(-Math.Abs(v)));
        }
    }
}
