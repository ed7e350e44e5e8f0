using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Numerics.Tensors;
using BioSim.Engine.Numerics;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;
using BioSim.Plasticity.Networks;

namespace BioSim.Plasticity.Rules;

/// <summary>
/// GAIT-prop, gradient-adjusted incremental target propagation (Ahmad, van Gerven &amp; Ambrogioni 2020,
/// NeurIPS, "GAIT-prop: A biologically plausible learning rule derived from backpropagation of error";
/// details as in the official code, github.com/nasiryahm/GAIT-prop, inv_net.py <c>get_gait_updates</c>).
/// Every layer is square and invertible, y_l = g_l(y_{l−1}) = f(s W_l y_{l−1} + b_l) with f a leaky ReLU
/// (the paper: slope 0.1, activation "leaky-relu:0.1") or the identity. Each layer is taught a target
/// that is a small move of its own forward activity towards the target of the layer above, carried down
/// through the exact inverse of each layer:
/// <code>
///   e_L     = ∂ℓ/∂y_L per sample                   (MSE: y_L − t_L; from the loss's δ_L as B δ_L ⊘ f′(a_L))
///   k_l     = γ f′(a_l)²                            (f′ at the forward pass's pre-activation a_l)
///   t_{l−1} = g_l⁻¹((1 − k_l) ⊙ y_l + k_l ⊙ t_l),   e_{l−1} = y_{l−1} − t_{l−1}
///   ΔW_l    = s_l δ_lᵀ y_{l−1},  δ_l = e_l ⊙ f′(a_l) / (B γ^{L−l}),   Δb_l = Σ_rows δ_l
/// </code>
/// The division by γ^{L−l} is the official code's <c>mult_factor</c>: the targets of lower layers move
/// by γ^{L−l}, and rescaling brings their updates to backprop's size. With orthogonal weights
/// (W⁻¹ = Wᵀ) and γ → 0 the updates are backprop's (for a piecewise-linear f, exactly, unless a target
/// crosses the kink). The trainer refreshes the inverses W_l⁻¹ (l = 2 … L; layer 1 is never inverted)
/// after every optimiser step through <see cref="IUpdateListener"/>, as the official code recomputes them
/// with a full inverse after every update; they are the rule's checkpointed state ("Winv{l}").
/// <see cref="IncrementalTargetPropagation"/> ("itp") is this rule with k_l = γ. Both also train in float32
/// (<see cref="Training.PrecisionTrainer{T}"/>, the same operations in float with the inverses from double).
/// <para>
/// Numerics: e_{l−1} is computed as s_l⁻¹ W_l⁻¹ (f⁻¹(y_l) − f⁻¹(u_l)) with u_l = y_l − k_l ⊙ e_l. That is
/// y_{l−1} − g_l⁻¹(u_l) with y_{l−1} replaced by g_l⁻¹(y_l), equal when the inverse is exact, but it never
/// subtracts two O(1) activities to get an O(γ^{L−l}) difference: f⁻¹(y_l) − f⁻¹(u_l) is k_l e_l itself
/// (÷ the slope on the negative side) where y_l and u_l lie on one side of the kink, and a sum of two terms
/// of one sign across it. So the rescaled errors keep their digits (in float32 too, where y − u would leave
/// nothing of an O(γ³) step), and a zero output error gives exactly zero updates. The tests compare it with
/// the literal form written as loops.
/// </para>
/// <para>
/// The soft orthogonality penalty of the published runs (λ = 0.1) adds ∂/∂W λ Σ_{i≠j} G_ij² = 4λ W O to
/// every layer's update, with G the Gram matrix of the weights summed over output units (W Wᵀ in the
/// official code, whose W is inputs × outputs; WᵀW here, where W is outputs × inputs) and O its
/// off-diagonal part. Off by default (<see cref="Orthogonality"/> = 0), like the L2 penalty of a layer.
/// The published runs also start from orthogonal weights (<see cref="InitialiseOrthogonal"/>), train with
/// the MSE loss on 784-wide layers whose output layer has 774 auxiliary units (<see cref="MeanSquaredError"/>
/// with taskOutputs 10) and use Adam without bias correction (β₁ 0.9, β₂ 0.99, ε 1e-8, η 1e-4, batch 60).
/// </para>
/// </summary>
public class GaitProp : ICreditAssignmentRule, IUpdateListener
{
    private readonly bool _gradientAdjusted;
    private readonly string _name;
    private double[][] _inverse = [];
    private int[] _pivots = [];
    private double[] _work = [];
    private double[] _error = [];
    private double[] _difference = [];
    private double[] _gram = [];

