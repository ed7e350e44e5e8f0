namespace BioSim.Engine.Ode;

/// <summary>Which sign changes of g count as events.</summary>
public enum EventDirection
{
    /// <summary>Both directions.</summary>
    Either = 0,

    /// <summary>g goes from negative to zero or positive (e.g. V rises through threshold).</summary>
    Rising = 1,

    /// <summary>g goes from positive to zero or negative.</summary>
    Falling = -1,
}
