namespace BioSim.IO.Sonata;

/// <summary>One SONATA frame-oriented report population: frames × elements values.</summary>
public sealed record StateReport(string Population, string Variable, string Units, double StartMs, double StopMs, double DtMs,
    ulong[] NodeIds, double[] Data, int Frames, int Elements)
{
    /// <summary>The value of column <paramref name="element"/> in frame <paramref name="frame"/>, in <see cref="Units"/>.</summary>
    public double Value(int frame, int element) => Data[(long)frame * Elements + element];
}
