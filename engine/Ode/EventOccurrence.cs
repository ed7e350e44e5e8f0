namespace BioSim.Engine.Ode;

/// <summary>One located event.</summary>
/// <param name="EventIndex">Index of the event in the list passed to the integrator.</param>
/// <param name="Time">Located time, within the root-finding tolerance, on the side after the crossing.</param>
/// <param name="Direction">+1 for a rising crossing, −1 for a falling one.</param>
/// <param name="Terminal">Whether the integration stopped here.</param>
public readonly record struct EventOccurrence(int EventIndex, double Time, int Direction, bool Terminal);
