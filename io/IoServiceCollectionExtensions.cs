using BioSim.Circuits;
using BioSim.IO.Experiments;
using BioSim.Plasticity;
using Microsoft.Extensions.DependencyInjection;

namespace BioSim.IO;

public static class IoServiceCollectionExtensions
{
    /// <summary>Registers the circuits and plasticity catalogues plus experiment reading, model building and rule comparisons.</summary>
    public static IServiceCollection AddBioSim(this IServiceCollection services)
    {
        services.AddCircuits();
        services.AddSingleton<ExperimentReader>();
        services.AddSingleton<CableCellReader>();
        services.AddSingleton<ModelBuilder>();
        services.AddSingleton<Runs.ExperimentRunner>();
        services.AddPlasticity();
        services.AddSingleton<Compare.ComparisonReader>();
        services.AddSingleton<Compare.RuleComparison>();
        return services;
    }

    /// <summary>A service provider with everything registered (for the CLI and tests).</summary>
    public static IServiceProvider CreateDefaultServices() => new ServiceCollection().AddBioSim().BuildServiceProvider();
}
