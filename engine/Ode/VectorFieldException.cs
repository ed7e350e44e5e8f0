namespace BioSim.Engine.Ode;

/// <summary>The vector field itself failed (threw) while being evaluated or differentiated; the message names the step
/// and the time, the inner exception holds the field's own error (e.g. an output of the wrong size).</summary>
public sealed class VectorFieldException(string message, double time, double stepSize, Exception inner)
    : OdeIntegrationException(message, time, stepSize, -1, inner);
