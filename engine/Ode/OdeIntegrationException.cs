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