    /// <summary>GAIT-prop: the increment k_l = γ f′(a_l)².</summary>
    public GaitProp() : this(gradientAdjusted: true, "gait-prop") { }

    /// <summary>For <see cref="IncrementalTargetPropagation"/>: <paramref name="gradientAdjusted"/> false makes the increment
    /// k_l = γ (no f′² weighting); <paramref name="name"/> is the rule's catalogue name, used in messages.</summary>
    private protected GaitProp(bool gradientAdjusted, string name)
    {
        _gradientAdjusted = gradientAdjusted;
        _name = name;
    }

    /// <summary>True for GAIT-prop (k_l = γ f′(a_l)²), false for ITP (k_l = γ).</summary>
    public bool GradientAdjusted => _gradientAdjusted;

    /// <summary>γ, the size of the target increment (0 &lt; γ ≤ 1; the published runs use 1e-3).</summary>
    public double Gamma { get; init; } = 1e-3;

    /// <summary>λ of the soft orthogonality penalty λ Σ_{i≠j} (WᵀW)_ij² (≥ 0; default 0, the published runs use 0.1).</summary>
    public double Orthogonality { get; init; }

    /// <summary>W_l⁻¹ (row-major n × n) for l = 2 … L at index l − 1; index 0 is empty (layer 1 is never inverted).</summary>
    public IReadOnlyList<double[]> Inverses => _inverse;

    /// <inheritdoc/>
    [SuppressMessage("Usage", "CA2208", Justification = "The bad value is a property of the rule (Gamma, Orthogonality), not an argument; the message names it.")]
    public void Prepare(Network network, ulong seed)
    {
        if (!(Gamma > 0 && Gamma <= 1))
            throw new ArgumentOutOfRangeException(nameof(Gamma), Gamma, $"{_name}: Gamma (γ) must lie in (0, 1]; the published runs use 1e-3.");
        if (!(Orthogonality >= 0) || !double.IsFinite(Orthogonality))
            throw new ArgumentOutOfRangeException(nameof(Orthogonality), Orthogonality, $"{_name}: Orthogonality (λ) must be finite and ≥ 0; the published runs use 0.1.");
        Validate(network, _name);
        int widest = network.Layers.Max(l => l.Outputs);
        _inverse = new double[network.Layers.Count][];
        _inverse[0] = [];
        for (int l = 1; l < network.Layers.Count; l++) _inverse[l] = new double[network.Layers[l].Weights.Length];
        _pivots = new int[widest];
        _work = new double[MatrixInverse.WorkspaceLength(widest)];
        _gram = new double[widest * widest];
        AfterUpdate(network);
    }

    /// <summary>Recomputes every W_l⁻¹ (l ≥ 2) from the current weights.</summary>
    public void AfterUpdate(Network network)
    {
        CheckPrepared(network);
        for (int l = 1; l < network.Layers.Count; l++)
        {
            var layer = network.Layers[l];
            if (!MatrixInverse.TryInvert(layer.Weights, layer.Outputs, _inverse[l], _pivots, _work))
                throw new InvalidOperationException($"{_name}: the weights of {layer.Name} are singular (or not finite), so its inverse does not exist; lower the learning rate or raise the orthogonality penalty λ.");
        }
    }

