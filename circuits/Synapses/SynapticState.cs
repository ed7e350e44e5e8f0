namespace BioSim.Circuits.Synapses;

/// <summary>
/// The receptor variables of a population (one array per receptor) and the coefficients that turn them
/// into a current: I_syn = Σ_k s_k Drive_k − V Σ_k s_k Conductance_k. See <c>NeuronPopulation.AddSynapticState</c>.
/// </summary>
public sealed class SynapticState(int receptors)
{
    /// <summary>s_k per neuron: conductance (nS) or current (pA).</summary>
    public double[][] S { get; } = new double[receptors][];

    /// <summary>Decay time constant τ_k (ms).</summary>
    public double[] Tau { get; } = new double[receptors];

    /// <summary>E_k (mV) for a conductance, 1 for a current.</summary>
    public double[] Drive { get; } = new double[receptors];

    /// <summary>1 for a conductance, 0 for a current.</summary>
    public double[] Conductance { get; } = new double[receptors];
}
