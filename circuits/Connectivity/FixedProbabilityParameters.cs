namespace BioSim.Circuits.Connectivity;

/// <summary>Parameters of Bernoulli (fixed-probability) connectivity.</summary>
/// <param name="p">Connection probability per (source, target) pair, in [0, 1].</param>
/// <param name="allow_autapses">Whether i → i may be drawn in a population connected to itself. Default true (as Brian2's <c>connect(p=…)</c>).</param>
public sealed record FixedProbabilityParameters(double p, bool allow_autapses = true);
