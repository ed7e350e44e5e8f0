namespace BioSim.IO.NeuralOde;

/// <summary>The trajectories of a fit: those to train on and those held out (evaluated on, never trained on).</summary>
public sealed record FitData(IReadOnlyList<Trace> Train, IReadOnlyList<Trace> HeldOut);
