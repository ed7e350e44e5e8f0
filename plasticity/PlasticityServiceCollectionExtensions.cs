using BioSim.Engine.Numerics;
using BioSim.Engine.Plugins;
using BioSim.Plasticity.Rules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BioSim.Plasticity;

public static class PlasticityServiceCollectionExtensions
{
    /// <summary>Registers the built-in rules, the matrix product (OpenBLAS when present) and the catalogue.</summary>
    public static IServiceCollection AddPlasticity(this IServiceCollection services)
    {
        services.TryAddSingleton(_ => MatrixProducts.CreateDefault());
        services.AddPlugin<ICreditAssignmentRule, Backpropagation>("backprop", PluginLifetime.PerUse);
        services.AddPlugin<ICreditAssignmentRule, FeedbackAlignment>("feedback-alignment", PluginLifetime.PerUse);
        services.AddPlugin<ICreditAssignmentRule, DirectFeedbackAlignment>("direct-feedback-alignment", PluginLifetime.PerUse);
        services.AddPlugin<ICreditAssignmentRule, GaitProp>("gait-prop", PluginLifetime.PerUse);
        services.AddPlugin<ICreditAssignmentRule, CorrelativeInfomax>("correlative-infomax", PluginLifetime.PerUse);
        return services;
    }

    /// <summary>A new instance of the rule named <paramref name="name"/>; an unknown name lists the known ones.</summary>
    public static ICreditAssignmentRule CreateRule(this Catalogue catalogue, string name) =>
        catalogue.Get<ICreditAssignmentRule>(name, "learning rule");
}
