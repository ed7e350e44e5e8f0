using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Rules;

namespace BioSim.Plasticity.Training;

/// <summary>
/// How closely a rule's error signal follows backprop's: on a fixed probe batch and the current weights,
/// the angle ∠(δ_l^rule, δ_l^BP) = arccos(⟨a, b⟩ / (‖a‖ ‖b‖)) between the hidden-layer errors the rule
/// assigns and those backprop would send (each taken as one vector over the batch × width matrix, as in
/// Lillicrap et al. 2016, Fig. 2). The rule's state is saved before and restored after its probe pass, so
/// measuring does not change the run. A rule that leaves tape.Delta[l] untouched (it does not express
/// its update through per-layer errors) gets NaN for that layer.
/// </summary>
public sealed class SignalAlignment
{
    private readonly Network _network;
    private readonly ProbeBatch _probe;
    private readonly ParameterGradients _scratch;
    private readonly double[][] _ruleSignal;
    private readonly Backpropagation _backprop = new();

    /// <summary>Uses the first <paramref name="probe"/> rows of <paramref name="data"/> as the fixed probe batch.</summary>
    public SignalAlignment(Network network, ILoss loss, Dataset data, int probe)
    {
        (_network, _probe) = (network, new ProbeBatch(network, loss, data, probe));
        _scratch = new ParameterGradients(network);
        _ruleSignal = [.. network.Layers.Take(network.Layers.Count - 1).Select(l => new double[ProbeRows * l.Outputs])];
    }

    /// <summary>Rows in the probe batch.</summary>
    public int ProbeRows => _probe.Rows;

    /// <summary>Number of hidden layers (one angle each).</summary>
    public int HiddenLayers => _ruleSignal.Length;

    /// <summary>Writes the angle in degrees for hidden layers 1 … L−1 into <paramref name="degrees"/>.</summary>
    public void Measure(ICreditAssignmentRule rule, Span<double> degrees)
    {
        if (degrees.Length < HiddenLayers) throw new ArgumentException($"{HiddenLayers} angles need room, got {degrees.Length}.", nameof(degrees));
        int L = _network.Layers.Count;
        _probe.RunRule(rule, _scratch, markErrors: true);
        for (int l = 1; l < L; l++) _probe.Tape.Delta[l].AsSpan(0, _ruleSignal[l - 1].Length).CopyTo(_ruleSignal[l - 1]);
        _probe.Forward();
        _backprop.PropagateErrors(_network, _probe.Tape);
        for (int l = 1; l < L; l++) degrees[l - 1] = AngleDegrees(_ruleSignal[l - 1], _probe.Tape.Delta[l].AsSpan(0, _ruleSignal[l - 1].Length));
    }

    /// <summary>arccos(⟨a, b⟩ / (‖a‖ ‖b‖)) in degrees; NaN when either vector is zero or not finite.</summary>
    public static double AngleDegrees(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        if (!(na > 0 && nb > 0) || !double.IsFinite(dot + na + nb)) return double.NaN;
        return Math.Acos(Math.Clamp(dot / Math.Sqrt(na * nb), -1.0, 1.0)) * (180.0 / Math.PI);
    }
}
