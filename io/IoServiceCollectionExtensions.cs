using BioSim.IO.Compare;
using Microsoft.Extensions.DependencyInjection;

namespace BioSim.IO;

/// <summary>Registers the readers of this project (experiment, cell and comparison files).</summary>
public static class IoServiceCollectionExtensions
{
    /// <summary>Registers the experiment, cable-cell and comparison readers (they resolve names through the catalogue).</summary>
    public static IServiceCollection AddIo(this IServiceCollection services)
    {
        services.AddSingleton<Experiments.ExperimentReader>();
        services.AddSingleton<Experiments.CableCellReader>();
        services.AddSingleton<Compare.ComparisonReader>();
        services.AddComparisonTasks();
        return services;
    }
}
