using System.Runtime.CompilerServices;

namespace BioSim.Circuits.Neurons.HodgkinHuxley;

/// <summary>
/// The gate kinetics of NEURON's built-in <c>hh</c> mechanism (hh.mod), shared by the point neuron
/// (<see cref="HhPopulation"/>) and the cable mechanism (<see cref="Mechanisms.HhMechanism"/>). V in mV, rates in 1/ms.
/// </summary>
public static class HhKinetics
{
    /// <summary>hh.mod's vtrap: x/(e^{x/y} − 1), with its first-order expansion near x = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Vtrap(double x, double y) =>
        Math.Abs(x / y) < 1e-6 ? y * (1 - x / y / 2) : x / (Math.Exp(x / y) - 1);

    /// <summary>Opening and closing rates of m, h, n at V (1/ms, before the q10 factor), as hh.mod computes them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Rates(double v, out double am, out double bm, out double ah, out double bh, out double an, out double bn)
    {
        am = 0.1 * Vtrap(-(v + 40), 10);
        bm = 4 * Math.Exp(-(v + 65) / 18);
        ah = 0.07 * Math.Exp(-(v + 65) / 20);
        bh = 1 / (Math.Exp(-(v + 35) / 10) + 1);
        an = 0.01 * Vtrap(-(v + 55), 10);
        bn = 0.125 * Math.Exp(-(v + 65) / 80);
    }

    /// <summary>q10 = 3^((celsius − 6.3)/10), hh.mod's temperature factor of every rate.</summary>
    public static double Q10(double celsius) => Math.Pow(3.0, (celsius - 6.3) / 10.0);

    /// <summary>
    /// Steady states and time constants (ms) at V as hh.mod's PROCEDURE rates computes them:
    /// x_∞ = α/(α + β), τ_x = 1/(q10 (α + β)).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Steady(double v, double q10, out double minf, out double mtau, out double hinf, out double htau, out double ninf, out double ntau)
    {
        Rates(v, out double am, out double bm, out double ah, out double bh, out double an, out double bn);
        double sum = am + bm;
        mtau = 1 / (q10 * sum);
        minf = am / sum;
        sum = ah + bh;
        htau = 1 / (q10 * sum);
        hinf = ah / sum;
        sum = an + bn;
        ntau = 1 / (q10 * sum);
        ninf = an / sum;
    }
}
