using BioSim.Circuits.Synapses;
using BioSim.Engine.Random;

namespace BioSim.IO.Experiments;

/// <summary>A population: model name, typed parameters (the record type the model declares, e.g. <see cref="Circuits.Cells.CablePopulationParameters"/>
/// for cable cells), receptors, initial values per variable.</summary>
public sealed record PopulationSpec(
    string Name, int Size, string Model, object Parameters, IReadOnlyList<ReceptorSpec> Receptors,
    IReadOnlyDictionary<string, Distribution> Initial)
{
    /// <summary>The population's <c>"integration"</c>: null for the model's fixed-step scheme, or the tolerances of
    /// each cell's own adaptive steps (<c>{"method": "adaptive", "rtol": …, "atol": …}</c>).</summary>
    public Engine.Ode.AdaptiveOptions? Integration { get; init; }

    /// <summary>A microcircuit's <c>"plasticity": {"rule": name, …}</c>: the rule's name (an
    /// <see cref="Circuits.Microcircuit.IMicrocircuitRule"/>), or null.</summary>
    public string? Plasticity { get; init; }

    /// <summary>The rule's parameters, read into its record type and checked; null without <see cref="Plasticity"/>.</summary>
    public object? PlasticityParameters { get; init; }

    /// <summary>A microcircuit's <c>"task"</c> (the samples it presents to itself), checked; or null.</summary>
    public Circuits.Microcircuit.MicrocircuitTask? Task { get; init; }
}
