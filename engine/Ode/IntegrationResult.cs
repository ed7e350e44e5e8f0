namespace BioSim.Engine.Ode;

/// <summary>Summary of an adaptive integration.</summary>
/// <param name="FinalTime">Time reached: t1, or the time of a terminal event.</param>
/// <param name="AcceptedSteps">Number of accepted steps.</param>
/// <param name="RejectedSteps">Number of rejected trial steps.</param>
/// <param name="Evaluations">Calls of the vector field.</param>
/// <param name="TerminalEvent">The terminal event that stopped the integration, if any.</param>
public readonly record struct IntegrationResult(double FinalTime, long AcceptedSteps, long RejectedSteps, long Evaluations, EventOccurrence? TerminalEvent);
