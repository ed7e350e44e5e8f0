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

/// <summary>
/// hh.mod's rate table (<c>TABLE minf, mtau, hinf, htau, ninf, ntau DEPEND celsius FROM -100 TO 100 WITH 200</c>,
/// used when NEURON's <c>usetable_hh</c> = 1, its default): the six functions at V = −100, −99, …, 100 mV,
/// linearly interpolated in between and held constant outside, exactly as NMODL's generated code does.
/// </summary>
public sealed class HhRateTable
{
    private const double Vmin = -100, Vmax = 100;
    private const int Steps = 200;
    private readonly double[] _table;   // 6 values per row

    public HhRateTable(double q10)
    {
        _table = new double[(Steps + 1) * 6];
        double dx = (Vmax - Vmin) / Steps;
        for (int i = 0; i <= Steps; i++)
        {
            HhKinetics.Steady(Vmin + i * dx, q10, out double minf, out double mtau, out double hinf, out double htau, out double ninf, out double ntau);
            var row = _table.AsSpan(i * 6, 6);
            row[0] = minf; row[1] = mtau; row[2] = hinf; row[3] = htau; row[4] = ninf; row[5] = ntau;
        }
    }

    /// <summary>
    /// <see cref="Lookup(double, out double, out double, out double, out double, out double, out double)"/> for the
    /// nodes <paramref name="nodes"/> of <paramref name="v"/>, written as one array per function (k-th entry for nodes[k]).
    /// </summary>
    public void Lookup(ReadOnlySpan<double> v, ReadOnlySpan<int> nodes, Span<double> minf, Span<double> mtau, Span<double> hinf,
        Span<double> htau, Span<double> ninf, Span<double> ntau)
    {
        int count = nodes.Length;
        if (minf.Length < count || mtau.Length < count || hinf.Length < count || htau.Length < count || ninf.Length < count || ntau.Length < count)
        {
            throw new ArgumentException($"hh rate table: every output needs {count} entries.");
        }
        for (int k = 0; k < count; k++)
        {
            Lookup(v[nodes[k]], out minf[k], out mtau[k], out hinf[k], out htau[k], out ninf[k], out ntau[k]);
        }
    }

    /// <summary>The six functions at <paramref name="v"/> by NEURON's interpolation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Lookup(double v, out double minf, out double mtau, out double hinf, out double htau, out double ninf, out double ntau)
    {
        double xi = Steps / (Vmax - Vmin) * (v - Vmin);
        ReadOnlySpan<double> t = _table;
        if (xi <= 0 || double.IsNaN(xi))
        {
            minf = t[0]; mtau = t[1]; hinf = t[2]; htau = t[3]; ninf = t[4]; ntau = t[5];
            return;
        }
        if (xi >= Steps)
        {
            int last = Steps * 6;
            minf = t[last]; mtau = t[last + 1]; hinf = t[last + 2]; htau = t[last + 3]; ninf = t[last + 4]; ntau = t[last + 5];
            return;
        }
        int i = (int)xi;
        double theta = xi - i;
        var a = t.Slice(i * 6, 12);
        minf = a[0] + theta * (a[6] - a[0]);
        mtau = a[1] + theta * (a[7] - a[1]);
        hinf = a[2] + theta * (a[8] - a[2]);
        htau = a[3] + theta * (a[9] - a[3]);
        ninf = a[4] + theta * (a[10] - a[4]);
        ntau = a[5] + theta * (a[11] - a[5]);
    }
}
