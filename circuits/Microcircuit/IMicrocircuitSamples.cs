namespace BioSim.Circuits.Microcircuit;

/// <summary>
/// The samples a <see cref="CorticalMicrocircuit"/> presents to itself, one every <see cref="MicrocircuitParameters.sample_duration"/>:
/// sample k = (step / steps per sample) mod <see cref="Count"/>, so the data position is the simulation clock and a
/// checkpoint of the clock resumes the data where it stopped.
/// </summary>
public interface IMicrocircuitSamples
{
    /// <summary>Number of samples; presentation cycles through them in order.</summary>
    int Count { get; }

    /// <summary>Writes the input rates of sample <paramref name="index"/> (one per input cell).</summary>
    void Input(int index, Span<double> rates);

    /// <summary>Writes the target somatic potentials of sample <paramref name="index"/> (one per output cell) and returns
    /// true, or returns false when the sample has no target (the output is then not nudged).</summary>
    bool Target(int index, Span<double> potentials);
}
