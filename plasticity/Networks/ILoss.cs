namespace BioSim.Plasticity.Networks;

/// <summary>
/// A loss over a minibatch, averaged over its rows. <see cref="Evaluate"/> returns the loss and writes
/// the output error δ_L = ∂L/∂z_L (batch × width) that every credit-assignment rule starts from.
/// </summary>
public interface ILoss
{
    /// <summary>The name experiment files use ("mse").</summary>
    string Name { get; }

    /// <summary>Loss of the tape's current minibatch against <paramref name="targets"/> (batch × <see cref="TargetWidth"/>); writes tape.Delta[L].</summary>
    double Evaluate(Network network, NetworkTape tape, ReadOnlySpan<double> targets);

    /// <summary>Targets per sample: the network's output width, unless the output layer has auxiliary units (see <see cref="MeanSquaredError"/>).</summary>
    int TargetWidth(Network network) => network.OutputSize;

    /// <summary>Whether the targets are class distributions (one-hot labels) and the output layer must be linear ("identity"),
    /// as for a loss that applies the softmax itself.</summary>
    bool NeedsClassLabels => false;

    /// <summary>This loss with targets for the first <paramref name="taskOutputs"/> output units only (the others are
    /// auxiliary units, see <see cref="MeanSquaredError"/>), or null when the loss has no auxiliary units.</summary>
    ILoss? WithTaskOutputs(int taskOutputs) => null;
}
