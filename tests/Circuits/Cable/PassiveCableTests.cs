using BioSim.Circuits.Cells;
using BioSim.Circuits.Mechanisms;
using BioSim.Circuits.Morphology;
using BioSim.Engine.Cable;
using NUnit.Framework;

namespace BioSim.Tests.Circuits.Cable;

/// <summary>
/// Passive cables against cable theory (Rall; Johnston &amp; Wu, Foundations of Cellular Neurophysiology,
/// ch. 4; Koch, Biophysics of Computation, ch. 2). A cylinder of diameter d with Ra, membrane resistance
/// R_m = 1/g_pas and capacitance c_m has λ = √(R_m d/(4 Ra)), τ_m = R_m c_m, axial resistance per length
/// r_a = 4 Ra/(π d²) and R_∞ = r_a λ; a sealed end of length L seen from its other end has
/// R_in = R_∞ coth(L/λ) and V(x)/V(0) = cosh((L − x)/λ)/cosh(L/λ). The tolerance is the issue's 0.5%;
/// the spatial discretisation error at the nseg used is below 0.1% (first node half a segment from the end).
/// </summary>
[TestFixture, Category("Validation")]
public sealed class PassiveCableTests
{
    private const double Diameter = 2, Ra = 100, Gpas = 1e-4, Epas = -70;   // µm, Ω·cm, S/cm², mV

    // λ in µm: R_m (Ω·cm²) d (cm) / (4 Ra) gives cm².
    private static double Lambda => Math.Sqrt(1 / Gpas * Diameter * 1e-4 / (4 * Ra)) * 1e4;

    // R_∞ in MΩ: r_a (Ω/cm) × λ (cm).
    private static double RInfinity => 4 * Ra / (Math.PI * Math.Pow(Diameter * 1e-4, 2)) * Lambda * 1e-4 * 1e-6;

    private static CableCell Cable(double length, int nseg, double amp)
    {
        var m = new Morphology();
        m.AddCylinder("cable", length, Diameter, ra: Ra, nseg: nseg);
        var cell = new CableCell(m) { VInit = Epas };
        cell.Insert(new PassiveLeak { g = Gpas, e = Epas });
        cell.Place("stim", new CurrentClamp { del = 0, dur = 1e12, amp = amp }, "cable", 0);
        return cell;
    }

    /// <summary>Steady state by backward Euler with a step of 10⁶ τ_m (exact for the discrete system's steady state).</summary>
    private static CablePopulation SteadyState(CableCell cell)
    {
        var population = new CablePopulation("cable", 1, cell, CableMethod.BackwardEuler);
        CableRunner.Run(population, 1e7, 3e7, []);
        return population;
    }

    [Test]
    public void SealedEndInputResistanceMatchesRCoth()
    {
        double length = 1000, amp = 0.01;   // µm, nA
        var population = SteadyState(Cable(length, 1001, amp));
        double measured = (population.V(0, population.Node("cable", 0)) - Epas) / amp;   // mV/nA = MΩ
        double expected = RInfinity / Math.Tanh(length / Lambda);
        TestContext.Out.WriteLine($"λ = {Lambda:F2} µm, R_in measured {measured:F4} MΩ, analytic {expected:F4} MΩ, error {(measured / expected - 1) * 100:F4}%");
        Assert.That(measured / expected - 1, Is.EqualTo(0).Within(0.005));
    }

    [Test]
    public void LengthConstantFromTheSpatialDecay()
    {
        double length = 10 * Lambda, amp = 0.01;
        var population = SteadyState(Cable(length, 2001, amp));
        // Fit ln(V − E) against x over the first three length constants (the far end contributes e^{-14}).
        var layout = population.Layout;
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        int count = 0;
        double v0 = population.V(0, population.Node("cable", 0)) - Epas;
        for (int i = 0; i < layout.NodeCount; i++)
        {
            double x = layout.NodeX[i] * length;
            if (layout.NodeArea[i] == 0 || x > 3 * Lambda) continue;
            double y = Math.Log(population.V(0, i) - Epas);
            sx += x; sy += y; sxx += x * x; sxy += x * y;
            count++;
            double expected = Math.Cosh((length - x) / Lambda) / Math.Cosh(length / Lambda);
            Assert.That(((population.V(0, i) - Epas) / v0) / expected - 1, Is.EqualTo(0).Within(0.005), $"x = {x:F1} µm");
        }
        double slope = (count * sxy - sx * sy) / (count * sxx - sx * sx);
        double lambda = -1 / slope;
        TestContext.Out.WriteLine($"λ fitted {lambda:F3} µm, analytic {Lambda:F3} µm, error {(lambda / Lambda - 1) * 100:F4}%");
        Assert.That(lambda / Lambda - 1, Is.EqualTo(0).Within(0.005));
    }

