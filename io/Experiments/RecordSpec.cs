namespace BioSim.IO.Experiments;

/// <summary>What is written to the output file; <paramref name="Compression"/> is the gzip level (0 = off, 1–9) of every
/// dataset: uncompressed writes run at about 1 GB/s here, deflate-1 at about 75 MB/s, so it is off by default.</summary>
public sealed record RecordSpec(IReadOnlyList<string> Spikes, IReadOnlyList<StateProbeSpec> State, int Compression = 0)
{
    /// <summary>"weights": the projections whose weights are recorded (none when absent).</summary>
    public IReadOnlyList<WeightProbeSpec> Weights { get; init; } = [];
}

/// <summary>A weight report: the projection (by name), every how many steps a frame is taken (null: once per flush
/// interval), and which synapses (CSR indices; null: all of them). With <paramref name="Matrix"/> the weights are a dense
/// matrix of a population that keeps its own (a microcircuit's "W_PP_1_0"): <paramref name="Projection"/> then names that
/// population and the synapses are the matrix entries in row-major order.</summary>
public sealed record WeightProbeSpec(string Projection, int? Every, IReadOnlyList<int>? Synapses, string? Matrix = null)
{
    /// <summary>The report's name under /weights: the projection's, or "&lt;population&gt;.&lt;matrix&gt;".</summary>
    public string ReportName => Matrix is null ? Projection : $"{Projection}.{Matrix}";
}
