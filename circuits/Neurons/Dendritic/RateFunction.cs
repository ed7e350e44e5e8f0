namespace BioSim.Circuits.Neurons.Dendritic;

/// <summary>
/// φ, the transfer function from somatic potential to rate of the dendritic-microcircuit neurons:
/// "softplus" φ(u) = ln(1 + e^u) (Sacramento et al. 2018) or "sigmoid" φ(u) = 1/(1 + k e^{β(θ − u)})
/// (Urbanczik &amp; Senn 2014, with k = 0.5, β = 5, θ = 1 by default). The rate is rate_scale·φ(u).
/// </summary>
public readonly record struct RateFunction(string Kind, double K, double Beta, double Theta)
{
    /// <summary>The names <see cref="Kind"/> may take, as the <c>phi</c> parameter gives them.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["softplus", "sigmoid"];

    /// <summary>φ(<paramref name="u"/>) for U in mV (dimensionless, without rate_scale); above u = 30 softplus returns u itself (ln(1 + e^u) − u &lt; 1e-13 there, and e^u would overflow beyond u ≈ 709).</summary>
    public double Phi(double u) => Kind == "sigmoid"
        ? 1.0 / (1.0 + K * Math.Exp(Beta * (Theta - u)))
        : (u > 30 ? u : Math.Log(1 + Math.Exp(u)));
}
