namespace BioSim.Engine.Ode;

/// <summary>An integration that cannot continue; says when, with which step, and which component.</summary>
public class OdeIntegrationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OdeIntegrationException(string message, double time, double stepSize, int component)
        : base(message)
    {
        Time = time;
        StepSize = stepSize;
        Component = component;
    }

    /// <summary>Creates the exception with the failure that caused it.</summary>
    public OdeIntegrationException(string message, double time, double stepSize, int component, Exception? inner)
        : base(message, inner)
    {
        Time = time;
        StepSize = stepSize;
        Component = component;
    }

    /// <summary>Time at which the integration stopped.</summary>
    public double Time { get; }

    /// <summary>The last step size tried.</summary>
    public double StepSize { get; }

    /// <summary>Index of the state component responsible (largest error, or first non-finite value); −1 if unknown.</summary>
    public int Component { get; }
}

/// <summary>The step size fell below <see cref="AdaptiveOptions.MinStep"/>: the solution is (nearly) singular,
/// discontinuous, or the tolerance is out of reach in floating point.</summary>
public sealed class StepSizeUnderflowException(string message, double time, double stepSize, int component)
    : OdeIntegrationException(message, time, stepSize, component);

/// <summary>The state or its derivative became NaN or infinite.</summary>
public sealed class NonFiniteStateException(string message, double time, double stepSize, int component)
    : OdeIntegrationException(message, time, stepSize, component);

/// <summary>The vector field itself failed (threw) while being evaluated or differentiated; the message names the step
/// and the time, the inner exception holds the field's own error (e.g. an output of the wrong size).</summary>
public sealed class VectorFieldException(string message, double time, double stepSize, Exception inner)
    : OdeIntegrationException(message, time, stepSize, -1, inner);
