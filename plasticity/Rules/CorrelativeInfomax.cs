using BioSim.Engine.Random;
using BioSim.Engine.Simulation;
using BioSim.Plasticity.Networks;

namespace BioSim.Plasticity.Rules;

/// <summary>
/// Correlative information maximisation (Bozkurt, Pehlevan &amp; Erdogan 2023, NeurIPS, "Correlative Information
/// Maximization: A Biologically Plausible Approach to Supervised Deep Neural Networks without Weight Symmetry"),
/// in the form of the authors' code (github BariscanBozkurt/Supervised-CorInfoMax, src/ContrastiveModels.py,
/// class ContrastiveCorInfoMaxHopfield). Layer l (1 … L, rates h_l = f(u_l), h_0 = x) holds forward
/// prediction weights W_l (the network's, n_l × n_{l−1}, plus bias b_l if the layer has one), backward
/// prediction weights W^b_l (n_{l−1} × n_l, l ≥ 2, state of the rule) and lateral weights B_l (n_l × n_l, state),
/// B_l ≈ (R_l + εI)⁻¹ of the layer's activity correlation. With γ = (1 − λ)/λ and g the leak (the code's
/// hopfield_g), the somatic potentials follow, one Gauss-Seidel sweep per iteration from layer 1 up
/// (layer l sees the new h_{l−1} and the old h_l, h_{l+1}):
/// <code>
/// hidden: u_l += η_k [ −g u_l + (W_l h_{l−1} + b_l − u_l)/ε + 2γ B_l h_l + g h_l + (W^b_{l+1} h_{l+1} − u_l)/ε ]
/// output: u_L += η_k [ −g u_L + (W_L h_{L−1} + b_L − u_L)/ε + γ B_L h_L + g h_L − β (h_L − y) − u_L ]
/// η_k = max(η₀ / (1 + k·d), η_min), k = 0 … T−1 restarting in each phase
/// </code>
/// Free phase: β = 0, T_free iterations from u = h = 0. Nudged phase: β = ±|β| (sign drawn per minibatch from
/// the stream (seed, "correlative-infomax", "beta-sign") element = step; the code multiplies the previous β by a
/// random sign, which gives the same law), T_nudged iterations starting from
/// u = h = h_free (the code restarts the potentials at the free rates). With forward errors
/// e_l = h_l − (W_l h_{l−1} + b_l) and backward errors e^b_{l−1} = h_{l−1} − W^b_l h_l in each phase, and means
/// ⟨·⟩ over the minibatch:
/// <code>
/// ΔW_l (handed to the optimiser, which subtracts it) = (ρ_l/β) ⟨e_l,free h_{l−1,free}ᵀ − e_l,nudged h_{l−1,nudged}ᵀ⟩ + λ₂ W_l
/// Δb_l = (ρ_l/β) ⟨e_l,free − e_l,nudged⟩
/// W^b_l ← W^b_l − (ρ^b_l/β) ⟨e^b_{l−1,free} h_{l,free}ᵀ − e^b_{l−1,nudged} h_{l,nudged}ᵀ⟩   (applied by the rule)
/// B_l ← (B_l − γ ⟨z zᵀ⟩)/λ,  z = B_l h_l,nudged                                            (applied by the rule)
/// </code>
/// The last line is the matrix-inversion-lemma update of B = R⁻¹ for R ← λR + (1 − λ)⟨h hᵀ⟩ with the
/// denominator 1 + γ hᵀBh dropped, as in the code; started from B₀ = ε⁻¹I it tracks (R + λᵗεI)⁻¹. The code starts
/// from B₀ = VVᵀ with V Xavier-uniform (n_l × n_l), which is the default here; W^b_l is Xavier-uniform too.
/// ρ_l (<see cref="ForwardRates"/>) and ρ^b_l (<see cref="FeedbackRates"/>) are scaled by <see cref="RateScale"/>
/// (the code's per-epoch decay). The official Fashion-MNIST run is 784-500-10, "unit-clip" rates (the code's
/// hard_sigmoid), no biases, ε 0.15, λ 0.99999, g 0.3, η₀ 0.07, d 0.01, η_min 0.001, 30 free and 10 nudged
/// iterations, batch 20, ρ = (0.3, 0.22), ρ^b = 0.07, SGD with learning rate 1 and no momentum.
/// Prediction (<see cref="IInferenceRule.Infer"/>) is the free phase, as the code evaluates: tape.Z holds u and
/// tape.H the rates, so the trainer's arg-max over Z breaks ties between saturated rates by the potential.
/// The loss the trainer reports for a training minibatch is that of the plain feed-forward pass it runs before the rule.
/// Layers must have scale 1. Every product is a batch matrix product through the network's
/// <see cref="BioSim.Engine.Numerics.IMatrixProduct"/>; the iterations allocate nothing.
/// </summary>
public sealed partial class CorrelativeInfomax : ICreditAssignmentRule, IInferenceRule, IRateScaledRule
{
    private const string Component = "correlative-infomax";

