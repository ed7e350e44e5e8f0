namespace BioSim.Engine.Ode;

/// <summary>The step size fell below <see cref="AdaptiveOptions.MinStep"/>: the solution is (nearly) singular,
/// discontinuous, or the tolerance is out of reach in floating point.</summary>
public sealed class StepSizeUnderflowException(string message, double time, double stepSize, int component)
    : OdeIntegrationException(message, time, stepSize, component);
