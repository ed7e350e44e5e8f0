using BioSim.Plasticity.Training;

namespace BioSim.Plasticity.NeuralOde;

/// <summary>
/// A learning rate that falls geometrically over the run, step by step: the factor at step i of N is
/// r^(i / (N − 1)), so the first step uses the base rate and the last the base rate times r
/// (<c>learning_rate</c> → <c>final_learning_rate</c> of a fit file is r = final / initial).
/// </summary>
/// <param name="finalFactor">r: the factor of the last step, positive and finite.</param>
public sealed class GeometricRateDecay(double finalFactor) : ITrainingSchedule
{
    /// <summary>r, the factor of the last step.</summary>
    public double FinalFactor { get; } = finalFactor > 0 && double.IsFinite(finalFactor) ? finalFactor
        : throw new ArgumentOutOfRangeException(nameof(finalFactor), finalFactor, "The final factor must be positive and finite.");

    /// <inheritdoc/>
    public double Factor(int epoch, long step, long totalSteps) => Math.Pow(FinalFactor, (double)step / Math.Max(1, totalSteps - 1));
}