    private double[][] _feedback = [];
    private double[][] _lateral = [];
    private double[] _forwardRates = [];
    private double[] _feedbackRates = [];
    private RandomStream _signs;
    private ulong _seed;
    private long _steps;
    private int _capacity;
    private int _layers;

    // Per layer l = 1 … L at index l − 1, each capacity × n_l, row-major (rows are samples).
    private double[][] _uFree = [], _hFree = [], _uNudged = [], _hNudged = [], _drive = [], _scratch = [];
    private double[] _basal1 = [];
    private double[] _targets = [];
    private int _targetRows;
    private int _lastBatch;

    /// <summary>ε, the regulariser of the correlation matrices and the variance of the prediction errors (default 0.15, &gt; 0).</summary>
    public double Epsilon { get; init; } = 0.15;

    /// <summary>λ, the forgetting factor of the correlation estimates (default 0.99999, in (0, 1)).</summary>
    public double Lambda { get; init; } = 0.99999;

    /// <summary>g, the leak conductance of the neural dynamics (the code's hopfield_g; default 0.3, ≥ 0).</summary>
    public double Leak { get; init; } = 0.3;

    /// <summary>η₀, the first step of the neural dynamics (default 0.07, &gt; 0).</summary>
    public double NeuralRate { get; init; } = 0.07;

    /// <summary>d in η_k = max(η₀/(1 + k d), η_min) (the code's "divide_by_slow_loop_index" with multiplier 0.01; default 0.01, ≥ 0).</summary>
    public double NeuralRateDecay { get; init; } = 0.01;

    /// <summary>η_min, the floor of the neural step (default 0.001, ≥ 0).</summary>
    public double NeuralRateFloor { get; init; } = 0.001;

    /// <summary>T_free, iterations of the free phase (and of prediction; default 30, ≥ 1).</summary>
    public int FreeIterations { get; init; } = 30;

    /// <summary>T_nudged, iterations of the nudged phase (default 10, ≥ 0).</summary>
    public int NudgedIterations { get; init; } = 10;

    /// <summary>|β|, the strength of the nudge towards the target (default 1, &gt; 0).</summary>
    public double Beta { get; init; } = 1.0;

    /// <summary>Whether β's sign is drawn at random for every minibatch (default true, as in the code), else always +|β|.</summary>
    public bool RandomSignBeta { get; init; } = true;

    /// <summary>ρ_l per layer (L values), or null for 1 each (then the optimiser's learning rate is the only rate).</summary>
    public IReadOnlyList<double>? ForwardRates { get; init; }

    /// <summary>ρ^b_l for l = 2 … L (L − 1 values), or null for 0.07 each.</summary>
    public IReadOnlyList<double>? FeedbackRates { get; init; }

    /// <summary>Factor on ρ and ρ^b, for a per-epoch schedule (default 1; saved with the state).</summary>
    public double RateScale { get; set; } = 1.0;

    /// <summary>W^b_l for l = 2 … L at index l − 2, n_{l−1} × n_l row-major.</summary>
    public IReadOnlyList<double[]> FeedbackWeights => _feedback;

