namespace BioSim.Plasticity.Networks;

/// <summary>PyTorch's default for linear layers: W and b ~ U[±1/√n_in] (<see cref="Network.Initialise(ulong)"/>).</summary>
public sealed class PyTorchDefaultInitialisation : IWeightInitialisation
{
    /// <inheritdoc/>
    public string Description => "U[±1/√n_in] for W and b";

    /// <inheritdoc/>
    public void Initialise(Network network, ulong seed) => network.Initialise(seed);
}
