using System.Runtime.Intrinsics;
using BioSim.Circuits.Neurons.HodgkinHuxley;
using NUnit.Framework;

namespace BioSim.Tests.Circuits.Cable;

[TestFixture, Category("Unit")]
public sealed class HhRateTableTests
{
    /// <summary>
    /// The four-lane lookup the cable step uses must give, lane by lane, the bits of the scalar lookup (NMODL's table
    /// code), inside the table, on its grid points, at and beyond both ends (held values), and for NaN.
    /// The scalar lookup itself is checked against hh.mod's formulas: on grid points it returns them exactly as tabulated,
    /// and between them it stays within the linear-interpolation error (5e-3 of the largest time constant).
    /// </summary>
    [Test]
    public void VectorLookupEqualsTheScalarLookupLaneByLane()
    {
        var table = new HhRateTable(HhKinetics.Q10(6.3));
        var random = new Random(3);
        var voltages = new List<double> { -100, 100, -100.5, 100.5, -150, 250, 99.999999, -99.999999, 0, 37, double.NaN, -65 };
        for (int k = 0; k < 400; k++) voltages.Add(-120 + 240 * random.NextDouble());
        for (int k = 0; k + 4 <= voltages.Count; k += 4)
        {
            var v = Vector256.Create(voltages[k], voltages[k + 1], voltages[k + 2], voltages[k + 3]);
            table.Lookup(v, out var minf, out var mtau, out var hinf, out var htau, out var ninf, out var ntau);
            for (int j = 0; j < 4; j++)
            {
                table.Lookup(voltages[k + j], out double m, out double mt, out double h, out double ht, out double n, out double nt);
                string at = $"V = {voltages[k + j]}";
                Assert.That(minf[j], Is.EqualTo(m), at);
                Assert.That(mtau[j], Is.EqualTo(mt), at);
                Assert.That(hinf[j], Is.EqualTo(h), at);
                Assert.That(htau[j], Is.EqualTo(ht), at);
                Assert.That(ninf[j], Is.EqualTo(n), at);
                Assert.That(ntau[j], Is.EqualTo(nt), at);
            }
        }
    }

    /// <summary>
    /// On grid points the table returns hh.mod's values exactly; between them (28 voltages, 7.3 mV apart, off the 1 mV
    /// grid) linear interpolation is within 5e-3 for the gates (measured worst 2.5e-4, 20 times below) and 4.5e-2 ms for
    /// the time constants (measured worst 3.7e-3 ms, 12 times below). Outside [−100, 100] mV the end values are held.
    /// </summary>
    [Test]
    public void ScalarLookupFollowsHhModInsideTheRangeAndHoldsOutside()
    {
        double q10 = HhKinetics.Q10(6.3);
        var table = new HhRateTable(q10);
        foreach (double v in new[] { -100.0, -65, -40, 0, 42, 100 })
        {
            table.Lookup(v, out double m, out double mt, out double h, out double ht, out double n, out double nt);
            HhKinetics.Steady(v, q10, out double me, out double mte, out double he, out double hte, out double ne, out double nte);
            Assert.That(new[] { m, mt, h, ht, n, nt }, Is.EqualTo(new[] { me, mte, he, hte, ne, nte }), $"grid point V = {v}");
        }
        double worstGate = 0, worstTau = 0;
        for (double v = -99.75; v < 100; v += 7.3)
        {
            table.Lookup(v, out double m, out double mt, out double h, out double ht, out double n, out double nt);
            HhKinetics.Steady(v, q10, out double me, out double mte, out double he, out double hte, out double ne, out double nte);
            worstGate = Math.Max(worstGate, Math.Max(Math.Abs(m - me), Math.Max(Math.Abs(h - he), Math.Abs(n - ne))));
            worstTau = Math.Max(worstTau, Math.Max(Math.Abs(mt - mte), Math.Max(Math.Abs(ht - hte), Math.Abs(nt - nte))));
            Assert.That(m, Is.EqualTo(me).Within(5e-3), $"minf at {v}");
            Assert.That(h, Is.EqualTo(he).Within(5e-3), $"hinf at {v}");
            Assert.That(n, Is.EqualTo(ne).Within(5e-3), $"ninf at {v}");
            Assert.That(mt, Is.EqualTo(mte).Within(5e-3 * 9), $"mtau at {v}");
            Assert.That(ht, Is.EqualTo(hte).Within(5e-3 * 9), $"htau at {v}");
            Assert.That(nt, Is.EqualTo(nte).Within(5e-3 * 9), $"ntau at {v}");
        }
        TestContext.Out.WriteLine($"between grid points: worst gate error {worstGate:E2}, worst time-constant error {worstTau:E2} ms");
        table.Lookup(-300, out double mLow, out _, out _, out _, out _, out _);
        table.Lookup(300, out double mHigh, out _, out _, out _, out _, out _);
        HhKinetics.Steady(-100, q10, out double mAtMin, out _, out _, out _, out _, out _);
        HhKinetics.Steady(100, q10, out double mAtMax, out _, out _, out _, out _, out _);
        Assert.That(mLow, Is.EqualTo(mAtMin));
        Assert.That(mHigh, Is.EqualTo(mAtMax));
    }
}