    /// <summary>B_l for l = 1 … L at index l − 1, n_l × n_l row-major.</summary>
    public IReadOnlyList<double[]> LateralWeights => _lateral;

    /// <summary>Potentials u and rates h at the end of the last free phase (of ComputeUpdates or Infer), layer l at index l − 1; rows 0 … <see cref="LastBatch"/> − 1 are valid.</summary>
    public IReadOnlyList<double[]> FreePotentials => _uFree;

    /// <inheritdoc cref="FreePotentials"/>
    public IReadOnlyList<double[]> FreeRates => _hFree;

    /// <summary>Potentials and rates at the end of the last nudged phase.</summary>
    public IReadOnlyList<double[]> NudgedPotentials => _uNudged;

    /// <inheritdoc cref="NudgedPotentials"/>
    public IReadOnlyList<double[]> NudgedRates => _hNudged;

    /// <summary>Rows of the last phase run.</summary>
    public int LastBatch => _lastBatch;

    /// <summary>The signed β of the last ComputeUpdates.</summary>
    public double LastBeta { get; private set; }

    /// <summary>Minibatches learned so far (the element of the β-sign stream).</summary>
    public long Steps => _steps;

    /// <summary>Checks every parameter, naming the bad one.</summary>
    public void Validate()
    {
        static void Check(bool ok, string name, double value, string allowed)
        {
            if (!ok) throw new ArgumentOutOfRangeException(name, value, $"correlative-infomax: {name} = {value} is not allowed; it must be {allowed}.");
        }
        Check(Epsilon > 0 && double.IsFinite(Epsilon), nameof(Epsilon), Epsilon, "positive and finite");
        Check(Lambda > 0 && Lambda < 1, nameof(Lambda), Lambda, "in (0, 1)");
        Check(Leak >= 0 && double.IsFinite(Leak), nameof(Leak), Leak, "≥ 0 and finite");
        Check(NeuralRate > 0 && double.IsFinite(NeuralRate), nameof(NeuralRate), NeuralRate, "positive and finite");
        Check(NeuralRateDecay >= 0 && double.IsFinite(NeuralRateDecay), nameof(NeuralRateDecay), NeuralRateDecay, "≥ 0 and finite");
        Check(NeuralRateFloor >= 0 && double.IsFinite(NeuralRateFloor), nameof(NeuralRateFloor), NeuralRateFloor, "≥ 0 and finite");
        Check(FreeIterations >= 1, nameof(FreeIterations), FreeIterations, "≥ 1");
        Check(NudgedIterations >= 0, nameof(NudgedIterations), NudgedIterations, "≥ 0");
        Check(Beta > 0 && double.IsFinite(Beta), nameof(Beta), Beta, "positive and finite");
        Check(RateScale >= 0 && double.IsFinite(RateScale), nameof(RateScale), RateScale, "≥ 0 and finite");
    }

    /// <inheritdoc/>
    public void Prepare(Network network, ulong seed)
    {
        Validate();
        int L = network.Layers.Count;
        foreach (var layer in network.Layers)
        {
            if (layer.Scale != 1.0)
                throw new ArgumentException($"correlative-infomax: {layer.Name} has scale {layer.Scale}; the rule's predictions W h + b need scale 1.", nameof(network));
        }
        if (ForwardRates is { } fr && fr.Count != L)
            throw new ArgumentException($"correlative-infomax: ForwardRates has {fr.Count} values but the network has {L} layers.", nameof(network));
        if (FeedbackRates is { } br && br.Count != L - 1)
            throw new ArgumentException($"correlative-infomax: FeedbackRates has {br.Count} values but the network has {L - 1} backward weight matrices (layers 2 … {L}).", nameof(network));
        _forwardRates = ForwardRates is { } f ? [.. f] : [.. Enumerable.Repeat(1.0, L)];
        _feedbackRates = FeedbackRates is { } b ? [.. b] : [.. Enumerable.Repeat(0.07, L - 1)];
        _layers = L;
        _feedback = new double[L - 1][];
        for (int l = 2; l <= L; l++)
        {
            int rows = network.Layers[l - 2].Outputs, cols = network.Layers[l - 1].Outputs;
            _feedback[l - 2] = Xavier(rows, cols, new RandomStream(seed, Component, $"Wb{l}"));
        }
        _lateral = new double[L][];
        for (int l = 1; l <= L; l++)
        {
            int n = network.Layers[l - 1].Outputs;
            var v = Xavier(n, n, new RandomStream(seed, Component, $"B{l}"));
            var gram = new double[n * n];
            network.Product.Multiply(false, true, n, n, n, 1.0, v, v, 0.0, gram);
            _lateral[l - 1] = gram;
        }
        _seed = seed;
        _signs = new RandomStream(seed, Component, "beta-sign");
        _steps = 0;
        _capacity = 0;
        _targetRows = 0;
        _lastBatch = 0;
    }

