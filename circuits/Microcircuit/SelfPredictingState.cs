namespace BioSim.Circuits.Microcircuit;

/// <summary>
/// The self-predicting state of Sacramento et al. (2018), set analytically: in every hidden layer l the interneurons copy
/// the pyramidal cells of layer l + 1 and cancel their top-down input, so that without a target every apical potential is
/// zero at the fixed point and the circuit computes the feedforward pass u_l = k_l W^PP_{l,l−1} r_{l−1}.
/// <code>
///   W^PI_l = −W^PP_{l,l+1}
///   W^IP_l = (g_lk + g_D)/g_D · k_{l+1} · W^PP_{l+1,l},   k = g_B/(g_lk + g_B + g_A) (hidden), g_B/(g_lk + g_B) (output)
/// </code>
/// The factor is the attenuation correction: the interneuron's dendrite reaches its soma attenuated by g_D/(g_lk + g_D),
/// the upper pyramidal cell's basal input by k_{l+1}; with it u^I_l = u_{l+1} at the fixed point (the nudging g_som then
/// pulls towards the value the soma already has), so r^I_l = r_{l+1} and v_A,l = W^PP_{l,l+1} r_{l+1} + W^PI_l r^I_l = 0.
/// </summary>
public static class SelfPredictingState
{
    /// <summary>k_l, the somatic attenuation of the basal input of layer <paramref name="layer"/> when its apical potential is zero.</summary>
    public static double BasalAttenuation(CorticalMicrocircuit circuit, int layer)
    {
        ArgumentNullException.ThrowIfNull(circuit);
        var p = circuit.Parameters;
        return layer == circuit.OutputLayer ? p.g_B / (p.g_lk + p.g_B) : p.g_B / (p.g_lk + p.g_B + p.g_A);
    }

    /// <summary>Sets W^PI and W^IP of every hidden layer of <paramref name="circuit"/> to the self-predicting state for its
    /// current forward and top-down weights, and refreshes its dendritic potentials. Needs g_D &gt; 0.</summary>
    public static void Apply(CorticalMicrocircuit circuit)
    {
        ArgumentNullException.ThrowIfNull(circuit);
        var p = circuit.Parameters;
        if (!(p.g_D > 0)) throw new InvalidOperationException($"Microcircuit '{circuit.Name}': the self-predicting state needs g_D > 0 (the interneurons' dendrite must reach their soma).");
        for (int l = 1; l < circuit.OutputLayer; l++)
        {
            var topDown = circuit.TopDown(l);
            var interToApical = circuit.InterneuronToApical(l);
            for (int i = 0; i < topDown.Length; i++) interToApical[i] = -topDown[i];
            double factor = (p.g_lk + p.g_D) / p.g_D * BasalAttenuation(circuit, l + 1);
            var forward = circuit.Forward(l + 1);
            var pyrToInter = circuit.PyramidalToInterneuron(l);
            for (int i = 0; i < forward.Length; i++) pyrToInter[i] = factor * forward[i];
        }
        circuit.Refresh();
    }
}
