using System.Numerics.Tensors;
using BioSim.Engine.NeuralOde;
using BioSim.Engine.Numerics;
using BioSim.Engine.Random;
using BioSim.Plasticity.Networks;

namespace BioSim.Plasticity.NeuralOde;

/// <summary>
/// A multilayer perceptron vector field f(t, x) = W_L σ(… σ(W_1 [x; t] + b_1) …) + b_L: hidden layers with any
/// <see cref="Activation"/> (tanh, softplus, …), a linear output layer of size d, optionally the time t appended
/// to the input.
/// </summary>
/// <remarks>
/// <para>Parameters, flat, layer by layer: W_l (out × in, row-major) then b_l. This is the layout of
/// PyTorch's <c>nn.Linear</c> (weight [out, in], bias [out]), which the reference script uses.</para>
/// <para>Tape: for each layer its input a_l and pre-activation z_l; the VJP runs the chain rule backwards:
/// δ ← δ ∘ σ'(z_l) (hidden layers), ∂W_l += δ a_lᵀ, ∂b_l += δ, δ ← W_lᵀ δ. Every product (W a, δ aᵀ, Wᵀ δ) goes
/// through the one <see cref="IMatrixProduct"/>, so the fastest kernel on the machine serves the field.</para>
/// </remarks>
public sealed class MlpVectorField : IParametricVectorField
{
    private readonly int[] _sizes;            // layer widths, input first (d or d + 1), output d last
    private readonly int[] _weightOffset, _biasOffset, _inputOffset, _preOffset;
    private readonly double[] _theta;
    private readonly double[] _scratch, _delta, _deltaNext, _slope;
    private readonly IMatrixProduct _product;

    /// <summary>Creates the field with all parameters zero; see <see cref="InitializeRandom"/>.</summary>
    /// <param name="dimension">State dimension d (input and output width).</param>
    /// <param name="hidden">Widths of the hidden layers (may be empty: a linear field).</param>
    /// <param name="activation">Hidden nonlinearity (default tanh).</param>
    /// <param name="timeInput">Whether t is appended to the input.</param>
    /// <param name="product">The matrix product (default the managed kernel, whose matrix-vector and rank-one paths are the
    /// fastest for one state at a time: see <see cref="ManagedMatrixProduct"/>).</param>
    public MlpVectorField(int dimension, IReadOnlyList<int> hidden, Activation? activation = null, bool timeInput = false, IMatrixProduct? product = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentNullException.ThrowIfNull(hidden);
        Dimension = dimension;
        ActivationFunction = activation ?? new Tanh();
        TimeInput = timeInput;
        _product = product ?? new ManagedMatrixProduct();
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
        _slope = new double[widest];
    }

    /// <inheritdoc/>
    public int Dimension { get; }

    /// <summary>The hidden nonlinearity.</summary>
    public Activation ActivationFunction { get; }

    /// <summary>Whether t is an input.</summary>
    public bool TimeInput { get; }

    /// <summary>Which matrix product the field uses.</summary>
    public string MatrixProduct => _product.Name;

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

    /// <summary>Glorot-uniform weights (±gain·sqrt(6 / (in + out))) and zero biases. W_l is drawn from the Philox stream
    /// (<paramref name="seed"/>, "mlp-vector-field", "W&lt;l&gt;"), so it depends on the seed and the layer alone.</summary>
    public void InitializeRandom(ulong seed, double gain = 1.0)
    {
        Array.Clear(_theta);
        for (int l = 0; l < _sizes.Length - 1; l++)
        {
            var random = new RandomStream(seed, "mlp-vector-field", $"W{l}");
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
            // z ← W a + b
            _theta.AsSpan(_biasOffset[l], nOut).CopyTo(z);
            _product.Multiply(false, false, nOut, 1, nIn, 1.0, _theta.AsSpan(_weightOffset[l], nOut * nIn), a, 1.0, z);
            if (l == layers - 1) z.CopyTo(dxdt);
            else ActivationFunction.Forward(z, record.Slice(_inputOffset[l + 1], nOut));
        }
    }

    /// <inheritdoc/>
    public void VectorJacobianProduct(ReadOnlySpan<double> tape, ReadOnlySpan<double> v, Span<double> stateGradient, Span<double> parameterGradient)
    {
        FieldChecks.VjpLengths(this, tape, v, stateGradient, parameterGradient);
        int layers = _sizes.Length - 1;
        v.CopyTo(_delta.AsSpan(0, Dimension));
        for (int l = layers - 1; l >= 0; l--)
        {
            int nIn = _sizes[l], nOut = _sizes[l + 1];
            Span<double> delta = _delta.AsSpan(0, nOut);
            if (l < layers - 1)
            {
                // δ ∘ σ'(z), σ' from z and the next layer's input a = σ(z).
                Span<double> slope = _slope.AsSpan(0, nOut);
                ActivationFunction.Derivative(tape.Slice(_preOffset[l], nOut), tape.Slice(_inputOffset[l + 1], nOut), slope);
                TensorPrimitives.Multiply(delta, slope, delta);
            }
            ReadOnlySpan<double> input = tape.Slice(_inputOffset[l], nIn);
            Span<double> gb = parameterGradient.Slice(_biasOffset[l], nOut);
            TensorPrimitives.Add(gb, delta, gb);
            // ∂W += δ aᵀ (a rank-one update), then δ ← Wᵀ δ.
            _product.Multiply(false, false, nOut, nIn, 1, 1.0, delta, input, 1.0, parameterGradient.Slice(_weightOffset[l], nOut * nIn));
            Span<double> next = _deltaNext.AsSpan(0, nIn);
            _product.Multiply(true, false, nIn, 1, nOut, 1.0, _theta.AsSpan(_weightOffset[l], nOut * nIn), delta, 0.0, next);
            next.CopyTo(_delta.AsSpan(0, nIn));
        }
        _delta.AsSpan(0, Dimension).CopyTo(stateGradient);
    }
}
