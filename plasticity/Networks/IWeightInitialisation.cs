namespace BioSim.Plasticity.Networks;

/// <summary>
/// How a network's initial weights are drawn from a seed: the same seed gives the same bits. Registered by name in the
/// catalogue ("pytorch", "orthogonal", "xavier-uniform", "distribution"); comparison files name one in "init".
/// </summary>
public interface IWeightInitialisation
{
    /// <summary>What the initialisation draws, for messages ("U[±1/√n_in] for W and b").</summary>
    string Description { get; }

    /// <summary>Sets every layer's W (and b) from streams keyed by <paramref name="seed"/>.</summary>
    void Initialise(Network network, ulong seed);

    /// <summary>Null when the layer sizes suit this initialisation; otherwise the problem and its fix.</summary>
    /// <param name="inputs">The network's input width.</param>
    /// <param name="layers">Sizes of the layers above the input.</param>
    string? Check(int inputs, IReadOnlyList<int> layers) => null;
}
