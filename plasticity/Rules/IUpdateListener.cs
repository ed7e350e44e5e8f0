using BioSim.Plasticity.Networks;

namespace BioSim.Plasticity.Rules;

/// <summary>
/// Optional for a credit-assignment rule whose state follows the weights (GAIT-prop's layer inverses):
/// the trainer calls <see cref="AfterUpdate"/> after every optimiser step.
/// </summary>
public interface IUpdateListener
{
    /// <summary>The optimiser has just changed <paramref name="network"/>'s weights.</summary>
    void AfterUpdate(Network network);
}
