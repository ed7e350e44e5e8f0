using BioSim.Circuits.Cells;
using BioSim.Circuits.Cores;
using BioSim.Circuits.Connectivity;
using BioSim.Circuits.Mechanisms;
using BioSim.Circuits.Microcircuit;
using BioSim.Circuits.Neurons.AdEx;
using BioSim.Circuits.Neurons.Dendritic;
using BioSim.Circuits.Neurons.HodgkinHuxley;
using BioSim.Circuits.Neurons.Lif;
using BioSim.Circuits.Neurons.LifCond;
using BioSim.Circuits.Neurons.RateCircuit;
using BioSim.Circuits.Populations;
using BioSim.Circuits.Stimuli;
using BioSim.Engine.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace BioSim.Circuits;

/// <summary>Registers the models, mechanisms and connectivity rules of this project in the catalogue.</summary>
public static class CircuitsServiceCollectionExtensions
{
    /// <summary>Registers every built-in population model (point neurons and cable cells), mechanism and connectivity rule of this project.</summary>
    public static IServiceCollection AddCircuits(this IServiceCollection services)
    {
        services.AddPlugin<IPopulationModel, PopulationModel<LifParameters, LifPopulation>>("lif");
        services.AddPlugin<IPopulationModel, PopulationModel<AdExParameters, AdExPopulation>>("adex");
        services.AddPlugin<IPopulationModel, PopulationModel<HhParameters, HhPopulation>>("hh");
        services.AddPlugin<IPopulationModel, PopulationModel<LifCondParameters, LifCondPopulation>>("lif-cond");
        services.AddPlugin<IPopulationModel, PopulationModel<PyramidalParameters, PyramidalPopulation>>("pyramidal");
        services.AddPlugin<IPopulationModel, PopulationModel<InterneuronParameters, InterneuronPopulation>>("interneuron");
        services.AddPlugin<IPopulationModel, PopulationModel<RateCircuitParameters, RateCircuitPopulation>>("rate-circuit");
        services.AddPlugin<IPopulationModel, PopulationModel<MicrocircuitParameters, CorticalMicrocircuit>>("microcircuit");
        services.AddPlugin<IPopulationModel, PopulationModel<CablePopulationParameters, CablePopulation>>("cable");
        services.AddPlugin<IPopulationModel, PopulationModel<SpikeGeneratorParameters, SpikeGeneratorPopulation>>("spike-generator");
        services.AddPlugin<IPopulationModel, PopulationModel<PoissonGeneratorParameters, PoissonGeneratorPopulation>>("poisson-generator");
        services.AddPlugin<IPopulationModel, PopulationModel<NeurosynapticCoresParameters, NeurosynapticCoresPopulation>>("neurosynaptic-cores");
        services.AddPlugin<IPopulationModel, PopulationModel<StepCurrentParameters, StepCurrentPopulation>>("step-current-generator");
        services.AddPlugin<IPopulationModel, PopulationModel<NoiseCurrentParameters, NoiseCurrentPopulation>>("noise-generator");
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
