using BioSim.Engine.Plugins;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Rules;

namespace BioSim.Plasticity.Estimators;

/// <summary>
/// The credit-assignment rule "stochastic-units" (issue 16, item 4): the comparison's network with every hidden layer made
/// of stochastic discrete units, trained through a gradient estimator named in the comparison file. With
/// <see cref="Categories"/> K = 2 each hidden unit j is binary, h_j ∼ Bernoulli(σ(z_j)) (a categorical unit with logits
/// (0, z_j)); with K &gt; 2 each run of K consecutive units of a hidden layer is one categorical unit with logits z and a
/// one-hot sample h ∼ Categorical(softmax(z)). A training step (and an alignment probe) replaces the deterministic forward
/// pass by a sampled one (<see cref="IStochasticForwardRule"/>: draws from the stream (seed, "stochastic-units", "sample"),
/// saved with the checkpoint), the loss and δ_L are taken at the sample, and going down each hidden layer turns the
/// upstream gradient ∂ℓ/∂h_l = s (δ_{l+1} W_{l+1}) at the sample into δ_l = ∂ℓ/∂z_l with the estimator:
/// <list type="bullet">
/// <item>"straight-through", "reinmax" (any <see cref="IDiscreteGradientEstimator"/> of the catalogue): pathwise, as in
/// <see cref="StochasticBinaryNetwork"/>; with one stochastic layer below a linear output and the mse loss the loss is
/// quadratic in h, so ReinMax's expected update is the exact gradient of E_h[ℓ] (Liu et al. 2023);</item>
/// <item>"score-function": the surrogate loss of Schulman et al. (2015), δ_l = (ℓ_r − b_r)/batch·(e_D − π) per row r, ℓ_r
/// that row's loss at the sample and b_r the mean loss of the other rows of the minibatch (leave-one-out: independent of
/// row r's draw, so unbiased; 0 for a batch of one).</item>
/// </list>
/// The weight updates then follow from the δ_l as for every rule (ΔW_l = s δ_lᵀ h_{l−1} with the sampled h).
/// Evaluation (test loss and accuracy) uses the mean-field network: each hidden unit's probability in place of its sample
/// (σ(z) for K = 2, which is the logistic layer's own output; softmax per group for K &gt; 2), so it is deterministic.
/// The network must have at least one hidden layer and hidden widths that are multiples of K (K &gt; 2); the stochastic units
/// replace the hidden activation, which must read "logistic" (or "identity"); a comparison file is checked when it is read.
/// </summary>
public sealed class StochasticUnits : ICreditAssignmentRule, IStochasticForwardRule, IInferenceRule, INetworkConstraint
{
    /// <summary>The estimator name that selects the score-function estimator (it needs each row's loss, not ∂ℓ/∂h, so it is
    /// no <see cref="IDiscreteGradientEstimator"/>).</summary>
    public const string ScoreFunction = "score-function";

    private readonly Catalogue _catalogue;
    private IDiscreteGradientEstimator? _estimator;
    private string _estimatorName = "reinmax";
    private int _categories = 2;
    private ulong _seed;
    private RandomStream _stream;
    private double[] _rowLoss = [], _baseline = [], _logits = [], _upstream = [], _theta = [], _pi = [];
    private int[] _sample = [];
    private NetworkTape? _rowTape;

    /// <summary>Reads the estimators from <paramref name="catalogue"/>.</summary>
    public StochasticUnits(Catalogue catalogue)
    {
        _catalogue = catalogue ?? throw new ArgumentNullException(nameof(catalogue));
        _estimator = catalogue.Get<IDiscreteGradientEstimator>(_estimatorName, "gradient estimator");
    }

