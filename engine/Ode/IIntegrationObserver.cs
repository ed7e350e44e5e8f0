namespace BioSim.Engine.Ode;

/// <summary>Sees every accepted step and located event of an adaptive integration.</summary>
public interface IIntegrationObserver
{
    /// <summary>Called after each accepted step from <paramref name="t"/> to t + <paramref name="h"/>;
    /// <paramref name="dense"/> interpolates the state over the step and stays valid until the next call.</summary>
    void StepAccepted(double t, double h, DenseOutput dense);

    /// <summary>Called for each located event, in time order, after the step that contains it.</summary>
    void EventLocated(EventOccurrence occurrence, DenseOutput dense);
}
