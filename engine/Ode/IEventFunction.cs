namespace BioSim.Engine.Ode;

/// <summary>A scalar event function g(t, y) whose sign changes mark events, e.g. V − V_th for a spike.</summary>
public interface IEventFunction
{
    /// <summary>Evaluates g(t, y). Must not allocate; called several times per step while locating a root.</summary>
    double Value(double t, ReadOnlySpan<double> y);
}