    /// <inheritdoc/>
    public void ComputeUpdates(Network network, NetworkTape tape, ParameterGradients gradients)
    {
        CheckPrepared(network);
        int L = network.Layers.Count, batch = tape.Batch, widest = _pivots.Length;
        if (_error.Length < batch * widest)
        {
            _error = new double[tape.MaxBatch * widest];
            _difference = new double[tape.MaxBatch * widest];
        }
        var top = network.Layers[L - 1];
        int count = batch * top.Outputs;
        Span<double> d = tape.Derivative.AsSpan(0, count), e = _error.AsSpan(0, count);
        top.Activation.Derivative(tape.Z[L].AsSpan(0, count), tape.H[L].AsSpan(0, count), d);
        ReadOnlySpan<double> deltaTop = tape.Delta[L].AsSpan(0, count);
        for (int i = 0; i < count; i++) e[i] = batch * deltaTop[i] / d[i]; // per-sample ∂ℓ/∂y_L; f′ ≥ slope > 0

        double scale = 1.0 / batch;
        for (int l = L; l >= 2; l--)
        {
            var layer = network.Layers[l - 1];
            int n = layer.Outputs;
            count = batch * n;
            d = tape.Derivative.AsSpan(0, count);
            e = _error.AsSpan(0, count);
            ReadOnlySpan<double> h = tape.H[l].AsSpan(0, count);
            layer.Activation.Derivative(tape.Z[l].AsSpan(0, count), h, d);
            double slope = SlopeOf(layer.Activation);
            Span<double> diff = _difference.AsSpan(0, count);
            for (int i = 0; i < count; i++)
            {
                double k = _gradientAdjusted ? Gamma * d[i] * d[i] : Gamma;
                double step = k * e[i];
                diff[i] = InverseDifference(h[i], h[i] - step, step, slope); // f⁻¹(y_l) − f⁻¹(u), u = (1 − k) y_l + k t_l
            }
            // e_{l−1} = s⁻¹ W⁻¹ diff per row: E = s⁻¹ · Diff · W⁻ᵀ.
            network.Product.Multiply(false, true, batch, layer.Inputs, n, 1.0 / layer.Scale, diff, _inverse[l - 1], 0.0, _error.AsSpan(0, batch * layer.Inputs));
            scale /= Gamma;
            var below = network.Layers[l - 2];
            int countBelow = batch * below.Outputs;
            Span<double> db = tape.Derivative.AsSpan(0, countBelow);
            below.Activation.Derivative(tape.Z[l - 1].AsSpan(0, countBelow), tape.H[l - 1].AsSpan(0, countBelow), db);
            Span<double> delta = tape.Delta[l - 1].AsSpan(0, countBelow);
            ReadOnlySpan<double> eb = _error.AsSpan(0, countBelow);
            for (int i = 0; i < countBelow; i++) delta[i] = eb[i] * db[i] * scale;
        }
        LayerUpdates.FromErrors(network, tape, gradients);
        if (Orthogonality > 0)
            for (int l = 0; l < L; l++) AddOrthogonalityGradient(network, network.Layers[l], gradients.Weights[l]);
    }

    /// <summary>gradient += 4λ W O, O = WᵀW with its diagonal set to zero (∂/∂W of λ Σ_{i≠j} (WᵀW)_ij²).</summary>
    private void AddOrthogonalityGradient(Network network, DenseLayer layer, Span<double> gradient)
    {
        int n = layer.Inputs;
        Span<double> gram = _gram.AsSpan(0, n * n);
        network.Product.Multiply(true, false, n, n, layer.Outputs, 1.0, layer.Weights, layer.Weights, 0.0, gram);
        for (int i = 0; i < n; i++) gram[i * n + i] = 0;
        network.Product.Multiply(false, false, layer.Outputs, n, n, 4 * Orthogonality, layer.Weights, gram, 1.0, gradient);
    }

    private static double SlopeOf(Activation activation) => activation is LeakyRelu lr ? lr.Slope : 1.0;

    /// <summary>f⁻¹(y) − f⁻¹(u) for u = y − step without subtracting two O(1) numbers where both lie on one side of the
    /// kink: step there (÷ slope on the negative side); across the kink the two terms have one sign and add.</summary>
    internal static T InverseDifference<T>(T y, T u, T step, T slope) where T : IFloatingPointIeee754<T> =>
        y > T.Zero ? (u > T.Zero ? step : y - u / slope) : (u > T.Zero ? y / slope - u : step / slope);