    /// <summary>U[−a, a] with a = √(6/(rows + cols)) (PyTorch's xavier_uniform_), row-major rows × cols.</summary>
    private static double[] Xavier(int rows, int cols, RandomStream rng)
    {
        double a = Math.Sqrt(6.0 / (rows + cols));
        var law = new UniformDistribution(-a, a);
        var w = new double[rows * cols];
        for (int i = 0; i < w.Length; i++) w[i] = law.Sample(ref rng);
        return w;
    }

    /// <inheritdoc/>
    public void SetTargets(ReadOnlySpan<double> targets, int batch)
    {
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "The batch must have at least one row.");
        if (_targets.Length < targets.Length) _targets = new double[Math.Max(targets.Length, 2 * _targets.Length)];
        targets.CopyTo(_targets);
        _targetRows = batch;
    }

    /// <inheritdoc/>
    public void ComputeUpdates(Network network, NetworkTape tape, ParameterGradients gradients)
    {
        CheckNetwork(network);
        int batch = tape.Batch, L = _layers, k = network.OutputSize;
        if (_targetRows != batch)
            throw new InvalidOperationException($"correlative-infomax needs the targets of this minibatch ({batch} rows) before ComputeUpdates: call SetTargets (the Trainer does) — it has {_targetRows}.");
        _targetRows = 0;
        EnsureCapacity(network, batch);
        ReadOnlySpan<double> x = tape.H[0].AsSpan(0, batch * network.InputSize);
        ReadOnlySpan<double> y = _targets.AsSpan(0, batch * k);

        double beta = NextBeta();

        for (int l = 0; l < L; l++)
        {
            int count = batch * network.Layers[l].Outputs;
            _uFree[l].AsSpan(0, count).Clear();
            _hFree[l].AsSpan(0, count).Clear();
        }
        Settle(network, x, batch, _uFree, _hFree, FreeIterations, 0.0, y);
        for (int l = 0; l < L; l++)
        {
            int count = batch * network.Layers[l].Outputs;
            _hFree[l].AsSpan(0, count).CopyTo(_uNudged[l]);
            _hFree[l].AsSpan(0, count).CopyTo(_hNudged[l]);
        }
        Settle(network, x, batch, _uNudged, _hNudged, NudgedIterations, beta, y);
        _lastBatch = batch;

        var product = network.Product;
        // Forward weights: ΔW_l = c (E_freeᵀ H_{l−1,free} − E_nudgedᵀ H_{l−1,nudged}) + λ₂ W_l, c = ρ_l s / (β B).
        for (int l = 1; l <= L; l++)
        {
            var layer = network.Layers[l - 1];
            int n = layer.Outputs, m = layer.Inputs, count = batch * n;
            double c = _forwardRates[l - 1] * RateScale / (beta * batch);
            ReadOnlySpan<double> prevFree = l == 1 ? x : _hFree[l - 2].AsSpan(0, batch * m);
            ReadOnlySpan<double> prevNudged = l == 1 ? x : _hNudged[l - 2].AsSpan(0, batch * m);
            Span<double> eFree = _drive[l - 1].AsSpan(0, count), eNudged = _scratch[l - 1].AsSpan(0, count);
            ForwardError(network, layer, prevFree, _hFree[l - 1], batch, eFree);
            ForwardError(network, layer, prevNudged, _hNudged[l - 1], batch, eNudged);
            var gw = gradients.Weights[l - 1];
            if (layer.L2 != 0) layer.Weights.CopyTo(gw, 0);
            product.Multiply(true, false, n, m, batch, c, eFree, prevFree, layer.L2, gw);
            product.Multiply(true, false, n, m, batch, -c, eNudged, prevNudged, 1.0, gw);
            if (gradients.Bias[l - 1] is { } gb)
            {
                gb.AsSpan().Clear();
                for (int r = 0; r < batch; r++)
                {
                    ReadOnlySpan<double> ef = eFree.Slice(r * n, n), en = eNudged.Slice(r * n, n);
                    for (int j = 0; j < n; j++) gb[j] += ef[j] - en[j];
                }
                for (int j = 0; j < n; j++) gb[j] *= c;
            }
        }

        // Backward weights: W^b_l ← W^b_l − c^b (E^b_freeᵀ H_{l,free} − E^b_nudgedᵀ H_{l,nudged}), both errors from the old W^b_l.
        for (int l = 2; l <= L; l++)
        {
            int below = network.Layers[l - 2].Outputs, n = network.Layers[l - 1].Outputs, count = batch * below;
            double c = _feedbackRates[l - 2] * RateScale / (beta * batch);
            var wb = _feedback[l - 2];
            Span<double> eFree = _drive[l - 2].AsSpan(0, count), eNudged = _scratch[l - 2].AsSpan(0, count);
            ReadOnlySpan<double> hFree = _hFree[l - 1].AsSpan(0, batch * n), hNudged = _hNudged[l - 1].AsSpan(0, batch * n);
            _hFree[l - 2].AsSpan(0, count).CopyTo(eFree);
            product.Multiply(false, true, batch, below, n, -1.0, hFree, wb, 1.0, eFree);
            _hNudged[l - 2].AsSpan(0, count).CopyTo(eNudged);
            product.Multiply(false, true, batch, below, n, -1.0, hNudged, wb, 1.0, eNudged);
            product.Multiply(true, false, below, n, batch, -c, eFree, hFree, 1.0, wb);
            product.Multiply(true, false, below, n, batch, c, eNudged, hNudged, 1.0, wb);
        }

        // Lateral weights: B_l ← B_l/λ − γ/(λ B) Zᵀ Z with Z = H_nudged B_lᵀ.
        double lambda = Lambda, gamma = (1 - lambda) / lambda;
        for (int l = 1; l <= L; l++)
        {
            int n = network.Layers[l - 1].Outputs, count = batch * n;
            var b = _lateral[l - 1];
            Span<double> z = _scratch[l - 1].AsSpan(0, count);
            product.Multiply(false, true, batch, n, n, 1.0, _hNudged[l - 1].AsSpan(0, count), b, 0.0, z);
            product.Multiply(true, false, n, n, batch, -gamma / (lambda * batch), z, z, 1.0 / lambda, b);
        }
    }

    /// <summary>The signed β of the next minibatch (its sign from the stream (seed, "correlative-infomax", "beta-sign") at element
    /// <see cref="Steps"/>), counting the step: the one draw that the float64 rule and <see cref="Training.PrecisionTrainer{T}"/> share.</summary>
    internal double NextBeta()
    {
        double beta = Beta;
        if (RandomSignBeta && (_signs.ForElement((uint)_steps).NextUInt64() & 1) == 1) beta = -beta;
        LastBeta = beta;
        _steps++;
        return beta;
    }

    /// <summary>ρ_l of layer <paramref name="l"/> (1-based) as prepared, before <see cref="RateScale"/>.</summary>
    internal double ForwardRate(int l) => _forwardRates[l - 1];

    /// <summary>ρ^b_l of W^b_l (l ≥ 2) as prepared, before <see cref="RateScale"/>.</summary>
    internal double FeedbackRate(int l) => _feedbackRates[l - 2];

    /// <inheritdoc/>
    public void Infer(Network network, NetworkTape tape)
    {
        CheckNetwork(network);
        int batch = tape.Batch;
        EnsureCapacity(network, batch);
        for (int l = 0; l < _layers; l++)
        {
            int count = batch * network.Layers[l].Outputs;
            _uFree[l].AsSpan(0, count).Clear();
            _hFree[l].AsSpan(0, count).Clear();
        }
        Settle(network, tape.H[0].AsSpan(0, batch * network.InputSize), batch, _uFree, _hFree, FreeIterations, 0.0, default);
        _lastBatch = batch;
        for (int l = 1; l <= _layers; l++)
        {
            int count = batch * network.Layers[l - 1].Outputs;
            _uFree[l - 1].AsSpan(0, count).CopyTo(tape.Z[l]);
            _hFree[l - 1].AsSpan(0, count).CopyTo(tape.H[l]);
        }
    }

    private void CheckNetwork(Network network)
    {
        int L = network.Layers.Count;
        if (_lateral.Length != L || _lateral.Length == 0)
            throw new InvalidOperationException($"correlative-infomax holds lateral weights for {_lateral.Length} layers but the network has {L}; call Prepare(network) first.");
        for (int l = 1; l <= L; l++)
        {
            var layer = network.Layers[l - 1];
            if (_lateral[l - 1].Length != layer.Outputs * layer.Outputs)
                throw new InvalidOperationException($"correlative-infomax: B{l} has {_lateral[l - 1].Length} entries but {layer.Name} needs {layer.Outputs * layer.Outputs}; call Prepare(network) for this network.");
            if (l >= 2 && _feedback[l - 2].Length != layer.Inputs * layer.Outputs)
                throw new InvalidOperationException($"correlative-infomax: Wb{l} has {_feedback[l - 2].Length} entries but {layer.Name} needs {layer.Inputs * layer.Outputs}; call Prepare(network) for this network.");
        }
    }

    /// <summary>Grows the per-layer buffers to <paramref name="batch"/> rows (allocation only when a larger batch first arrives).</summary>
    private void EnsureCapacity(Network network, int batch)
    {
        if (batch <= _capacity && _uFree.Length == _layers) return;
        int L = _layers;
        _uFree = new double[L][]; _hFree = new double[L][]; _uNudged = new double[L][]; _hNudged = new double[L][];
        _drive = new double[L][]; _scratch = new double[L][];
        for (int l = 0; l < L; l++)
        {
            int count = batch * network.Layers[l].Outputs;
            _uFree[l] = new double[count]; _hFree[l] = new double[count];
            _uNudged[l] = new double[count]; _hNudged[l] = new double[count];
            _drive[l] = new double[count]; _scratch[l] = new double[count];
        }
        _basal1 = new double[batch * network.Layers[0].Outputs];
        _capacity = batch;
    }

    /// <inheritdoc/>
    public void SaveState(StateSnapshot snapshot, string prefix)
    {
        for (int i = 0; i < _feedback.Length; i++) snapshot.Put($"{prefix}Wb{i + 2}", _feedback[i]);
        for (int i = 0; i < _lateral.Length; i++) snapshot.Put($"{prefix}B{i + 1}", _lateral[i]);
        snapshot.Put($"{prefix}steps", [_steps]);
        snapshot.Put($"{prefix}seed", [unchecked((long)_seed)]);
        snapshot.Put($"{prefix}rate-scale", [RateScale]);
    }

    /// <inheritdoc/>
    public void LoadState(StateSnapshot snapshot, string prefix)
    {
        for (int i = 0; i < _feedback.Length; i++) snapshot.Get($"{prefix}Wb{i + 2}", _feedback[i]);
        for (int i = 0; i < _lateral.Length; i++) snapshot.Get($"{prefix}B{i + 1}", _lateral[i]);
        Span<long> steps = stackalloc long[1];
        snapshot.Get($"{prefix}steps", steps);
        _steps = steps[0];
        snapshot.Get($"{prefix}seed", steps);
        _seed = unchecked((ulong)steps[0]);
        _signs = new RandomStream(_seed, Component, "beta-sign");
        Span<double> scale = stackalloc double[1];
        snapshot.Get($"{prefix}rate-scale", scale);
        RateScale = scale[0];
    }
}
