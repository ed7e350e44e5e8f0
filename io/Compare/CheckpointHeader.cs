namespace BioSim.IO.Compare;

/// <summary>Who a comparison checkpoint belongs to and how the run stands (the file's attributes).</summary>
/// <param name="Status">The run's status text ("running", "completed", "diverged: …"); attribute "status".</param>
/// <param name="Rule">The rule's catalogue name; attribute "rule".</param>
/// <param name="Label">The rule's label in the comparison; attribute "label".</param>
/// <param name="Seed">The run's seed; attribute "seed" (stored as a 64-bit signed integer).</param>
public sealed record CheckpointHeader(string Status, string Rule, string Label, ulong Seed);
