using System.Diagnostics.CodeAnalysis;
using BioSim.Engine.Numerics;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;

namespace BioSim.Plasticity.Networks;

/// <summary>
/// A layered feed-forward network of <see cref="DenseLayer"/>s. Activations of a minibatch are rows:
/// H_l = f(s_l H_{l−1} W_lᵀ + b_l) for a batch × width matrix H_{l−1}, computed with the one matrix
/// product passed in. The forward pass records z and h of every layer in a <see cref="NetworkTape"/>,
/// which the credit-assignment rules read.
/// </summary>
public sealed class Network : IStateful
{
    private readonly DenseLayer[] _layers;

    /// <summary>Builds the network; <paramref name="layers"/> lists the layers above the input.</summary>
    public Network(int inputSize, IReadOnlyList<LayerSpec> layers, IMatrixProduct product)
    {
        if (inputSize <= 0) throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, "The input size must be positive.");
        if (layers.Count == 0) throw new ArgumentException("A network needs at least one layer.", nameof(layers));
        Product = product;
        InputSize = inputSize;
        _layers = new DenseLayer[layers.Count];
        int width = inputSize;
        for (int l = 0; l < layers.Count; l++)
        {
            var s = layers[l];
            if (s.Size <= 0) throw new ArgumentException($"layer {l + 1}: size must be positive (got {s.Size}).", nameof(layers));
            if (!double.IsFinite(s.Scale) || s.Scale == 0) throw new ArgumentException($"layer {l + 1}: scale must be finite and non-zero (got {s.Scale}).", nameof(layers));
            if (!(s.L2 >= 0)) throw new ArgumentException($"layer {l + 1}: L2 must be ≥ 0 (got {s.L2}).", nameof(layers));
            _layers[l] = new DenseLayer(l + 1, width, s.Size, s.Activation, s.Bias, s.Scale, s.L2);
            width = s.Size;
        }
    }

    /// <summary>The batch matrix product every forward pass and rule uses.</summary>
    public IMatrixProduct Product { get; }

    /// <summary>Width of the input x = h_0.</summary>
    public int InputSize { get; }

    /// <summary>Width of the output layer L.</summary>
    public int OutputSize => _layers[^1].Outputs;

    /// <summary>Layers 1 … L, at index l − 1.</summary>
    public IReadOnlyList<DenseLayer> Layers => _layers;

    /// <summary>Number of weight and bias values.</summary>
    public int ParameterCount => _layers.Sum(l => l.Weights.Length + (l.Bias?.Length ?? 0));

    /// <summary>
    /// PyTorch's default initialisation for linear layers: W and b ~ U[−1/√n_in, 1/√n_in], drawn from
    /// the stream (seed, "network", "W{l}") so that each layer's values do not depend on the others' sizes.
    /// </summary>
    public void Initialise(ulong seed)
    {
        foreach (var layer in _layers)
        {
            double a = 1.0 / Math.Sqrt(layer.Inputs);
            Initialise(layer, new UniformDistribution(-a, a), seed);
        }
    }

    /// <summary>W drawn from <paramref name="weights"/>, b set to zero.</summary>
    [SuppressMessage("Performance", "CA1822", Justification = "Called as network.Initialise(layer, …) by initialisations, tests and benchmarks; it belongs with the network it initialises.")]
    public void Initialise(DenseLayer layer, Distribution weights, ulong seed, Distribution? bias = null)
    {
        var rng = new RandomStream(seed, "network", $"W{layer.Index}");
        for (int i = 0; i < layer.Weights.Length; i++) layer.Weights[i] = weights.Sample(ref rng);
        if (layer.Bias is { } b)
        {
            var rb = new RandomStream(seed, "network", $"b{layer.Index}");
            double a = 1.0 / Math.Sqrt(layer.Inputs);
            var d = bias ?? (weights is UniformDistribution ? new UniformDistribution(-a, a) : new ConstantDistribution(0));
            for (int i = 0; i < b.Length; i++) b[i] = d.Sample(ref rb);
        }
    }

    /// <summary>A tape for minibatches of up to <paramref name="maxBatch"/> rows.</summary>
    public NetworkTape CreateTape(int maxBatch) => new(this, maxBatch);

    /// <summary>Forward pass of <paramref name="batch"/> rows of <paramref name="input"/> (batch × InputSize), recorded on the tape.</summary>
    public void Forward(ReadOnlySpan<double> input, int batch, NetworkTape tape)
    {
        if (batch <= 0 || batch > tape.MaxBatch) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"The tape holds 1 to {tape.MaxBatch} rows.");
        if (input.Length < batch * InputSize)
            throw new ArgumentException($"The input has {input.Length} values; {batch} rows of {InputSize} need {batch * InputSize}.", nameof(input));
        tape.Batch = batch;
        input[..(batch * InputSize)].CopyTo(tape.H[0]);
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            Span<double> z = tape.Z[l + 1].AsSpan(0, batch * layer.Outputs);
            if (layer.Bias is { } b)
            {
                for (int r = 0; r < batch; r++) b.CopyTo(z.Slice(r * layer.Outputs, layer.Outputs));
            }
            Product.Multiply(false, true, batch, layer.Outputs, layer.Inputs, layer.Scale,
                tape.H[l].AsSpan(0, batch * layer.Inputs), layer.Weights, layer.Bias is null ? 0.0 : 1.0, z);
            layer.Activation.Forward(z, tape.H[l + 1].AsSpan(0, z.Length));
        }
    }

    /// <inheritdoc/>
    public void SaveState(StateSnapshot snapshot, string prefix)
    {
        foreach (var layer in _layers)
        {
            snapshot.Put($"{prefix}W{layer.Index}", layer.Weights);
            if (layer.Bias is { } b) snapshot.Put($"{prefix}b{layer.Index}", b);
        }
    }

    /// <inheritdoc/>
    public void LoadState(StateSnapshot snapshot, string prefix)
    {
        foreach (var layer in _layers)
        {
            snapshot.Get($"{prefix}W{layer.Index}", layer.Weights);
            if (layer.Bias is { } b) snapshot.Get($"{prefix}b{layer.Index}", b);
        }
    }
}
