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
    /// <inheritdoc/>
    public Type ParametersType => typeof(TParameters);

    /// <inheritdoc/>
    public IReadOnlyList<string> ReceptorModels => TPopulation.ReceptorModels;

    /// <inheritdoc/>
    public bool Compartmental => TPopulation.Compartmental;

    /// <inheritdoc/>
    public bool IsCurrentSource => typeof(Stimuli.ICurrentSource).IsAssignableFrom(typeof(TPopulation));

    /// <inheritdoc/>
    public bool TakesCurrent => typeof(Stimuli.ICurrentTarget).IsAssignableFrom(typeof(TPopulation));

    /// <inheritdoc/>
    public string? Validate(object parameters) => Typed(parameters).Validate();

    /// <inheritdoc/>
    public IReadOnlyList<string> InputNames(object parameters, IReadOnlyList<ReceptorSpec> receptors) =>
        TPopulation.InputPorts(Typed(parameters), receptors);

    /// <inheritdoc/>
    public IReadOnlyList<string>? Sections(object parameters) => TPopulation.Sections(Typed(parameters));

    /// <inheritdoc/>
    public IPopulation Create(string name, int size, object parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed = 0) =>
        TPopulation.Create(name, size, Typed(parameters), receptors, seed);

    private static TParameters Typed(object parameters) => parameters as TParameters
        ?? throw new ArgumentException($"parameters must be {typeof(TParameters).Name}, got {parameters?.GetType().Name ?? "null"}", nameof(parameters));
}
