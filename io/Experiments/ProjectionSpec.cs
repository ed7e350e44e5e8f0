using BioSim.Engine.Random;

namespace BioSim.IO.Experiments;

/// <summary>A projection: source, target receptor, connectivity rule with its typed parameters, weights and delays, and
/// optionally a synaptic plasticity rule (<c>"plasticity": {"rule": "stdp", …}</c>) with its typed parameters.</summary>
public sealed record ProjectionSpec(
    string Name, string Source, string Target, string Receptor, string Rule, object RuleParameters,
    Distribution Weight, Distribution Delay, string? Plasticity = null, object? PlasticityParameters = null);
