namespace BioSim.Plasticity.Rules;

/// <summary>
/// Optional, for rules that apply learning rates of their own besides the updates they hand to the optimiser
/// (correlative infomax: its backward weights, and the forward rates ρ_l folded into its updates). A schedule
/// (<see cref="Training.Trainer.ScaleRates"/>) then sets <see cref="RateScale"/>, which must scale every rate
/// the rule uses, and leaves the optimiser's rate as it is so that no rate is scaled twice.
/// </summary>
public interface IRateScaledRule
{
    /// <summary>The factor on every rate of the rule (1 = the rates as configured).</summary>
    double RateScale { get; set; }
}
