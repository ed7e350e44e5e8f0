namespace BioSim.Engine.Ode;

/// <summary>One accepted step, enough to replay the integration with <see cref="ExplicitRungeKutta.Step"/>.</summary>
/// <param name="T">Start time of the step.</param>
/// <param name="H">Signed step size.</param>
public readonly record struct AcceptedStep(double T, double H);
