namespace BioSim.IO.Sonata;

/// <summary>What a SONATA report population records and how it is stored.</summary>
public sealed record SonataReportOptions
{
    /// <summary>Time of the first frame (ms).</summary>
    public double StartMs { get; init; }

    /// <summary>Time between frames (ms), &gt; 0.</summary>
    public double DtMs { get; init; } = 0.1;

    /// <summary>Units of the values, written as the <c>units</c> attribute of <c>data</c> (e.g. "mV", "nA").</summary>
    public string Units { get; init; } = "mV";

    /// <summary>The recorded state variable, written as the <c>variable_name</c> attribute of <c>data</c>.</summary>
    public string VariableName { get; init; } = "v";

    /// <summary>Store <c>data</c> as float32 (the SONATA guide's type; halves the file) instead of float64
    /// (the default: simulation state is double and round-trips exactly).</summary>
    public bool SinglePrecision { get; init; }

    /// <summary>gzip level 1–9 for <c>data</c>, 0 (default) for none.</summary>
    public int DeflateLevel { get; init; }

    /// <summary>Frames per chunk of <c>data</c>; 0 picks about 64 KiB per chunk.</summary>
    public int ChunkFrames { get; init; }

    /// <summary>The node population the report records, written as the attribute <c>population</c> of <c>data</c> when the
    /// report's name is not the population's (several variables of one population in one file); null: not written.</summary>
    public string? Population { get; init; }

    internal void Validate()
    {
        if (!double.IsFinite(StartMs)) throw new ArgumentOutOfRangeException(nameof(StartMs), StartMs, "StartMs must be finite");
        if (!(DtMs > 0) || !double.IsFinite(DtMs)) throw new ArgumentOutOfRangeException(nameof(DtMs), DtMs, "DtMs must be positive and finite");
        if (string.IsNullOrEmpty(Units)) throw new ArgumentException("Units must not be empty", nameof(Units));
        if (string.IsNullOrEmpty(VariableName)) throw new ArgumentException("VariableName must not be empty", nameof(VariableName));
    }
}
