using BioSim.Circuits.Connectivity;
using BioSim.Circuits.Mechanisms;
using BioSim.Circuits.Neurons;
using BioSim.Engine.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace BioSim.Circuits;

/// <summary>Registers the models, mechanisms and connectivity rules of this project in the catalogue.</summary>
public static class CircuitsServiceCollectionExtensions
{
    /// <summary>Registers every built-in neuron model, mechanism and connectivity rule of this project.</summary>
    public static IServiceCollection AddCircuits(this IServiceCollection services)
    {
        services.AddPlugin<INeuronModel, Neurons.Lif.LifModel>("lif");
        services.AddPlugin<INeuronModel, Neurons.AdEx.AdExModel>("adex");
        services.AddPlugin<INeuronModel, Neurons.HodgkinHuxley.HhModel>("hh");
        services.AddPlugin<INeuronModel, Neurons.LifCond.LifCondModel>("lif-cond");
        services.AddPlugin<INeuronModel, Neurons.Dendritic.PyramidalModel>("pyramidal");
        services.AddPlugin<INeuronModel, Neurons.Dendritic.InterneuronModel>("interneuron");
        services.AddPlugin<INeuronModel, Neurons.RateCircuit.RateCircuitModel>("rate-circuit");
        // Mechanisms carry their parameters: each resolution gives a new instance with the defaults (NEURON's names).
        services.AddPlugin<Mechanism, PassiveLeak>("pas", PluginLifetime.PerUse);
        services.AddPlugin<Mechanism, HhMechanism>("hh", PluginLifetime.PerUse);
        services.AddPlugin<Mechanism, CurrentClamp>("IClamp", PluginLifetime.PerUse);
        services.AddPlugin<Mechanism, ExpSynapse>("ExpSyn", PluginLifetime.PerUse);
        services.AddPlugin<Mechanism, Exp2Synapse>("Exp2Syn", PluginLifetime.PerUse);
        services.AddPlugin<IConnectivityRule, AllToAll>("all-to-all");
        services.AddPlugin<IConnectivityRule, FixedProbability>("fixed-probability");
        services.AddPlugin<IConnectivityRule, FixedIndegree>("fixed-indegree");
        services.AddPlugin<IConnectivityRule, OneToOne>("one-to-one");
        return services;
    }
}
