namespace BioSim.Circuits.Connectivity;

/// <summary>Parameters of fixed in-degree connectivity.</summary>
/// <param name="indegree">Number of sources each target receives, K ≥ 0.</param>
/// <param name="allow_autapses">Whether i → i may be drawn in a population connected to itself. Default true.</param>
/// <param name="allow_multapses">Whether the same source may be drawn twice for one target. Default true (as NEST).</param>
public sealed record FixedIndegreeParameters(int indegree, bool allow_autapses = true, bool allow_multapses = true);
