using BioSim.Circuits.Populations;
using static BioSim.Circuits.Neurons.ParameterChecks;

namespace BioSim.Circuits.Neurons.HodgkinHuxley;

/// <summary>
/// Parameters of the single-compartment Hodgkin-Huxley neuron (see <see cref="HhPopulation"/>). The
/// channel densities, reversal potentials and temperature are the defaults of NEURON's built-in
/// <c>hh</c> mechanism (hh.mod, see <see cref="HhChannels"/>); the compartment is a soma of length = diameter = 20 µm (lateral area
/// π·20·20 = 1256.6 µm², the ends excluded as NEURON does), so C = 12.57 pF, ḡ_Na = 1508 nS,
/// ḡ_K = 452.4 nS, g_L = 3.770 nS, and 10 µA/cm² is 125.7 pA.
/// </summary>
public sealed record HhParameters : HhChannels, IModelParameters
{
    /// <summary>area, membrane area (µm²), &gt; 0. Default π·20·20 ≈ 1256.64 (L = diam = 20 µm).</summary>
    public double area { get; init; } = Math.PI * 20.0 * 20.0;

    /// <summary>cm, specific capacitance (µF/cm²), &gt; 0. Default 1.</summary>
    public double cm { get; init; } = 1.0;

    /// <summary>V_th, spike detection threshold (mV), crossed upwards. Default 0 (NEURON's NetCon default is 10).</summary>
    public double V_th { get; init; }

    /// <summary>V_init, initial potential (mV); the gates start at their steady state there (as finitialize does). Default −65.</summary>
    public double V_init { get; init; } = -65.0;

    /// <summary>I_e, constant injected current (pA). Default 0.</summary>
    public double I_e { get; init; }

    /// <summary>Membrane capacitance C (pF): cm (µF/cm²) × area (µm²) × 1e-8 cm²/µm² × 1e6 pF/µF.</summary>
    public double Capacitance => cm * area * 1e-2;

    /// <summary>Converts a conductance density (S/cm²) to the compartment's conductance (nS).</summary>
    public double Conductance(double density) => density * area * 10.0;

    /// <summary>Returns the first invalid field as "field: problem", or null when all are valid.</summary>
    public string? Validate() =>
        Positive(area, "area", "µm²") ?? Positive(cm, "cm", "µF/cm²") ?? ValidateChannels(leakMayBeZero: false)
        ?? Finite(V_th, "V_th") ?? Finite(V_init, "V_init") ?? Finite(I_e, "I_e");
}
