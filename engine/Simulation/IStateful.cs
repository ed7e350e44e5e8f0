namespace BioSim.Engine.Simulation;

/// <summary>Something whose whole state can be saved to and restored from a <see cref="StateSnapshot"/>.</summary>
public interface IStateful
{
    /// <summary>Copies every state array under keys that start with <paramref name="prefix"/>.</summary>
    void SaveState(StateSnapshot snapshot, string prefix);

    /// <summary>Restores what <see cref="SaveState"/> wrote; throws if a key is missing or has the wrong length.</summary>
    void LoadState(StateSnapshot snapshot, string prefix);
}
