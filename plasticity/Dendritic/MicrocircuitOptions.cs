namespace BioSim.Plasticity.Dendritic;

/// <summary>How <see cref="DendriticErrorCreditAssignment"/> simulates the microcircuit for each sample.</summary>
public enum MicrocircuitDynamics
{
    /// <summary>The circuit's fixed point with the output nudged, held for the whole sample (Sacramento et al. 2018's
    /// steady-state approximation for MNIST); the low-pass filtered updates are integrated over the sample in closed form.</summary>
    SteadyState,

    /// <summary>The continuous-time circuit (<see cref="Circuits.Microcircuit.CorticalMicrocircuit"/>) with the dendritic error
    /// rule running every step of dt for the sample's duration.</summary>
    Full,
}

/// <summary>The top-down weights W^PP_{l,l+1} onto the apical dendrites.</summary>
public enum TopDownWeights
{
    /// <summary>Fixed random (feedback-alignment-like): drawn once, never changed.</summary>
    Fixed,

    /// <summary>Drawn at random, then learned with η^down (the rule's top-down update).</summary>
    Plastic,

    /// <summary>Kept equal to the transposed forward weights of the layer above (the backprop-like reference).</summary>
    Symmetric,
}

/// <summary>Where the lateral weights (pyramidal → interneuron W^IP, interneuron → apical W^PI) come from.</summary>
public enum LateralWeights
{
    /// <summary>The analytic self-predicting state, set again after every change of the forward or top-down weights
    /// (interneurons that track their pyramidal partners perfectly; η^IP and η^PI are not used).</summary>
    Analytic,

    /// <summary>The analytic self-predicting state at the start, then learned with η^IP and η^PI.</summary>
    AnalyticThenLearned,

    /// <summary>Random at the start (uniform ±1/√fan-in) and learned with η^IP and η^PI (the learned route to the self-predicting state).</summary>
    Learned,
}

/// <summary>The rate r_L = ρ(u_L) of the output pyramidal cells: what they send top-down (and what the interneurons paired with
/// them copy) and what their basal rule compares, ρ(u_L) − ρ(k_L v_B,L).</summary>
public enum OutputRate
{
    /// <summary>The hidden layers' rate function φ (the paper's circuit, whose backprop reference shares the output nonlinearity).</summary>
    Phi,

    /// <summary>Linear output cells, ρ(u) = u: the network's identity output, so that the circuit's output error is the one of the
    /// network's mse loss, λ (u^trgt − k_L v_B,L), with no φ′(u_L) weighting.</summary>
    Identity,
}
