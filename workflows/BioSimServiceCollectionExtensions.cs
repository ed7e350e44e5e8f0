using BioSim.Circuits;
using BioSim.IO;
using BioSim.Plasticity;
using Microsoft.Extensions.DependencyInjection;

namespace BioSim.Workflows;

/// <summary>The composition root: every project's plug-ins and services, and the workflows a user runs.</summary>
public static class BioSimServiceCollectionExtensions
{
    /// <summary>Registers the circuits, plasticity and io plug-ins and readers, and the run and comparison workflows.</summary>
    public static IServiceCollection AddBioSim(this IServiceCollection services)
    {
        services.AddCircuits();
        services.AddPlasticity();
        services.AddIo();
        services.AddSingleton<Runs.ModelBuilder>();
        services.AddSingleton<Runs.ExperimentRunner>();
        services.AddSingleton<Compare.RuleComparison>();
        services.AddSingleton<Visualise.SharedFeatureWorkflow>();
        Fit.FitServiceCollectionExtensions.AddFit(services);
        services.AddSingleton(provider => new Cores.CoresWorkflow(provider.GetRequiredService<Engine.Numerics.IMatrixProduct>()));
        return services;
    }

    /// <summary>A service provider with everything registered, for a C# program that runs workflows without the CLI.</summary>
    public static ServiceProvider BuildBioSimServices() => new ServiceCollection().AddBioSim().BuildServiceProvider();
}
