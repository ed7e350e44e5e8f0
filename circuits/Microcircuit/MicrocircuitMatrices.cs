namespace BioSim.Circuits.Microcircuit;

/// <summary>
/// The dense weight matrices of a <see cref="CorticalMicrocircuit"/> by the names its checkpoints use, for recording:
/// <c>W_PP_l_(l−1)</c> (bottom-up onto the basal dendrites of layer l ≥ 1), <c>W_PP_l_(l+1)</c> (top-down onto the apical
/// dendrites of hidden layer l), <c>W_PI_l</c> (interneurons → apical) and <c>W_IP_l</c> (pyramidal cells → interneurons).
/// Each is row-major with one row per receiving cell; entry k = i·columns + j connects presynaptic cell j to cell i (indices
/// within their layers).
/// </summary>
public static class MicrocircuitMatrices
{
    /// <summary>Every matrix name of <paramref name="circuit"/>, bottom-up weights first.</summary>
    public static IReadOnlyList<string> Names(CorticalMicrocircuit circuit)
    {
        ArgumentNullException.ThrowIfNull(circuit);
        var names = new List<string>();
        for (int l = 1; l <= circuit.OutputLayer; l++) names.Add($"W_PP_{l}_{l - 1}");
        for (int l = 1; l < circuit.OutputLayer; l++) names.AddRange([$"W_PP_{l}_{l + 1}", $"W_PI_{l}", $"W_IP_{l}"]);
        return names;
    }

    /// <summary>The live matrix named <paramref name="name"/> with its shape, or null when the circuit has no such matrix.</summary>
    public static (double[] Weights, int Rows, int Columns)? Find(CorticalMicrocircuit circuit, string name)
    {
        ArgumentNullException.ThrowIfNull(circuit);
        var n = circuit.LayerSizes;
        int top = circuit.OutputLayer;
        for (int l = 1; l <= top; l++)
        {
            if (name == $"W_PP_{l}_{l - 1}") return (circuit.Forward(l), n[l], n[l - 1]);
            if (l == top) break;
            if (name == $"W_PP_{l}_{l + 1}") return (circuit.TopDown(l), n[l], n[l + 1]);
            if (name == $"W_PI_{l}") return (circuit.InterneuronToApical(l), n[l], n[l + 1]);
            if (name == $"W_IP_{l}") return (circuit.PyramidalToInterneuron(l), n[l + 1], n[l]);
        }
        return null;
    }
}
