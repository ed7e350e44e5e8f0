namespace BioSim.Plasticity.Dendritic;

/// <summary>
/// Parameters of the dendritic error rule (<see cref="DendriticErrorRule"/>). Learning rates are per layer, in 1/ms (the
/// weight change per ms is η times a product of a rate and a rate or potential difference): an array of one value applies
/// to every layer, otherwise it needs one value per layer the matrix exists in (eta_PP: layers 1 … L; eta_IP, eta_PI,
/// eta_down: hidden layers 1 … L−1). 0 keeps a matrix fixed.
/// </summary>
public sealed record DendriticErrorParameters
{
    /// <summary>η^PP_l, bottom-up (basal) weights W^PP_{l,l−1}, layers 1 … L (1/ms), ≥ 0. Default [0].</summary>
    public double[] eta_PP { get; init; } = [0];

    /// <summary>η^IP_l, pyramidal-to-interneuron weights W^IP_l, hidden layers (1/ms), ≥ 0. Default [0].</summary>
    public double[] eta_IP { get; init; } = [0];

    /// <summary>η^PI_l, interneuron-to-apical weights W^PI_l, hidden layers (1/ms), ≥ 0. Default [0].</summary>
    public double[] eta_PI { get; init; } = [0];

    /// <summary>η^down_l, top-down weights W^PP_{l,l+1}, hidden layers (1/ms), ≥ 0. Default [0]: fixed top-down weights.</summary>
    public double[] eta_down { get; init; } = [0];

    /// <summary>tau_w, time constant of the low-pass filter on the weight changes (ms), ≥ 0; 0 applies them unfiltered. Default 30.</summary>
    public double tau_w { get; init; } = 30.0;

    /// <summary>The first invalid field as "field: problem", or null.</summary>
    public string? Validate() =>
        Rates(eta_PP, nameof(eta_PP)) ?? Rates(eta_IP, nameof(eta_IP)) ?? Rates(eta_PI, nameof(eta_PI)) ?? Rates(eta_down, nameof(eta_down))
        ?? (tau_w >= 0 && !double.IsInfinity(tau_w) ? null : $"tau_w: must be a non-negative number of ms, got {tau_w}");

    private static string? Rates(double[]? values, string field)
    {
        if (values is null || values.Length == 0) return $"{field}: needs at least one learning rate";
        foreach (double v in values)
        {
            if (!(v >= 0) || double.IsInfinity(v)) return $"{field}: learning rates must be non-negative numbers of 1/ms, got {v}";
        }
        return null;
    }
}
