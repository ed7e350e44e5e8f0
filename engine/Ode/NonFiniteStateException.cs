namespace BioSim.Engine.Ode;

/// <summary>The state or its derivative became NaN or infinite.</summary>
public sealed class NonFiniteStateException(string message, double time, double stepSize, int component)
    : OdeIntegrationException(message, time, stepSize, component);
