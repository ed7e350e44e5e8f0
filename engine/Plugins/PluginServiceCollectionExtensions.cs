using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BioSim.Engine.Plugins;

/// <summary>The one way every project registers its plug-ins: <c>services.AddPlugin&lt;TKind, TImpl&gt;(name)</c>.</summary>
public static class PluginServiceCollectionExtensions
{
    /// <summary>Registers <typeparamref name="TImpl"/> as the plug-in of kind <typeparamref name="TKind"/> named
    /// <paramref name="name"/> (the name files use), and the <see cref="Catalogue"/> that lists it.</summary>
    public static IServiceCollection AddPlugin<TKind, TImpl>(this IServiceCollection services, string name,
        PluginLifetime lifetime = PluginLifetime.Shared)
        where TKind : class
        where TImpl : class, TKind
    {
        if (lifetime == PluginLifetime.Shared) services.AddKeyedSingleton<TKind, TImpl>(name);
        else services.AddKeyedTransient<TKind, TImpl>(name);
        return services.AddCatalogueEntry(typeof(TKind), name);
    }

    /// <summary>Registers a plug-in made by <paramref name="factory"/> (for plug-ins that are instances with settings,
    /// e.g. one activation class under several names).</summary>
    public static IServiceCollection AddPlugin<TKind>(this IServiceCollection services, string name, Func<TKind> factory,
        PluginLifetime lifetime = PluginLifetime.Shared)
        where TKind : class
    {
        if (lifetime == PluginLifetime.Shared) services.AddKeyedSingleton(name, (_, _) => factory());
        else services.AddKeyedTransient(name, (_, _) => factory());
        return services.AddCatalogueEntry(typeof(TKind), name);
    }

    private static IServiceCollection AddCatalogueEntry(this IServiceCollection services, Type kind, string name)
    {
        services.TryAddSingleton<Catalogue>();
        return services.AddSingleton(new CatalogueEntry(kind, name));
    }
}
