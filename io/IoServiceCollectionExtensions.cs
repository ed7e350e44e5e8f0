using BioSim.Circuits;
using BioSim.IO.Experiments;
using Microsoft.Extensions.DependencyInjection;

namespace BioSim.IO;

public static class IoServiceCollectionExtensions
{
    /// <summary>Registers the circuits catalogue plus experiment reading and model building.</summary>
    public static IServiceCollection AddBioSim(this IServiceCollection services)
    {
        services.AddCircuits();
        services.AddSingleton<ExperimentReader>();
        services.AddSingleton<CableCellReader>();
        services.AddSingleton<ModelBuilder>();
        services.AddSingleton<Runs.ExperimentRunner>();
        return services;
    }

    /// <summary>A service provider with everything registered (for the CLI and tests).</summary>
    public static IServiceProvider CreateDefaultServices() => new ServiceCollection().AddBioSim().BuildServiceProvider();
}
