using BioSim.Engine.Random;

namespace BioSim.Circuits.Stimuli;

/// <summary>
/// A device that injects a piecewise-constant current (NEST's step_current_generator and noise_generator, NEURON's
/// IClamp driven by Vector.play, Brian2's TimedArray current): element j's amplitude A_j(t) (pA) is right-continuous
/// and changes only at its numbered change times c = 0, 1, 2, … (increasing). A projection from the device scales it by
/// its weight (dimensionless) onto each target, as NEST does: target i receives Σ_j w_ij A_j(t − d). A device whose
/// amplitude is random gives each connection its own stream (<see cref="ConnectionStream"/>), so every target sees its
/// own noise. Times and amplitudes are pure functions of (element, connection stream, change index): a device keeps no
/// state that a checkpoint could lose, and a change's amplitude never depends on the step or the thread count.
/// </summary>
public interface ICurrentSource
{
    /// <summary>The device population's name.</summary>
    string Name { get; }

    /// <summary>Number of elements.</summary>
    int Size { get; }

    /// <summary>Index of element <paramref name="element"/>'s first change at a time ≥ <paramref name="from"/> (ms).</summary>
    long FirstChange(int element, double from);

    /// <summary>Time (ms) of change <paramref name="change"/> (≥ 0) of element <paramref name="element"/>; +∞ past the last.</summary>
    double ChangeTime(int element, long change);

    /// <summary>The amplitude (pA) from change <paramref name="change"/> until the next, as the connection with stream
    /// <paramref name="connection"/> sees it; 0 for <paramref name="change"/> &lt; 0 (before the first change).</summary>
    double AmplitudeAfter(int element, RandomStream connection, long change);

    /// <summary>The random stream of the connection from element <paramref name="element"/> to neuron <paramref name="target"/> of
    /// population <paramref name="targetPopulation"/> (a deterministic device ignores it).</summary>
    RandomStream ConnectionStream(int element, string targetPopulation, int target);
}
