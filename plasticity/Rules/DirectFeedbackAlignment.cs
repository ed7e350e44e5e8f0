using BioSim.Engine.Random;
using BioSim.Engine.Simulation;
using BioSim.Plasticity.Networks;

namespace BioSim.Plasticity.Rules;

/// <summary>
/// Direct feedback alignment (Nøkland 2016, NeurIPS): every hidden layer receives the output error
/// straight through its own fixed random matrix, δ_l = (B_l e) ⊙ f′(z_l) with e = δ_L and
/// B_l of shape n_l × n_L; the output layer keeps its true error. B_l is drawn once from
/// <see cref="Feedback"/> (default U[−1/√n_L, 1/√n_L]) and saved with the state as "D{l}".
/// </summary>
public sealed class DirectFeedbackAlignment : ErrorSignalRule
{
    private double[][] _feedback = [];

    /// <summary>Law of the entries of B_l, or null for U[−1/√n_L, 1/√n_L].</summary>
    public Distribution? Feedback { get; init; }

    /// <summary>B_l for hidden layer l at index l − 1, stored n_l × n_L row-major.</summary>
    public IReadOnlyList<double[]> FeedbackWeights => _feedback;

    /// <inheritdoc/>
    public override void Prepare(Network network, ulong seed)
    {
        int L = network.Layers.Count, nOut = network.OutputSize;
        double a = 1.0 / Math.Sqrt(nOut);
        var law = Feedback ?? new UniformDistribution(-a, a);
        _feedback = new double[L - 1][];
        for (int l = 1; l < L; l++)
        {
            var rng = new RandomStream(seed, "direct-feedback-alignment", $"D{l}");
            var b = new double[network.Layers[l - 1].Outputs * nOut];
            for (int i = 0; i < b.Length; i++) b[i] = law.Sample(ref rng);
            _feedback[l - 1] = b;
        }
    }

    /// <inheritdoc/>
    public override void PropagateErrors(Network network, NetworkTape tape)
    {
        int L = network.Layers.Count, nOut = network.OutputSize;
        ReadOnlySpan<double> e = tape.Delta[L].AsSpan(0, tape.Batch * nOut);
        if (_feedback.Length != L - 1)
            throw new InvalidOperationException($"direct-feedback-alignment holds {_feedback.Length} feedback matrices but the network has {L - 1} hidden layers; call Prepare(network) first.");
        for (int l = 1; l < L; l++)
        {
            int width = network.Layers[l - 1].Outputs;
            if (_feedback[l - 1].Length != width * nOut)
                throw new InvalidOperationException($"direct-feedback-alignment: D{l} has {_feedback[l - 1].Length} entries but {network.Layers[l - 1].Name} with {nOut} outputs needs {width * nOut}; call Prepare(network) for this network.");
            network.Product.Multiply(false, true, tape.Batch, width, nOut, 1.0, e, _feedback[l - 1], 0.0, tape.Delta[l].AsSpan(0, tape.Batch * width));
            LayerUpdates.MultiplyByDerivative(network, tape, l);
        }
    }

    /// <inheritdoc/>
    public override void SaveState(StateSnapshot snapshot, string prefix)
    {
        for (int i = 0; i < _feedback.Length; i++) snapshot.Put($"{prefix}D{i + 1}", _feedback[i]);
    }

    /// <inheritdoc/>
    public override void LoadState(StateSnapshot snapshot, string prefix)
    {
        for (int i = 0; i < _feedback.Length; i++) snapshot.Get($"{prefix}D{i + 1}", _feedback[i]);
    }
}