    /// <summary>
    /// Ball and stick: soma (cylinder 20 × 20 µm, area π·20·20) in parallel with a sealed dendrite seen from
    /// its end, R_in = 1/(g_pas A_soma + 1/(R_∞ coth(L/λ))). The half-soma axial resistance between the soma
    /// centre and the dendrite (0.003 MΩ) is below 0.01% of R_in.
    /// </summary>
    [Test]
    public void BallAndStickInputResistance()
    {
        double length = 800, amp = 0.01;
        var m = new Morphology();
        m.AddCylinder("soma", 20, 20, ra: Ra, nseg: 1, kind: SectionKind.Soma);
        m.AddCylinder("dend", length, Diameter, "soma", 1, SectionKind.Basal, ra: Ra, nseg: 801);
        var cell = new CableCell(m) { VInit = Epas };
        cell.Insert(new PassiveLeak { g = Gpas, e = Epas });
        cell.Place("stim", new CurrentClamp { dur = 1e12, amp = amp }, "soma", 0.5);
        var population = SteadyState(cell);
        double measured = (population.V(0, population.Node("soma", 0.5)) - Epas) / amp;
        double gSoma = Gpas * Math.PI * 20 * 20 * 1e-2;   // µS
        double expected = 1 / (gSoma + Math.Tanh(length / Lambda) / RInfinity);
        TestContext.Out.WriteLine($"ball and stick R_in measured {measured:F4} MΩ, analytic {expected:F4} MΩ, error {(measured / expected - 1) * 100:F4}%");
        Assert.That(measured / expected - 1, Is.EqualTo(0).Within(0.005));
    }

    /// <summary>
    /// A uniform passive tree starting away from rest relaxes as one exponential, V − E = (V₀ − E) e^{−t/τ_m},
    /// τ_m = c_m/g_pas = 10 ms (the zeroth mode of a sealed tree is uniform). Crank-Nicolson at dt = 0.025 ms
    /// is accurate to ~(dt/τ)²/12 ≈ 5e-7 relative, far inside 0.5%.
    /// </summary>
    [Test]
    public void UniformRelaxationDecaysWithTheMembraneTimeConstant()
    {
        var m = new Morphology();
        m.AddCylinder("soma", 20, 20, ra: Ra, nseg: 1);
        m.AddCylinder("dend", 500, Diameter, "soma", 1, ra: Ra, nseg: 21);
        var cell = new CableCell(m) { VInit = -60 };
        cell.Insert(new PassiveLeak { g = Gpas, e = Epas });
        var population = new CablePopulation("bs", 1, cell, CableMethod.CrankNicolson);
        int soma = population.Node("soma", 0.5), tip = population.Node("dend", 0.95);
        var result = CableRunner.Run(population, 0.025, 30, [soma, tip]);
        double tau = 1.0 / Gpas * 1e-6 * 1e3;   // c_m (1 µF/cm²) × R_m (Ω·cm²) = 10 ms
        double worst = 0;
        for (int n = 40; n < result.Times.Length; n += 40)
        {
            double expected = 10 * Math.Exp(-result.Times[n] / tau);
            foreach (var trace in result.Traces) worst = Math.Max(worst, Math.Abs((trace[n] - Epas) / expected - 1));
        }
        TestContext.Out.WriteLine($"largest relative error of V − E against e^(−t/τ): {worst:E3}");
        Assert.That(worst, Is.LessThan(0.005));
    }

    /// <summary>
    /// The measured order of the time discretisation. A ball and stick with different leak reversals in
    /// soma (−70 mV) and dendrite (−50 mV) starts uniform at −65 mV (smooth in time from t = 0); the soma
    /// potential at t = 5 ms is compared with Crank-Nicolson at dt = 1/1600 ms on the same spatial grid,
    /// for dt = 0.2 … 0.025 ms. The slope of log error against log dt is the order: 1 for backward Euler,
    /// 2 for Crank-Nicolson (±0.15).
    /// </summary>
    [TestCase(CableMethod.BackwardEuler, 1.0)]
    [TestCase(CableMethod.CrankNicolson, 2.0)]
    public void ConvergesAtTheMethodsOrderInDt(CableMethod method, double order)
    {
        static double SomaAt5(CableMethod method, double dt)
        {
            var m = new Morphology();
            m.AddCylinder("soma", 20, 20, ra: Ra, nseg: 1);
            m.AddCylinder("dend", 500, Diameter, "soma", 1, ra: Ra, nseg: 11);
            var cell = new CableCell(m) { VInit = -65 };
            cell.Insert(new PassiveLeak { g = 1e-3, e = -70 }, "soma");
            cell.Insert(new PassiveLeak { g = 1e-3, e = -50 }, "dend");
            var population = new CablePopulation("bs", 1, cell, method);
            int soma = population.Node("soma", 0.5);
            var r = CableRunner.Run(population, dt, 5, [soma]);
            return r.Traces[0][^1];
        }
        double reference = SomaAt5(CableMethod.CrankNicolson, 1.0 / 1600);
        double[] dts = [0.2, 0.1, 0.05, 0.025];
        var errors = dts.Select(dt => Math.Abs(SomaAt5(method, dt) - reference)).ToArray();
        double slope = FitSlope(dts.Select(d => Math.Log(d)).ToArray(), errors.Select(e => Math.Log(e)).ToArray());
        TestContext.Out.WriteLine($"{method}: errors {string.Join(", ", errors.Select(e => e.ToString("E3")))} mV; measured order {slope:F3}");
        Assert.That(slope, Is.EqualTo(order).Within(0.15));
    }

    private static double FitSlope(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average();
        double sxy = 0, sxx = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }
        return sxy / sxx;
    }
}
