namespace BioSim.Engine.Ode;

/// <summary>An observer that keeps the accepted steps (for replay, e.g. by an adjoint) and the events.</summary>
public sealed class IntegrationRecord : IIntegrationObserver
{
    /// <summary>Accepted steps in order.</summary>
    public List<AcceptedStep> Steps { get; } = [];

    /// <summary>Located events in time order.</summary>
    public List<EventOccurrence> Events { get; } = [];

    /// <inheritdoc/>
    public void StepAccepted(double t, double h, DenseOutput dense) => Steps.Add(new AcceptedStep(t, h));

    /// <inheritdoc/>
    public void EventLocated(EventOccurrence occurrence, DenseOutput dense) => Events.Add(occurrence);
}
