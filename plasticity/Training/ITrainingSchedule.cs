namespace BioSim.Plasticity.Training;

/// <summary>A factor on every learning rate as training goes on (per epoch, per step, or both).</summary>
public interface ITrainingSchedule
{
    /// <summary>The factor for the step about to be taken.</summary>
    /// <param name="epoch">1-based epoch.</param>
    /// <param name="step">0-based index of the step over the whole run (counted across epochs).</param>
    /// <param name="totalSteps">Steps the whole run takes.</param>
    double Factor(int epoch, long step, long totalSteps);
}
