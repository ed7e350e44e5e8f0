namespace BioSim.Plasticity.Cores;

/// <summary>
/// One core of a network trained as probabilities (Esser, Appuswamy, Merolla, Arthur &amp; Modha, NeurIPS 2015): its axons
/// read entries of the layer's input vector (<see cref="Inputs"/>), its crossbar is a matrix of connection probabilities
/// c_ij ∈ [0, 1] (axon i, neuron j; row-major), its neurons have real-valued leaks b_j (trained; rounded when deployed)
/// and the integer weight s_j,G of each axon type G, fixed: neuron j's four weights are a permutation of
/// <see cref="WeightLevels"/> and the axon types are spread evenly, so S_ij = s_j,G_i.
/// </summary>
public sealed class ProbabilisticCore
{
    /// <summary>The weights a neuron's four axon types take, in some order (pytruenorth's choice).</summary>
    public static readonly int[] WeightLevels = [-2, -1, 1, 2];

    /// <param name="inputs">For each axon, the index of the layer input it reads.</param>
    /// <param name="neurons">Neurons of the core (≤ 256).</param>
    /// <param name="axonTypes">G_i per axon (0-3).</param>
    /// <param name="neuronWeights">s_j,G, neurons × 4, row-major.</param>
    public ProbabilisticCore(int[] inputs, int neurons, int[] axonTypes, int[] neuronWeights)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(axonTypes);
        ArgumentNullException.ThrowIfNull(neuronWeights);
        if (inputs.Length is < 1 or > 256) throw new ArgumentException($"A core has 1-256 axons, got {inputs.Length}.", nameof(inputs));
        if (neurons is < 1 or > 256) throw new ArgumentException($"A core has 1-256 neurons, got {neurons}.", nameof(neurons));
        if (axonTypes.Length != inputs.Length) throw new ArgumentException("One axon type per axon.", nameof(axonTypes));
        if (neuronWeights.Length != 4 * neurons) throw new ArgumentException("Four weights per neuron.", nameof(neuronWeights));
        Inputs = inputs;
        Neurons = neurons;
        AxonTypes = axonTypes;
        NeuronWeights = neuronWeights;
        S = new double[Axons * neurons];
        S2 = new double[Axons * neurons];
        for (int i = 0; i < Axons; i++)
        {
            for (int j = 0; j < neurons; j++)
            {
                double s = neuronWeights[4 * j + axonTypes[i]];
                S[i * neurons + j] = s;
                S2[i * neurons + j] = s * s;
            }
        }
    }

    /// <summary>Axon i reads layer input Inputs[i].</summary>
    public int[] Inputs { get; }

    /// <summary>Number of axons.</summary>
    public int Axons => Inputs.Length;

    /// <summary>Number of neurons.</summary>
    public int Neurons { get; }

    /// <summary>G_i per axon.</summary>
    public int[] AxonTypes { get; }

    /// <summary>s_j,G, neurons × 4.</summary>
    public int[] NeuronWeights { get; }

    /// <summary>S_ij = s_j,G_i (axons × neurons).</summary>
    public double[] S { get; }

    /// <summary>S_ij² (axons × neurons).</summary>
    public double[] S2 { get; }

    /// <summary>Offset of this core's connection probabilities c (axons × neurons) in the network's parameter vector; its leaks follow.</summary>
    public int Offset { get; internal set; }

    /// <summary>Number of trained parameters: c and b.</summary>
    public int ParameterCount => Axons * Neurons + Neurons;
}
