namespace BioSim.Engine.Ode;

/// <summary>
/// An event to watch during an integration. A crossing is detected from the values of g at the ends of each
/// accepted step: rising when g goes from &lt; 0 to ≥ 0, falling when from &gt; 0 to ≤ 0; a state that starts
/// exactly on g = 0 does not trigger, and two crossings inside one step cancel (limit the step with
/// <see cref="AdaptiveOptions.MaxStep"/> when g can oscillate faster than the solution).
/// </summary>
/// <param name="Function">The event function g(t, y).</param>
/// <param name="Direction">Which sign changes count.</param>
/// <param name="Terminal">Whether the integration stops at the first occurrence.</param>
public sealed record OdeEvent(IEventFunction Function, EventDirection Direction = EventDirection.Either, bool Terminal = false);
