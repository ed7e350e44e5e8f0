using BioSim.Circuits.Populations;

namespace BioSim.Circuits.Neurons.HodgkinHuxley;

/// <summary>
/// Parameters of the single-compartment Hodgkin-Huxley neuron (see <see cref="HhPopulation"/>). The
/// channel densities, reversal potentials and temperature are the defaults of NEURON's built-in
/// <c>hh</c> mechanism (hh.mod); the compartment is a soma of length = diameter = 20 µm (lateral area
/// π·20·20 = 1256.6 µm², the ends excluded as NEURON does), so C = 12.57 pF, ḡ_Na = 1508 nS,
/// ḡ_K = 452.4 nS, g_L = 3.770 nS, and 10 µA/cm² is 125.7 pA.
/// </summary>
public sealed record HhParameters : IModelParameters
{
    /// <summary>area, membrane area (µm²), &gt; 0. Default π·20·20 ≈ 1256.64 (L = diam = 20 µm).</summary>
    public double area { get; init; } = Math.PI * 20.0 * 20.0;

    /// <summary>cm, specific capacitance (µF/cm²), &gt; 0. Default 1.</summary>
    public double cm { get; init; } = 1.0;

    /// <summary>gnabar, peak sodium conductance density (S/cm²), ≥ 0. Default 0.12.</summary>
    public double gnabar { get; init; } = 0.12;

    /// <summary>gkbar, peak potassium conductance density (S/cm²), ≥ 0. Default 0.036.</summary>
    public double gkbar { get; init; } = 0.036;

    /// <summary>gl, leak conductance density (S/cm²), &gt; 0. Default 0.0003.</summary>
    public double gl { get; init; } = 0.0003;

    /// <summary>el, leak reversal potential (mV). Default −54.3.</summary>
    public double el { get; init; } = -54.3;

    /// <summary>ena, sodium reversal potential (mV). Default 50.</summary>
    public double ena { get; init; } = 50.0;

    /// <summary>ek, potassium reversal potential (mV). Default −77.</summary>
    public double ek { get; init; } = -77.0;

    /// <summary>celsius, temperature (°C); rates scale by q10 = 3^((celsius − 6.3)/10). Default 6.3.</summary>
    public double celsius { get; init; } = 6.3;

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
    public string? Validate()
    {
        if (!(area > 0) || double.IsInfinity(area)) return $"area: must be a positive number of µm², got {area}";
        if (!(cm > 0) || double.IsInfinity(cm)) return $"cm: must be a positive number of µF/cm², got {cm}";
        if (!(gnabar >= 0) || double.IsInfinity(gnabar)) return $"gnabar: must be a non-negative number of S/cm², got {gnabar}";
        if (!(gkbar >= 0) || double.IsInfinity(gkbar)) return $"gkbar: must be a non-negative number of S/cm², got {gkbar}";
        if (!(gl > 0) || double.IsInfinity(gl)) return $"gl: must be a positive number of S/cm², got {gl}";
        if (!double.IsFinite(el)) return $"el: must be finite, got {el}";
        if (!double.IsFinite(ena)) return $"ena: must be finite, got {ena}";
        if (!double.IsFinite(ek)) return $"ek: must be finite, got {ek}";
        if (!(celsius >= -273.15 && celsius <= 100)) return $"celsius: must be between −273.15 and 100 °C, got {celsius}";
        if (!double.IsFinite(V_th)) return $"V_th: must be finite, got {V_th}";
        if (!double.IsFinite(V_init)) return $"V_init: must be finite, got {V_init}";
        if (!double.IsFinite(I_e)) return $"I_e: must be finite, got {I_e}";
        return null;
    }
}
