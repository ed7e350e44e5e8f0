using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;

namespace BioSim.Circuits.Neurons.Dendritic;

/// <summary>
/// The three-compartment pyramidal neuron of Urbanczik &amp; Senn (2014) and Sacramento et al. (2018):
/// soma U, basal V_B and apical V_A,
/// C dU/dt = −g_L (U − E_L) + g_B (V_B − U) + g_A (V_A − U) + g_E (E_E − U) + g_I (E_I − U).
/// Without nudging the soma settles at U* = (g_L E_L + g_B V_B + g_A V_A)/(g_L + g_B + g_A); the
/// plasticity rules compare φ(U) with φ of the basal prediction V̂_B = g_B V_B/(g_L + g_B + g_A)
/// (<see cref="BasalPrediction"/>). Integration and outputs as in <see cref="DendriticPopulation"/>.
/// </summary>
public sealed class PyramidalPopulation : DendriticPopulation, IPopulationFactory<PyramidalParameters, PyramidalPopulation>
{
    /// <summary>Pyramidal neurons with dendrites "basal" (coupling g_B) and "apical" (g_A), at U_init.</summary>
    /// <param name="name">The population's name, as experiment files and reports use it; it also keys the Poisson stream.</param>
    /// <param name="size">Number of neurons, &gt; 0.</param>
    /// <param name="p">The parameters, checked here (a problem throws an <see cref="ArgumentException"/> naming the population and the field).</param>
    /// <param name="receptors">The input ports, each named after the compartment it targets (basal, apical, soma, or one of them followed by _suffix).</param>
    /// <param name="seed">The experiment's seed, which keys the Poisson spike stream.</param>
    public PyramidalPopulation(string name, int size, PyramidalParameters p, IReadOnlyList<ReceptorSpec> receptors, ulong seed = 0)
        : base(name, size, receptors, "pyramidal", [("basal", p.g_B), ("apical", p.g_A)], p.C, p.g_L, p.E_L, p.E_E, p.E_I,
            p.U_init, new RateFunction(p.phi, p.k, p.beta, p.theta), p.rate_scale, seed, p)
    {
        Parameters = p;
    }

    /// <summary>exp-current on any compartment (mV on a dendrite, pA on the soma), exp-conductance on the soma (nS).</summary>
    public static IReadOnlyList<string> ReceptorModels => DendriticReceptorModels;

    /// <summary>Builds the population; <paramref name="seed"/> keys its Poisson spikes.</summary>
    public static PyramidalPopulation Create(string name, int size, PyramidalParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed) =>
        new(name, size, parameters, receptors, seed);

    /// <summary>The parameters the population was built with.</summary>
    public PyramidalParameters Parameters { get; }

    /// <summary>V̂_B = g_B V_B/(g_L + g_B + g_A) (with E_L = 0), the somatic potential the basal input alone predicts.</summary>
    public double BasalPrediction(double vBasal) => Parameters.g_B * vBasal / (Parameters.g_L + Parameters.g_B + Parameters.g_A);

}
