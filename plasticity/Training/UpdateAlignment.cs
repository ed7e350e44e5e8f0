using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Rules;

namespace BioSim.Plasticity.Training;

/// <summary>
/// How closely a rule's weight updates follow backprop's: on a fixed probe batch and the current weights, the
/// rule's raw update ΔW_l^rule of every layer (what <see cref="ICreditAssignmentRule.ComputeUpdates"/> hands to the
/// optimiser, before the optimiser) against backprop's gradient ΔW_l^BP of the same loss on the same batch and
/// weights, as cos∠(ΔW_l^rule, ΔW_l^BP) = ⟨a, b⟩/(‖a‖ ‖b‖) and the relative error ‖a − b‖/‖b‖ (each matrix taken as
/// one vector; biases are not included). Unlike <see cref="SignalAlignment"/> this needs no per-layer error signal,
/// so it covers target-propagation rules (GAIT-prop) and rules that settle dynamics (correlative infomax, which gets
/// the probe targets first). The rule's state is saved before and restored after its probe pass, so measuring does
/// not change the run. Buffers are allocated once; a measurement allocates only the rule's state snapshot.
/// </summary>
public sealed class UpdateAlignment
{
    private readonly Network _network;
    private readonly ProbeBatch _probe;
    private readonly ParameterGradients _rule;
    private readonly ParameterGradients _backprop;
    private readonly Backpropagation _reference = new();

    /// <summary>Uses the first <paramref name="probe"/> rows of <paramref name="data"/> as the fixed probe batch.</summary>
    public UpdateAlignment(Network network, ILoss loss, Dataset data, int probe)
    {
        (_network, _probe) = (network, new ProbeBatch(network, loss, data, probe));
        _rule = new ParameterGradients(network);
        _backprop = new ParameterGradients(network);
    }

    /// <summary>Rows in the probe batch.</summary>
    public int ProbeRows => _probe.Rows;

    /// <summary>Number of layers (one cosine and one relative error each).</summary>
    public int Layers => _network.Layers.Count;

    /// <summary>Writes cos∠(ΔW_l^rule, ΔW_l^BP) and ‖ΔW_l^rule − ΔW_l^BP‖/‖ΔW_l^BP‖ for layers 1 … L.</summary>
    public void Measure(ICreditAssignmentRule rule, Span<double> cosine, Span<double> relativeError)
    {
        if (cosine.Length < Layers || relativeError.Length < Layers)
            throw new ArgumentException($"{Layers} layers need room for {Layers} values each, got {cosine.Length} and {relativeError.Length}.");
        _probe.RunRule(rule, _rule, markErrors: false);
        _probe.Forward();
        _reference.ComputeUpdates(_network, _probe.Tape, _backprop);
        for (int l = 0; l < Layers; l++) (cosine[l], relativeError[l]) = Compare(_rule.Weights[l], _backprop.Weights[l]);
    }

    /// <summary>cos∠(a, b) and ‖a − b‖/‖b‖; NaN where a norm is zero or a value is not finite.</summary>
    public static (double Cosine, double RelativeError) Compare(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"The updates have {a.Length} and {b.Length} values.", nameof(b));
        double dot = 0, na = 0, nb = 0, diff = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = a[i] - b[i];
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
            diff += d * d;
        }
        if (!double.IsFinite(dot + na + nb + diff)) return (double.NaN, double.NaN);
        double cos = na > 0 && nb > 0 ? dot / Math.Sqrt(na * nb) : double.NaN;
        return (cos, nb > 0 ? Math.Sqrt(diff / nb) : double.NaN);
    }

    /// <summary>
    /// cos∠(B_l, W_lᵀ) = Σ_ij B_ij W_ji / (‖B_l‖ ‖W_l‖) for l = 2 … L at index l − 2 (one per hidden layer): how far the
    /// forward weights above each hidden layer have turned towards the rule's fixed feedback (feedback alignment's
    /// "alignment", Lillicrap et al. 2016; for a two-layer net with one output it is Song, Xu &amp; Lafferty's cos∠(b, β)).
    /// </summary>
    public static void FeedbackWeightCosine(Network network, IFeedbackMatrixRule rule, Span<double> cosine)
    {
        int L = network.Layers.Count;
        if (cosine.Length < L - 1) throw new ArgumentException($"{L - 1} feedback matrices need room, got {cosine.Length}.", nameof(cosine));
        if (rule.FeedbackWeights.Count != L - 1)
            throw new ArgumentException($"The rule holds {rule.FeedbackWeights.Count} feedback matrices but the network has {L - 1} hidden layers.", nameof(rule));
        for (int l = 1; l < L; l++)
        {
            var layer = network.Layers[l];
            double[] b = rule.FeedbackWeights[l - 1], w = layer.Weights;
            int n = layer.Inputs, k = layer.Outputs;
            if (b.Length != w.Length) throw new ArgumentException($"B{l + 1} has {b.Length} entries but {layer.Name} has {w.Length} weights.", nameof(rule));
            double dot = 0, nb = 0, nw = 0;
            for (int i = 0; i < n; i++)
            {
                for (int o = 0; o < k; o++)
                {
                    double x = b[i * k + o], y = w[o * n + i];
                    dot += x * y;
                    nb += x * x;
                    nw += y * y;
                }
            }
            cosine[l - 1] = nb > 0 && nw > 0 ? dot / Math.Sqrt(nb * nw) : double.NaN;
        }
    }
}
