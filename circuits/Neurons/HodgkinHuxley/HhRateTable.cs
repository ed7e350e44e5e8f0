using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BioSim.Circuits.Neurons.HodgkinHuxley;

/// <summary>
/// hh.mod's rate table (<c>TABLE minf, mtau, hinf, htau, ninf, ntau DEPEND celsius FROM -100 TO 100 WITH 200</c>,
/// used when NEURON's <c>usetable_hh</c> = 1, its default): the six functions at V = −100, −99, …, 100 mV,
/// linearly interpolated in between and held constant outside, exactly as NMODL's generated code does.
/// </summary>
public sealed class HhRateTable
{
    private const double Vmin = -100, Vmax = 100;
    private const int Steps = 200;
    // 6 values per row (minf, mtau, hinf, htau, ninf, ntau at Vmin + row), and one more copy of the last row, so that
    // every lookup interpolates between a row and the next one: above the range it reads the last row twice with weight 0.
    private readonly double[] _table;

    /// <summary>Tabulates the six functions with the temperature factor <paramref name="q10"/> (<see cref="HhKinetics.Q10"/>, dimensionless) applied.</summary>
    public HhRateTable(double q10)
    {
        _table = new double[(Steps + 2) * 6];
        double dx = (Vmax - Vmin) / Steps;
        for (int i = 0; i <= Steps; i++)
        {
            HhKinetics.Steady(Vmin + i * dx, q10, out double minf, out double mtau, out double hinf, out double htau, out double ninf, out double ntau);
            var row = _table.AsSpan(i * 6, 6);
            row[0] = minf; row[1] = mtau; row[2] = hinf; row[3] = htau; row[4] = ninf; row[5] = ntau;
        }
        _table.AsSpan(Steps * 6, 6).CopyTo(_table.AsSpan((Steps + 1) * 6));
    }

    /// <summary>
    /// Offset of V's row in the table and the interpolation weight, as NMODL's generated code finds them: the first row
    /// with weight 0 below the range (and for NaN), the last row with weight 0 above it. With weight 0 the interpolation
    /// a + 0·(b − a) returns the row's value a exactly, so the held values need no branch of their own.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Row(double v, out double theta)
    {
        double xi = Steps / (Vmax - Vmin) * (v - Vmin);
        if (xi <= 0 || double.IsNaN(xi))
        {
            theta = 0;
            return 0;
        }
        if (xi >= Steps)
        {
            theta = 0;
            return Steps * 6;
        }
        int i = (int)xi;
        theta = xi - i;
        return i * 6;
    }

    /// <summary>The six functions at <paramref name="v"/> by NEURON's interpolation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Lookup(double v, out double minf, out double mtau, out double hinf, out double htau, out double ninf, out double ntau)
    {
        int row = Row(v, out double theta);
        ReadOnlySpan<double> a = _table.AsSpan(row, 12);
        minf = a[0] + theta * (a[6] - a[0]);
        mtau = a[1] + theta * (a[7] - a[1]);
        hinf = a[2] + theta * (a[8] - a[2]);
        htau = a[3] + theta * (a[9] - a[3]);
        ninf = a[4] + theta * (a[10] - a[4]);
        ntau = a[5] + theta * (a[11] - a[5]);
    }

    /// <summary>
    /// <see cref="Lookup(double, out double, out double, out double, out double, out double, out double)"/> at four
    /// potentials at once, each function as one vector (lane j for <paramref name="v"/>[j]); the same arithmetic, lane by lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Lookup(Vector256<double> v, out Vector256<double> minf, out Vector256<double> mtau, out Vector256<double> hinf,
        out Vector256<double> htau, out Vector256<double> ninf, out Vector256<double> ntau)
    {
        int r0 = Row(v.GetElement(0), out double t0), r1 = Row(v.GetElement(1), out double t1);
        int r2 = Row(v.GetElement(2), out double t2), r3 = Row(v.GetElement(3), out double t3);
        var theta = Vector256.Create(t0, t1, t2, t3);
        ref double table = ref MemoryMarshal.GetArrayDataReference(_table);
        // Row offsets are at most Steps·6, and the table has Steps + 2 rows: every read below is inside it.
        minf = Interpolate(ref Unsafe.Add(ref table, 0), r0, r1, r2, r3, theta);
        mtau = Interpolate(ref Unsafe.Add(ref table, 1), r0, r1, r2, r3, theta);
        hinf = Interpolate(ref Unsafe.Add(ref table, 2), r0, r1, r2, r3, theta);
        htau = Interpolate(ref Unsafe.Add(ref table, 3), r0, r1, r2, r3, theta);
        ninf = Interpolate(ref Unsafe.Add(ref table, 4), r0, r1, r2, r3, theta);
        ntau = Interpolate(ref Unsafe.Add(ref table, 5), r0, r1, r2, r3, theta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Interpolate(ref double column, int r0, int r1, int r2, int r3, Vector256<double> theta)
    {
        var low = Vector256.Create(Unsafe.Add(ref column, r0), Unsafe.Add(ref column, r1), Unsafe.Add(ref column, r2), Unsafe.Add(ref column, r3));
        var high = Vector256.Create(Unsafe.Add(ref column, r0 + 6), Unsafe.Add(ref column, r1 + 6), Unsafe.Add(ref column, r2 + 6), Unsafe.Add(ref column, r3 + 6));
        return low + theta * (high - low);
    }
}
