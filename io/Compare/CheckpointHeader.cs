using System.Text.Json;
using System.Text.Json.Nodes;
using BioSim.Engine.Simulation;
using BioSim.IO.Experiments;
using BioSim.IO.Hdf5;

namespace BioSim.IO.Compare;

/// <summary>Who a comparison checkpoint belongs to and how the run stands (the file's attributes).</summary>
/// <param name="Status">The run's status text ("running", "completed", "diverged: …").</param>
public sealed record CheckpointHeader(string Status, string Rule, string Label, ulong Seed);
