using BioSim.Plasticity.Networks;

namespace BioSim.Plasticity.Rules;

/// <summary>
/// Optional, for rules that can train only some networks (the dendritic microcircuit: no biases, one rate function, a
/// linear output): a comparison file is checked against it when it is read, so that the error names the rule's entry and
/// the fix before anything runs.
/// </summary>
public interface INetworkConstraint
{
    /// <summary>Null when the rule can train a network of <paramref name="layers"/> above <paramref name="inputs"/> inputs;
    /// otherwise what is wrong and how to fix it, as one sentence.</summary>
    string? Check(int inputs, IReadOnlyList<LayerSpec> layers);
}
