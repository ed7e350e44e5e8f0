using static BioSim.Circuits.Neurons.ParameterChecks;

namespace BioSim.Circuits.Neurons.HodgkinHuxley;

/// <summary>
/// The channels of NEURON's built-in <c>hh</c> mechanism (hh.mod): sodium, potassium and leak conductance densities,
/// their reversal potentials and the temperature, with hh.mod's defaults. The one description of these parameters:
/// the point neuron's <see cref="HhParameters"/> derive from it, the cable mechanism <see cref="Mechanisms.HhMechanism"/>
/// carries one; the kinetics are <see cref="HhKinetics"/>.
/// </summary>
public record HhChannels
{
    /// <summary>gnabar, peak sodium conductance density (S/cm²), ≥ 0. Default 0.12.</summary>
    public double gnabar { get; init; } = 0.12;

    /// <summary>gkbar, peak potassium conductance density (S/cm²), ≥ 0. Default 0.036.</summary>
    public double gkbar { get; init; } = 0.036;

    /// <summary>gl, leak conductance density (S/cm²), ≥ 0 (&gt; 0 for the point neuron). Default 0.0003.</summary>
    public double gl { get; init; } = 0.0003;

    /// <summary>el, leak reversal potential (mV). Default −54.3.</summary>
    public double el { get; init; } = -54.3;

    /// <summary>ena, sodium reversal potential (mV). Default 50 (NEURON's na_ion default).</summary>
    public double ena { get; init; } = 50.0;

    /// <summary>ek, potassium reversal potential (mV). Default −77 (NEURON's k_ion default).</summary>
    public double ek { get; init; } = -77.0;

    /// <summary>celsius, temperature (°C), −273.15 to 100; rates scale by q10 = 3^((celsius − 6.3)/10). Default 6.3 (NEURON's default).</summary>
    public double celsius { get; init; } = 6.3;

    /// <summary>The first invalid channel parameter as "field: problem", or null.</summary>
    /// <param name="leakMayBeZero">Whether gl = 0 is allowed (a cable section may have no leak; a lone compartment needs one).</param>
    public string? ValidateChannels(bool leakMayBeZero) =>
        NonNegative(gnabar, "gnabar", "S/cm²") ?? NonNegative(gkbar, "gkbar", "S/cm²")
        ?? (leakMayBeZero ? NonNegative(gl, "gl", "S/cm²") : Positive(gl, "gl", "S/cm²"))
        ?? Finite(el, "el") ?? Finite(ena, "ena") ?? Finite(ek, "ek")
        ?? (celsius >= -273.15 && celsius <= 100 ? null : $"celsius: must be between −273.15 and 100 °C, got {celsius}");
}