    /// <summary>The gradient estimator: a name from the catalogue ("straight-through", "reinmax") or "score-function";
    /// default "reinmax". An unknown name is refused with the list of known ones.</summary>
    public string Estimator
    {
        get => _estimatorName;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value == ScoreFunction) _estimator = null;
            else if (_catalogue.Contains<IDiscreteGradientEstimator>(value)) _estimator = _catalogue.Get<IDiscreteGradientEstimator>(value, "gradient estimator");
            else throw new ArgumentException($"unknown gradient estimator '{value}'; known: {string.Join(", ", KnownEstimators)}");
            _estimatorName = value;
        }
    }

    /// <summary>The names <see cref="Estimator"/> takes, sorted.</summary>
    public IReadOnlyList<string> KnownEstimators => [.. _catalogue.Names<IDiscreteGradientEstimator>().Append(ScoreFunction).Order(StringComparer.Ordinal)];

    /// <summary>K: categories per stochastic unit (2: binary units, default).</summary>
    public int Categories
    {
        get => _categories;
        set => _categories = value >= 2 ? value : throw new ArgumentException($"a categorical unit needs at least 2 categories, got {value}");
    }

    /// <inheritdoc/>
    public string? Check(int inputs, IReadOnlyList<LayerSpec> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count < 2) return "stochastic-units: the network needs at least one hidden layer (the stochastic units); add one to \"layers\".";
        for (int l = 1; l < layers.Count; l++)
        {
            var layer = layers[l - 1];
            if (_categories > 2 && layer.Size % _categories != 0)
                return $"stochastic-units: hidden layer {l} has {layer.Size} units, not a whole number of units of {_categories} categories; make it a multiple of {_categories}.";
            if (layer.Activation.Name is not ("logistic" or "identity"))
            {
                return $"stochastic-units: hidden layer {l} has activation '{layer.Activation.Name}', but its units are stochastic (P(h = 1) = σ(z), or softmax(z) "
                    + "per group of categories), which replaces the activation; write \"activation\": \"logistic\" (or \"identity\").";
            }
        }
        return null;
    }

    /// <inheritdoc/>
    public void Prepare(Network network, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(network);
        _seed = seed;
        _stream = new RandomStream(seed, "stochastic-units", "sample");
    }

    /// <inheritdoc/>
    public void Sample(Network network, NetworkTape tape, ILoss loss, ReadOnlySpan<double> targets) => Forward(network, tape, loss, targets, []);

    /// <summary>
    /// As <see cref="Sample"/>, with the hidden units set to <paramref name="categories"/> instead of drawn (for exact
    /// expectations, e.g. the tests that sum the rule's update over every configuration): per hidden layer, row and unit,
    /// the unit's category (0 or 1 for a binary unit; 0 … K − 1 for a K-category one), layers one after another.
    /// </summary>
    public void SetSample(Network network, NetworkTape tape, ILoss loss, ReadOnlySpan<double> targets, ReadOnlySpan<int> categories)
    {
        ArgumentNullException.ThrowIfNull(network);
        int needed = 0;
        for (int l = 1; l < network.Layers.Count; l++) needed += tape.Batch * UnitsOf(network.Layers[l - 1].Outputs);
        if (categories.Length != needed) throw new ArgumentException($"give {needed} categories (hidden layers × rows × units), got {categories.Length}", nameof(categories));
        Forward(network, tape, loss, targets, categories);
    }

    private int UnitsOf(int width) => _categories == 2 ? width : width / _categories;

    private void Forward(Network network, NetworkTape tape, ILoss loss, ReadOnlySpan<double> targets, ReadOnlySpan<int> given)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(loss);
        int batch = tape.Batch, L = network.Layers.Count, next = 0;
        for (int l = 1; l <= L; l++)
        {
            if (l > 1) LayerForward(network, tape, l);
            if (l == L) break;
            int width = network.Layers[l - 1].Outputs, units = batch * UnitsOf(width);
            SampleLayer(tape.Z[l].AsSpan(0, batch * width), tape.H[l], given.IsEmpty ? [] : given.Slice(next, units));
            next += units;
        }
        if (_estimator is null) RowLosses(network, tape, loss, targets);
    }

    /// <summary>The mean-field forward pass: probabilities in place of samples.</summary>
    public void Infer(Network network, NetworkTape tape)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(tape);
        int batch = tape.Batch, L = network.Layers.Count;
        for (int l = 1; l <= L; l++)
        {
            if (l > 1) LayerForward(network, tape, l);
            if (l == L) break;
            int count = batch * network.Layers[l - 1].Outputs;
            if (_categories == 2) Sigmoid(tape.Z[l].AsSpan(0, count), tape.H[l]);
            else for (int g = 0; g < count; g += _categories) Categorical.Softmax(tape.Z[l].AsSpan(g, _categories), tape.H[l].AsSpan(g, _categories));
        }
    }

    /// <inheritdoc/>
    public void SetTargets(ReadOnlySpan<double> targets, int batch) { }

    /// <inheritdoc/>
    public void ComputeUpdates(Network network, NetworkTape tape, ParameterGradients gradients)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(gradients);
        int batch = tape.Batch, K = _categories;
        if (_estimator is null) Baselines(batch);
        for (int l = network.Layers.Count - 1; l >= 1; l--)
        {
            var above = network.Layers[l];
            int width = network.Layers[l - 1].Outputs, units = K == 2 ? width : width / K;
            Span<double> delta = tape.Delta[l].AsSpan(0, batch * width);
            if (_estimator is not null)
            {
                network.Product.Multiply(false, false, batch, above.Inputs, above.Outputs, above.Scale,
                    tape.Delta[l + 1].AsSpan(0, batch * above.Outputs), above.Weights, 0.0, delta);
            }
            Scratch(units * K);
            for (int r = 0; r < batch; r++)
            {
                ReadOnlySpan<double> z = tape.Z[l].AsSpan(r * width, width), h = tape.H[l].AsSpan(r * width, width);
                Span<double> d = delta.Slice(r * width, width);
                if (K == 2)
                {
                    for (int j = 0; j < width; j++)
                    {
                        _logits[2 * j] = 0;
                        _logits[2 * j + 1] = z[j];
                        _sample[j] = h[j] >= 0.5 ? 1 : 0;
                    }
                }
                else
                {
                    z.CopyTo(_logits);
                    for (int u = 0; u < units; u++) _sample[u] = h.Slice(u * K, K).IndexOfAnyExcept(0.0) is var i and >= 0 ? i : 0;
                }
                var logits = _logits.AsSpan(0, units * K);
                var theta = _theta.AsSpan(0, units * K);
                var sample = _sample.AsSpan(0, units);
                if (_estimator is not null)
                {
                    var upstream = _upstream.AsSpan(0, units * K);
                    if (K == 2) for (int j = 0; j < width; j++) (upstream[2 * j], upstream[2 * j + 1]) = (0, d[j]);
                    else d.CopyTo(upstream);
                    _estimator.Backward(logits, K, sample, upstream, theta);
                }
                else
                {
                    // the surrogate log p(D)·sg(ℓ_r − b_r) of this row, differentiated: (ℓ_r − b_r)(e_D − π) per unit
                    double advantage = (_rowLoss[r] - _baseline[r]) / batch;
                    var pi = _pi.AsSpan(0, K);
                    for (int u = 0; u < units; u++)
                    {
                        Categorical.Softmax(logits.Slice(u * K, K), pi);
                        for (int i = 0; i < K; i++) theta[u * K + i] = advantage * ((i == sample[u] ? 1.0 : 0.0) - pi[i]);
                    }
                }
                if (K == 2) for (int j = 0; j < width; j++) d[j] = theta[2 * j + 1];
                else theta.CopyTo(d);
            }
        }
        LayerUpdates.FromErrors(network, tape, gradients);
    }

    /// <inheritdoc/>
    public void SaveState(StateSnapshot snapshot, string prefix)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        snapshot.Put($"{prefix}sample_position", [(long)_stream.Position]);
    }

    /// <inheritdoc/>
    public void LoadState(StateSnapshot snapshot, string prefix)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var position = new long[1];
        snapshot.Get($"{prefix}sample_position", position);
        _stream = new RandomStream(_seed, "stochastic-units", "sample") { Position = (ulong)position[0] };
    }

    /// <summary>Z[l] = s·H[l−1]W_lᵀ + b_l and H[l] = f_l(Z[l]), as <see cref="Network.Forward"/> does it.</summary>
    private static void LayerForward(Network network, NetworkTape tape, int l)
    {
        var layer = network.Layers[l - 1];
        int batch = tape.Batch;
        Span<double> z = tape.Z[l].AsSpan(0, batch * layer.Outputs);
        if (layer.Bias is { } b) for (int r = 0; r < batch; r++) b.CopyTo(z.Slice(r * layer.Outputs, layer.Outputs));
        network.Product.Multiply(false, true, batch, layer.Outputs, layer.Inputs, layer.Scale,
            tape.H[l - 1].AsSpan(0, batch * layer.Inputs), layer.Weights, layer.Bias is null ? 0.0 : 1.0, z);
        layer.Activation.Forward(z, tape.H[l].AsSpan(0, z.Length));
    }

    /// <summary>Draws the layer's units (or takes them from <paramref name="given"/> when it is not empty): h = 1 with
    /// probability σ(z) (K = 2), or one-hot categories of softmax(z) per group of K.</summary>
    private void SampleLayer(ReadOnlySpan<double> z, Span<double> h, ReadOnlySpan<int> given)
    {
        int K = _categories;
        if (K == 2)
        {
            for (int j = 0; j < z.Length; j++)
            {
                bool on = given.IsEmpty ? _stream.NextDouble() < 1 / (1 + Math.Exp(-z[j])) : given[j] == 1;
                h[j] = on ? 1.0 : 0.0;
            }
            return;
        }
        if (_pi.Length < K) _pi = new double[K];
        var pi = _pi.AsSpan(0, K);
        for (int g = 0; g < z.Length; g += K)
        {
            int category;
            if (given.IsEmpty)
            {
                Categorical.Softmax(z.Slice(g, K), pi);
                category = Categorical.Sample(pi, ref _stream);
            }
            else category = given[g / K];
            h.Slice(g, K).Clear();
            h[g + category] = 1.0;
        }
    }

    private static void Sigmoid(ReadOnlySpan<double> z, Span<double> h)
    {
        for (int j = 0; j < z.Length; j++) h[j] = 1 / (1 + Math.Exp(-z[j]));
    }

    /// <summary>Each row's loss at the sample (the loss of a one-row tape holding that row's output).</summary>
    private void RowLosses(Network network, NetworkTape tape, ILoss loss, ReadOnlySpan<double> targets)
    {
        int batch = tape.Batch, n = network.OutputSize, k = loss.TargetWidth(network);
        if (_rowLoss.Length < batch) _rowLoss = new double[batch];
        _rowTape ??= network.CreateTape(1);
        if (_rowTape.Z[^1].Length != n) _rowTape = network.CreateTape(1);
        _rowTape.Batch = 1;
        for (int r = 0; r < batch; r++)
        {
            tape.Z[^1].AsSpan(r * n, n).CopyTo(_rowTape.Z[^1]);
            tape.H[^1].AsSpan(r * n, n).CopyTo(_rowTape.H[^1]);
            _rowLoss[r] = loss.Evaluate(network, _rowTape, targets.Slice(r * k, k));
        }
    }

    /// <summary>b_r = the mean loss of the other rows (leave-one-out over the minibatch), 0 for a batch of one.</summary>
    private void Baselines(int batch)
    {
        if (_baseline.Length < batch) _baseline = new double[batch];
        if (batch == 1)
        {
            _baseline[0] = 0;
            return;
        }
        LeaveOneOutBaseline.Compute(_rowLoss.AsSpan(0, batch), _baseline.AsSpan(0, batch));
    }

    private void Scratch(int entries)
    {
        if (_logits.Length < entries)
        {
            _logits = new double[entries];
            _upstream = new double[entries];
            _theta = new double[entries];
            _sample = new int[entries];
        }
        if (_pi.Length < _categories) _pi = new double[_categories];
    }
}
