namespace BioSim.Circuits.Morphology;

/// <summary>
/// How many segments (compartments) each section gets when its own <see cref="Section.Nseg"/> is not set:
/// a fixed count, or NEURON's d_lambda rule (Hines &amp; Carnevale 2001): the odd nseg with segments no
/// longer than d_lambda times the AC length constant at <see cref="Frequency"/>,
/// nseg = 2·⌊(L/(d_lambda·λ_f) + 0.9)/2⌋ + 1.
/// </summary>
public sealed record Discretisation
{
    /// <summary>Fixed nseg for every section without its own; null uses the d_lambda rule.</summary>
    public int? Nseg { get; init; }

    /// <summary>d_lambda, largest segment length as a fraction of λ_f. Default 0.1 (NEURON's).</summary>
    public double DLambda { get; init; } = 0.1;

    /// <summary>f, frequency of λ_f (Hz). Default 100 (NEURON's).</summary>
    public double Frequency { get; init; } = 100;

    /// <summary>One segment per section unless the section says otherwise (NEURON's default nseg = 1).</summary>
    public static Discretisation Default { get; } = new() { Nseg = 1 };

    /// <summary>The d_lambda rule with NEURON's usual 0.1 at 100 Hz.</summary>
    public static Discretisation DLambdaRule { get; } = new();

    /// <summary>nseg for <paramref name="section"/>.</summary>
    public int SegmentsOf(Section section)
    {
        if (section.Nseg is int own) return own;
        if (Nseg is int fixedCount) return fixedCount;
        if (!(DLambda > 0) || !(Frequency > 0)) throw new ArgumentException($"d_lambda ({DLambda}) and frequency ({Frequency} Hz) must be > 0.");
        return ((int)((section.Length / (DLambda * section.LambdaAtFrequency(Frequency)) + 0.9) / 2)) * 2 + 1;
    }
}
