namespace BioSim.Plasticity.Training;

/// <summary>One piece of a <see cref="LearningRateSchedule"/>: from 1-based epoch <paramref name="FromEpoch"/> on, the factor is
/// <paramref name="FactorPerEpoch"/>^e (e the 0-based epoch), until the next segment starts.</summary>
public readonly record struct RateSegment(int FromEpoch, double FactorPerEpoch);
