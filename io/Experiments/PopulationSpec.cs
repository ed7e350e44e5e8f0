using BioSim.Circuits.Synapses;
using BioSim.Engine.Random;

namespace BioSim.IO.Experiments;

/// <summary>A population: model name, typed parameters (the record type the model declares, e.g. <see cref="Circuits.Cells.CablePopulationParameters"/>
/// for cable cells), receptors, initial values per variable.</summary>
public sealed record PopulationSpec(
    string Name, int Size, string Model, object Parameters, IReadOnlyList<ReceptorSpec> Receptors,
    IReadOnlyDictionary<string, Distribution> Initial);
