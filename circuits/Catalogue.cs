using BioSim.Circuits.Connectivity;
using BioSim.Circuits.Neurons;
using BioSim.Circuits.Neurons.Lif;
using Microsoft.Extensions.DependencyInjection;

namespace BioSim.Circuits;

/// <summary>One name in the catalogue: what kind of plug-in it is and the name experiment files use.</summary>
public sealed record CatalogueEntry(Type Kind, string Name);

/// <summary>
/// The names experiment files may use for each kind of plug-in (neuron models, connectivity rules),
/// resolved through keyed services. The same list serves errors ("allowed: …") and contract tests.
/// </summary>
public sealed class Catalogue(IServiceProvider services, IEnumerable<CatalogueEntry> entries)
{
    private readonly CatalogueEntry[] _entries = entries.ToArray();

    /// <summary>Registered names of plug-ins of type <typeparamref name="T"/>, sorted.</summary>
    public IReadOnlyList<string> Names<T>() => _entries.Where(e => e.Kind == typeof(T)).Select(e => e.Name).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The plug-in named <paramref name="name"/>, or null.</summary>
    public T? Find<T>(string name) where T : class =>
        _entries.Any(e => e.Kind == typeof(T) && e.Name == name) ? services.GetRequiredKeyedService<T>(name) : null;
}

public static class CircuitsServiceCollectionExtensions
{
    /// <summary>Registers a neuron model under the name experiment files use.</summary>
    public static IServiceCollection AddNeuronModel<T>(this IServiceCollection services, string name) where T : class, INeuronModel =>
        services.AddKeyedSingleton<INeuronModel, T>(name).AddSingleton(new CatalogueEntry(typeof(INeuronModel), name));

    /// <summary>Registers a connectivity rule under the name experiment files use.</summary>
    public static IServiceCollection AddConnectivityRule<T>(this IServiceCollection services, string name) where T : class, IConnectivityRule =>
        services.AddKeyedSingleton<IConnectivityRule, T>(name).AddSingleton(new CatalogueEntry(typeof(IConnectivityRule), name));

    /// <summary>
    /// Registers a cable mechanism (channel, leak, clamp, synapse) under the name experiment files use
    /// (NEURON's names for the built-in ones). Each resolution gives a new instance with default parameters.
    /// </summary>
    public static IServiceCollection AddMechanism<T>(this IServiceCollection services, string name) where T : Mechanisms.Mechanism =>
        services.AddKeyedTransient<Mechanisms.Mechanism, T>(name).AddSingleton(new CatalogueEntry(typeof(Mechanisms.Mechanism), name));

    /// <summary>Registers every built-in model and rule of this project and the catalogue.</summary>
    public static IServiceCollection AddCircuits(this IServiceCollection services)
    {
        services.AddSingleton<Catalogue>();
        services.AddNeuronModel<LifModel>("lif");
        services.AddNeuronModel<Neurons.AdEx.AdExModel>("adex");
        services.AddNeuronModel<Neurons.HodgkinHuxley.HhModel>("hh");
        services.AddNeuronModel<Neurons.LifCond.LifCondModel>("lif-cond");
        services.AddNeuronModel<Neurons.Dendritic.PyramidalModel>("pyramidal");
        services.AddNeuronModel<Neurons.Dendritic.InterneuronModel>("interneuron");
        services.AddNeuronModel<Neurons.RateCircuit.RateCircuitModel>("rate-circuit");
        services.AddMechanism<Mechanisms.PassiveLeak>("pas");
        services.AddMechanism<Mechanisms.HhMechanism>("hh");
        services.AddMechanism<Mechanisms.CurrentClamp>("IClamp");
        services.AddMechanism<Mechanisms.ExpSynapse>("ExpSyn");
        services.AddMechanism<Mechanisms.Exp2Synapse>("Exp2Syn");
        services.AddConnectivityRule<AllToAll>("all-to-all");
        services.AddConnectivityRule<FixedProbability>("fixed-probability");
        services.AddConnectivityRule<FixedIndegree>("fixed-indegree");
        services.AddConnectivityRule<OneToOne>("one-to-one");
        return services;
    }
}