    /// <summary>
    /// Sets every layer's W to a Haar-random orthogonal matrix (Gram-Schmidt, done twice, on rows of
    /// N(0, 1) draws from the stream (seed, "gait-prop", "W{l}"); the distribution of scipy's ortho_group
    /// that the official code uses) and its bias to zero, as the published runs start.
    /// </summary>
    public static void InitialiseOrthogonal(Network network, ulong seed)
    {
        foreach (var layer in network.Layers)
        {
            if (layer.Inputs != layer.Outputs)
                throw new ArgumentException($"gait-prop: an orthogonal initialisation needs square layers, but {layer.Name} is not square.", nameof(network));
            int n = layer.Outputs;
            var w = layer.Weights;
            var rng = new RandomStream(seed, "gait-prop", $"W{layer.Index}");
            for (int i = 0; i < w.Length; i++) w[i] = rng.NextGaussian();
            for (int i = 0; i < n; i++)
            {
                Span<double> row = w.AsSpan(i * n, n);
                for (int pass = 0; pass < 2; pass++)
                {
                    for (int j = 0; j < i; j++)
                    {
                        ReadOnlySpan<double> q = w.AsSpan(j * n, n);
                        TensorPrimitives.MultiplyAdd(q, -TensorPrimitives.Dot(q, row), row, row);
                    }
                }
                TensorPrimitives.Multiply(row, 1.0 / TensorPrimitives.Norm(row), row);
            }
            layer.Bias?.AsSpan().Clear();
        }
    }

    /// <summary>Throws, naming the layer and the fix, when <paramref name="network"/> cannot be trained by GAIT-prop
    /// (or by the rule named <paramref name="rule"/>, which inverts layers the same way).</summary>
    public static void Validate(Network network, string rule = "gait-prop")
    {
        foreach (var layer in network.Layers)
        {
            if (layer.Inputs != layer.Outputs)
            {
                string fix = layer.Index == network.Layers.Count
                    ? $"widen the output layer to {layer.Inputs} units and give the extra ones their own activity as target (new MeanSquaredError(taskOutputs: {layer.Outputs})), as the paper's 784-wide output layer with 10 class units does"
                    : layer.Index == 1
                        ? $"make it {layer.Inputs} wide like the input (the paper's networks are 784 wide throughout)"
                        : $"make it {layer.Inputs} wide like the layer below";
                throw new ArgumentException($"{rule} needs square, invertible layers: {layer.Name} maps {layer.Inputs} inputs to {layer.Outputs} units; {fix}.", nameof(network));
            }
            if (layer.Activation is not (LeakyRelu or Identity))
                throw new ArgumentException($"{rule} inverts each layer's non-linearity, but {layer.Name} has activation '{layer.Activation.Name}'; use 'leaky-relu:0.1' (the paper's) or 'identity'.", nameof(network));
        }
    }

    private void CheckPrepared(Network network)
    {
        if (_inverse.Length != network.Layers.Count)
            throw new InvalidOperationException($"{_name} holds inverses for {_inverse.Length} layers but the network has {network.Layers.Count}; call Prepare(network) first.");
        for (int l = 1; l < network.Layers.Count; l++)
        {
            var layer = network.Layers[l];
            if (_inverse[l].Length != layer.Weights.Length || layer.Outputs > _pivots.Length)
                throw new InvalidOperationException($"{_name}: the inverse held for layer {l + 1} has {_inverse[l].Length} entries but {layer.Name} needs {layer.Weights.Length}; call Prepare(network) for this network.");
        }
    }

    /// <inheritdoc/>
    public void SaveState(StateSnapshot snapshot, string prefix)
    {
        for (int l = 1; l < _inverse.Length; l++) snapshot.Put($"{prefix}Winv{l + 1}", _inverse[l]);
    }

    /// <inheritdoc/>
    public void LoadState(StateSnapshot snapshot, string prefix)
    {
        for (int l = 1; l < _inverse.Length; l++) snapshot.Get($"{prefix}Winv{l + 1}", _inverse[l]);
    }
}
