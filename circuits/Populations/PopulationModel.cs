using BioSim.Circuits.Synapses;

namespace BioSim.Circuits.Populations;

/// <summary>
/// The <see cref="IPopulationModel"/> of a parameters record and a population class: a model is its folder (the two
/// types) and one registration line, <c>services.AddPlugin&lt;IPopulationModel, PopulationModel&lt;TParameters, TPopulation&gt;&gt;(name)</c>.
/// </summary>
public sealed class PopulationModel<TParameters, TPopulation> : IPopulationModel
    where TParameters : class, IModelParameters
    where TPopulation : IPopulation, IPopulationFactory<TParameters, TPopulation>
{
    public Type ParametersType => typeof(TParameters);

    public IReadOnlyList<string> ReceptorModels => TPopulation.ReceptorModels;

    public bool Compartmental => TPopulation.Compartmental;

    public string? Validate(object parameters) => Typed(parameters).Validate();

    public IReadOnlyList<string> InputNames(object parameters, IReadOnlyList<ReceptorSpec> receptors) =>
        TPopulation.InputPorts(Typed(parameters), receptors);

    public IReadOnlyList<string>? Sections(object parameters) => TPopulation.Sections(Typed(parameters));

    public IPopulation Create(string name, int size, object parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed = 0) =>
        TPopulation.Create(name, size, Typed(parameters), receptors, seed);

    private static TParameters Typed(object parameters) => parameters as TParameters
        ?? throw new ArgumentException($"parameters must be {typeof(TParameters).Name}, got {parameters?.GetType().Name ?? "null"}", nameof(parameters));
}
