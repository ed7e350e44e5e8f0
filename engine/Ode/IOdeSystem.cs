namespace BioSim.Engine.Ode;

/// <summary>
/// An autonomous or time-dependent system of ordinary differential equations dy/dt = f(t, y).
/// Implementations write the derivative into the span <see cref="Derivatives"/> is given, without allocating.
/// </summary>
public interface IOdeSystem
{
    /// <summary>Number of state variables.</summary>
    int Dimension { get; }

    /// <summary>Evaluates f(t, y) into <paramref name="dydt"/> (same length as <paramref name="y"/>).</summary>
    void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt);
}
