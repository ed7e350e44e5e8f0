namespace BioSim.Plasticity.Training;

/// <summary>Where and how a training run failed: the component (layer, parameter block) and the reason.</summary>
/// <param name="Component">The layer or parameter block first found not finite ("layer 2", "W").</param>
/// <param name="Reason">A clause for the message: "the loss became NaN; first non-finite weights in layer 2".</param>
public sealed record Divergence(string Component, string Reason);
