namespace BioSim.Engine.NeuralOde;

/// <summary>What a gradient computation returns besides the gradients.</summary>
/// <param name="Loss">The loss of the forward solution.</param>
/// <param name="Steps">Number of steps N of the forward solution.</param>
/// <param name="RetainedFloats">Peak number of doubles the method kept alive for the backward pass (tapes,
/// checkpoints, stage vectors), counted by the implementation.</param>
/// <param name="Evaluations">Vector-field evaluations (forward and recomputed), VJPs not included.</param>
public readonly record struct GradientResult(double Loss, int Steps, long RetainedFloats, long Evaluations);
