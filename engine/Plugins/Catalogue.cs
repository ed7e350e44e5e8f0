using Microsoft.Extensions.DependencyInjection;

namespace BioSim.Engine.Plugins;

/// <summary>
/// The names experiment, comparison and fit files may use for each kind of plug-in (population models,
/// mechanisms, connectivity rules, learning rules, optimisers, losses, activations, initialisations, tasks,
/// gradient methods, fit models), resolved through keyed services. The same list serves errors
/// ("known: …") and the contract tests, which iterate every registered name of every kind.
/// </summary>
public sealed class Catalogue(IServiceProvider services, IEnumerable<CatalogueEntry> entries)
{
    private readonly CatalogueEntry[] _entries = [.. entries];

    /// <summary>Every kind that has at least one registered name.</summary>
    public IReadOnlyList<Type> Kinds => [.. _entries.Select(e => e.Kind).Distinct()];

    /// <summary>Registered names of plug-ins of kind <typeparamref name="T"/>, sorted.</summary>
    public IReadOnlyList<string> Names<T>() => Names(typeof(T));

    /// <summary>Registered names of plug-ins of kind <paramref name="kind"/>, sorted.</summary>
    public IReadOnlyList<string> Names(Type kind) =>
        [.. _entries.Where(e => e.Kind == kind).Select(e => e.Name).Order(StringComparer.Ordinal)];

    /// <summary>Whether a plug-in of kind <typeparamref name="T"/> is registered as <paramref name="name"/>.</summary>
    public bool Contains<T>(string name) => _entries.Any(e => e.Kind == typeof(T) && e.Name == name);

    /// <summary>The plug-in named <paramref name="name"/> (a new instance for transient kinds), or null.</summary>
    public T? Find<T>(string name) where T : class => Contains<T>(name) ? services.GetRequiredKeyedService<T>(name) : null;

    /// <summary>The plug-in of kind <paramref name="kind"/> named <paramref name="name"/>.</summary>
    public object Get(Type kind, string name) => services.GetRequiredKeyedService(kind, name);

    /// <summary>The plug-in named <paramref name="name"/>; an unknown name throws <see cref="UnknownPluginException"/> listing the known ones.</summary>
    /// <param name="name">The registered name, as the experiment, comparison or fit file gives it.</param>
    /// <param name="what">What the kind is called in messages ("learning rule", "optimiser").</param>
    public T Get<T>(string name, string what) where T : class =>
        Find<T>(name) ?? throw new UnknownPluginException(what, name, Names<T>());
}
