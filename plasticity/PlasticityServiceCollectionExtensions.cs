using BioSim.Circuits;
using BioSim.Plasticity.Linear;
using BioSim.Plasticity.Rules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BioSim.Plasticity;

public static class PlasticityServiceCollectionExtensions
{
    /// <summary>Registers a credit-assignment rule under the name experiment files use (one instance per resolve: rules carry state).</summary>
    public static IServiceCollection AddPlasticityRule<T>(this IServiceCollection services, string name) where T : class, ICreditAssignmentRule =>
        services.AddKeyedTransient<ICreditAssignmentRule, T>(name).AddSingleton(new CatalogueEntry(typeof(ICreditAssignmentRule), name));

    /// <summary>Registers the built-in rules, the matrix product (OpenBLAS when present) and the catalogue.</summary>
    public static IServiceCollection AddPlasticity(this IServiceCollection services)
    {
        services.TryAddSingleton<Catalogue>();
        services.TryAddSingleton(_ => MatrixProducts.CreateDefault());
        services.AddPlasticityRule<Backpropagation>("backprop");
        services.AddPlasticityRule<FeedbackAlignment>("feedback-alignment");
        services.AddPlasticityRule<DirectFeedbackAlignment>("direct-feedback-alignment");
        services.AddPlasticityRule<GaitProp>("gait-prop");
        services.AddPlasticityRule<CorrelativeInfomax>("correlative-infomax");
        return services;
    }

    /// <summary>A new instance of the rule named <paramref name="name"/>; an unknown name lists the known ones.</summary>
    public static ICreditAssignmentRule CreateRule(this Catalogue catalogue, string name) =>
        catalogue.Find<ICreditAssignmentRule>(name)
        ?? throw new ArgumentException($"Unknown learning rule '{name}'; known: {string.Join(", ", catalogue.Names<ICreditAssignmentRule>())}.", nameof(name));
}
