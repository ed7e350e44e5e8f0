using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;

namespace BioSim.Circuits.Neurons.Dendritic;

/// <summary>
/// The two-compartment interneuron of Sacramento et al. (2018): soma U and dendrite V_D,
/// C dU/dt = −g_L (U − E_L) + g_D (V_D − U) + g_E (E_E − U) + g_I (E_I − U), the nudging conductances
/// carrying the top-down teaching signal from the pyramidal neurons of the layer above.
/// </summary>
public sealed class InterneuronPopulation : DendriticPopulation, IPopulationFactory<InterneuronParameters, InterneuronPopulation>
{
    /// <summary>Interneurons with one dendrite, "dendrite" (coupling g_D), at U_init.</summary>
    /// <param name="name">The population's name, as experiment files and reports use it; it also keys the Poisson stream.</param>
    /// <param name="size">Number of neurons, &gt; 0.</param>
    /// <param name="p">The parameters, checked here (a problem throws an <see cref="ArgumentException"/> naming the population and the field).</param>
    /// <param name="receptors">The input ports, each named after the compartment it targets (dendrite, soma, or one of them followed by _suffix).</param>
    /// <param name="seed">The experiment's seed, which keys the Poisson spike stream.</param>
    public InterneuronPopulation(string name, int size, InterneuronParameters p, IReadOnlyList<ReceptorSpec> receptors, ulong seed = 0)
        : base(name, size, receptors, "interneuron", [("dendrite", p.g_D)], p.C, p.g_L, p.E_L, p.E_E, p.E_I,
            p.U_init, new RateFunction(p.phi, p.k, p.beta, p.theta), p.rate_scale, seed, p)
    {
        Parameters = p;
    }

    /// <inheritdoc cref="PyramidalPopulation.ReceptorModels"/>
    public static IReadOnlyList<string> ReceptorModels => DendriticReceptorModels;

    /// <summary>Builds the population; <paramref name="seed"/> keys its Poisson spikes.</summary>
    public static InterneuronPopulation Create(string name, int size, InterneuronParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed) =>
        new(name, size, parameters, receptors, seed);

    /// <summary>The parameters the population was built with.</summary>
    public InterneuronParameters Parameters { get; }

}
