using BioSim.Engine.Random;

namespace BioSim.IO.Experiments;

/// <summary>A projection: source, target receptor, connectivity rule with its typed parameters, weights and delays.</summary>
public sealed record ProjectionSpec(
    string Name, string Source, string Target, string Receptor, string Rule, object RuleParameters,
    Distribution Weight, Distribution Delay);
