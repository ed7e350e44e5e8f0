using BioSim.Engine.Random;
using BioSim.Engine.Simulation;
using BioSim.Plasticity.Networks;

namespace BioSim.Plasticity.Rules;

/// <summary>
/// Feedback alignment (Lillicrap, Cownden, Tweed &amp; Akerman 2016, Nat. Commun. 7:13276): the error
/// reaches layer l through a fixed random matrix B_{l+1} (n_l × n_{l+1}) in place of W_{l+1}ᵀ, and the
/// receiving layer's derivative is kept: δ_l = s_{l+1} (B_{l+1} δ_{l+1}) ⊙ f′(z_l). With B = Wᵀ this is
/// backprop exactly. B_{l+1} is drawn once from <see cref="Feedback"/> (default U[−1/√n_l, 1/√n_l], the
/// same law as PyTorch's forward initialisation of W_{l+1}) and saved with the state as "B{l+1}".
/// </summary>
public sealed class FeedbackAlignment : ErrorSignalRule, IFeedbackMatrixRule
{
    private double[][] _feedback = [];

    /// <summary>Law of the entries of B, or null for U[−1/√n_l, 1/√n_l] (Lillicrap's Fig. 2 uses U[−0.5, 0.5]).</summary>
    public Distribution? Feedback { get; init; }

    /// <summary>B_l for l = 2 … L at index l − 2, stored n_{l−1} × n_l row-major (the shape of W_lᵀ).</summary>
    public IReadOnlyList<double[]> FeedbackWeights => _feedback;

    /// <inheritdoc/>
    public override void Prepare(Network network, ulong seed)
    {
        _feedback = new double[network.Layers.Count - 1][];
        for (int l = 1; l < network.Layers.Count; l++)
        {
            var layer = network.Layers[l];
            double a = 1.0 / Math.Sqrt(layer.Inputs);
            var law = Feedback ?? new UniformDistribution(-a, a);
            var rng = new RandomStream(seed, "feedback-alignment", $"B{layer.Index}");
            var b = new double[layer.Inputs * layer.Outputs];
            for (int i = 0; i < b.Length; i++) b[i] = law.Sample(ref rng);
            _feedback[l - 1] = b;
        }
    }

    /// <inheritdoc/>
    public override void PropagateErrors(Network network, NetworkTape tape)
    {
        if (_feedback.Length != network.Layers.Count - 1)
            throw new InvalidOperationException($"feedback-alignment holds {_feedback.Length} feedback matrices but the network has {network.Layers.Count - 1} hidden layers; call Prepare(network) first.");
        for (int l = network.Layers.Count - 1; l >= 1; l--)
        {
            var above = network.Layers[l];
            if (_feedback[l - 1].Length != above.Inputs * above.Outputs)
                throw new InvalidOperationException($"feedback-alignment: B{above.Index} has {_feedback[l - 1].Length} entries but {above.Name} needs {above.Inputs * above.Outputs}; call Prepare(network) for this network.");
            network.Product.Multiply(false, true, tape.Batch, above.Inputs, above.Outputs, above.Scale,
                tape.Delta[l + 1].AsSpan(0, tape.Batch * above.Outputs), _feedback[l - 1], 0.0, tape.Delta[l].AsSpan(0, tape.Batch * above.Inputs));
            LayerUpdates.MultiplyByDerivative(network, tape, l);
        }
    }

    /// <inheritdoc/>
    public override void SaveState(StateSnapshot snapshot, string prefix)
    {
        for (int i = 0; i < _feedback.Length; i++) snapshot.Put($"{prefix}B{i + 2}", _feedback[i]);
    }

    /// <inheritdoc/>
    public override void LoadState(StateSnapshot snapshot, string prefix)
    {
        for (int i = 0; i < _feedback.Length; i++) snapshot.Get($"{prefix}B{i + 2}", _feedback[i]);
    }
}
