namespace BioSim.Plasticity.Estimators;

/// <summary>
/// The score-function (REINFORCE, likelihood-ratio) estimator as a surrogate loss on a stochastic computation graph
/// (Schulman, Heess, Weber &amp; Abbeel, NeurIPS 2015): each stochastic node n is a layer of categorical units with logits
/// θ_n and sample D_n; each cost c names the stochastic nodes it depends on. The surrogate
/// <code>  L(θ) = Σ_n log p(D_n | θ_n) · sg(Q̂_n − b_n) + Σ_c c ,   Q̂_n = Σ_{c downstream of n} c</code>
/// has the unbiased gradient estimate ∂L/∂θ_n = (Q̂_n − b_n) Σ_u (e_{D_u} − π_u) for the stochastic part, to which the
/// caller adds the pathwise gradient of costs that depend on θ directly. The baseline b_n keeps it unbiased as long as it
/// does not depend on D_n (a running mean, <see cref="MovingAverageBaseline"/>, or the other samples of a batch,
/// <see cref="LeaveOneOutBaseline"/>); a baseline computed from D_n itself biases it.
/// </summary>
public sealed class SurrogateLoss
{
    private readonly List<(double[] Logits, int Categories, int[] Sample)> _nodes = [];
    private readonly List<double> _downstream = [];
    private double _costs;

    /// <summary>Adds a stochastic node (copies its logits and sample) and returns its index.</summary>
    public int AddStochastic(ReadOnlySpan<double> logits, int categories, ReadOnlySpan<int> sample)
    {
        Categorical.CheckShapes(logits.Length, categories, sample.Length, logits.Length, logits.Length);
        for (int u = 0; u < sample.Length; u++)
        {
            if ((uint)sample[u] >= (uint)categories) throw new ArgumentOutOfRangeException(nameof(sample), sample[u], $"unit {u}: a category in [0, {categories})");
        }
        _nodes.Add((logits.ToArray(), categories, sample.ToArray()));
        _downstream.Add(0);
        return _nodes.Count - 1;
    }

    /// <summary>Adds cost <paramref name="value"/>, which depends on (is downstream of) the stochastic nodes <paramref name="dependsOn"/>.</summary>
    public void AddCost(double value, params ReadOnlySpan<int> dependsOn)
    {
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), value, "A cost must be finite.");
        _costs += value;
        foreach (int n in dependsOn) _downstream[n] += value;
    }

    /// <summary>Q̂_n: the sum of the costs downstream of node <paramref name="node"/>.</summary>
    public double Downstream(int node) => _downstream[node];

    /// <summary>Σ_c c, the total cost of this sample.</summary>
    public double Cost => _costs;

    /// <summary>log p(D_n | θ_n) of node <paramref name="node"/>'s sample.</summary>
    public double LogProbability(int node)
    {
        var (logits, k, sample) = _nodes[node];
        double sum = 0;
        Span<double> pi = stackalloc double[k];
        for (int u = 0; u < sample.Length; u++)
        {
            Categorical.Softmax(logits.AsSpan(u * k, k), pi);
            sum += Math.Log(pi[sample[u]]);
        }
        return sum;
    }

    /// <summary>The surrogate's value with baselines <paramref name="baselines"/> (one per node): Σ_n log p(D_n)(Q̂_n − b_n) + Σ_c c.</summary>
    public double Value(ReadOnlySpan<double> baselines)
    {
        double value = _costs;
        for (int n = 0; n < _nodes.Count; n++) value += LogProbability(n) * (_downstream[n] - baselines[n]);
        return value;
    }

    /// <summary>Writes ∂L/∂θ_n of the stochastic part for node <paramref name="node"/>: (Q̂_n − b)·(e_D − π) per unit.</summary>
    public void Gradient(int node, double baseline, Span<double> gradient)
    {
        var (logits, k, sample) = _nodes[node];
        if (gradient.Length != logits.Length) throw new ArgumentException($"node {node} has {logits.Length} logits; the gradient has {gradient.Length} entries");
        double advantage = _downstream[node] - baseline;
        for (int u = 0; u < sample.Length; u++)
        {
            var g = gradient.Slice(u * k, k);
            Categorical.Softmax(logits.AsSpan(u * k, k), g);
            for (int i = 0; i < k; i++) g[i] = advantage * ((i == sample[u] ? 1.0 : 0.0) - g[i]);
        }
    }
}

/// <summary>A baseline that does not look at the current sample: the exponential running mean of the costs seen before
/// it (Williams 1992), b ← βb + (1 − β)·Q̂ after each sample; 0 before the first.</summary>
/// <param name="decay">β in [0, 1).</param>
public sealed class MovingAverageBaseline(double decay = 0.9)
{
    private bool _started;

    /// <summary>β.</summary>
    public double Decay { get; } = decay is >= 0 and < 1 ? decay : throw new ArgumentOutOfRangeException(nameof(decay), decay, "The decay must lie in [0, 1).");

    /// <summary>The baseline for the next sample.</summary>
    public double Value { get; private set; }

    /// <summary>Takes the cost of a sample into the mean (after its gradient used <see cref="Value"/>).</summary>
    public void Observe(double cost)
    {
        Value = _started ? Decay * Value + (1 - Decay) * cost : cost;
        _started = true;
    }
}

/// <summary>The leave-one-out baseline of a batch of S ≥ 2 independent samples (Kool, van Hoof &amp; Welling 2019): sample s
/// uses the mean cost of the other S − 1, which does not depend on its own draw.</summary>
public static class LeaveOneOutBaseline
{
    /// <summary>Writes b_s = (Σ costs − cost_s)/(S − 1) for each sample.</summary>
    public static void Compute(ReadOnlySpan<double> costs, Span<double> baselines)
    {
        if (costs.Length < 2) throw new ArgumentException("A leave-one-out baseline needs at least two samples.");
        double sum = 0;
        foreach (double c in costs) sum += c;
        for (int s = 0; s < costs.Length; s++) baselines[s] = (sum - costs[s]) / (costs.Length - 1);
    }
}
