using BioSim.Circuits.Neurons.HodgkinHuxley;

namespace BioSim.Tests.Engine.CellStepping;

/// <summary>
/// An independent event-by-event reference for the hh neurons of <see cref="CellSteppingTests"/>, written here from
/// hh.mod's equations (Hodgkin &amp; Huxley 1952 as NEURON states them; the class summary of <see cref="HhPopulation"/>):
/// classical RK4 with fixed steps of at most 0.001 ms on (V, m, h, n), each interval between two arrivals cut into equal
/// steps so that every arrival falls on a step end, the exp-current synapse decaying exactly from its value at the last
/// arrival, and each upward crossing of V_th located by bisection on the cubic Hermite interpolant of V and dV/dt over
/// the step (its error, O(h⁴) with h = 0.001 ms, is far below the 1e-6 ms the tests resolve).
/// </summary>
internal static class HhRk4Reference
{
    public static List<double>[] Run(HhParameters p, double[][] trains, double delay, double weight, double tau, int size, double duration, double maxStep = 0.001)
    {
        var result = new List<double>[size];
        for (int k = 0; k < size; k++)
        {
            var arrivals = new List<double>();
            for (int j = 0; j < trains.Length; j++) if ((j + k) % 3 != 0) arrivals.AddRange(trains[j].Select(t => t + delay));
            arrivals.Sort();
            result[k] = Neuron(p, arrivals.Where(a => a < duration).Append(duration).ToArray(), weight, tau, maxStep);
        }
        return result;
    }

    private static List<double> Neuron(HhParameters p, double[] arrivals, double weight, double tau, double maxStep)
    {
        double c = p.cm * p.area * 1e-2, area = p.area * 10.0;   // pF; S/cm² → nS
        double gNa = p.gnabar * area, gK = p.gkbar * area, gL = p.gl * area;
        double q10 = Math.Pow(3.0, (p.celsius - 6.3) / 10.0);
        double Vtrap(double x, double y) => Math.Abs(x / y) < 1e-6 ? y * (1 - x / y / 2) : x / (Math.Exp(x / y) - 1);
        double s0 = 0, t0 = 0;
        void F(double t, double[] y, double[] d)
        {
            double v = y[0], m = y[1], h = y[2], n = y[3];
            double iSyn = s0 * Math.Exp(-(t - t0) / tau);
            d[0] = (-gNa * m * m * m * h * (v - p.ena) - gK * n * n * n * n * (v - p.ek) - gL * (v - p.el) + p.I_e + iSyn) / c;
            double am = 0.1 * Vtrap(-(v + 40), 10), bm = 4 * Math.Exp(-(v + 65) / 18);
            double ah = 0.07 * Math.Exp(-(v + 65) / 20), bh = 1 / (Math.Exp(-(v + 35) / 10) + 1);
            double an = 0.01 * Vtrap(-(v + 55), 10), bn = 0.125 * Math.Exp(-(v + 65) / 80);
            d[1] = q10 * (am * (1 - m) - bm * m);
            d[2] = q10 * (ah * (1 - h) - bh * h);
            d[3] = q10 * (an * (1 - n) - bn * n);
        }
        double v0 = p.V_init;
        double Steady(double a, double b) => a / (a + b);
        var y = new[]
        {
            v0,
            Steady(0.1 * Vtrap(-(v0 + 40), 10), 4 * Math.Exp(-(v0 + 65) / 18)),
            Steady(0.07 * Math.Exp(-(v0 + 65) / 20), 1 / (Math.Exp(-(v0 + 35) / 10) + 1)),
            Steady(0.01 * Vtrap(-(v0 + 55), 10), 0.125 * Math.Exp(-(v0 + 65) / 80)),
        };
        double[] k1 = new double[4], k2 = new double[4], k3 = new double[4], k4 = new double[4], stage = new double[4], next = new double[4], dEnd = new double[4];
        var spikes = new List<double>();
        double now = 0;
        foreach (double arrival in arrivals)
        {
            int count = Math.Max(1, (int)Math.Ceiling((arrival - now) / maxStep - 1e-9));
            double h = (arrival - now) / count;
            for (int step = 0; step < count; step++)
            {
                double t = now + step * h;
                F(t, y, k1);
                for (int i = 0; i < 4; i++) stage[i] = y[i] + 0.5 * h * k1[i];
                F(t + 0.5 * h, stage, k2);
                for (int i = 0; i < 4; i++) stage[i] = y[i] + 0.5 * h * k2[i];
                F(t + 0.5 * h, stage, k3);
                for (int i = 0; i < 4; i++) stage[i] = y[i] + h * k3[i];
                F(t + h, stage, k4);
                for (int i = 0; i < 4; i++) next[i] = y[i] + h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
                if (y[0] < p.V_th && next[0] >= p.V_th)
                {
                    F(t + h, next, dEnd);
                    spikes.Add(t + Crossing(y[0], k1[0], next[0], dEnd[0], h, p.V_th));
                }
                (y, next) = (next, y);
            }
            now = arrival;
            s0 = s0 * Math.Exp(-(arrival - t0) / tau) + weight;
            t0 = arrival;
        }
        return spikes;
    }

    /// <summary>The root in (0, h] of the cubic Hermite interpolant through (0, v0, f0) and (h, v1, f1) minus the threshold, by bisection.</summary>
    private static double Crossing(double v0, double f0, double v1, double f1, double h, double threshold)
    {
        double Value(double s)
        {
            double x = s / h, x2 = x * x, x3 = x2 * x;
            return (2 * x3 - 3 * x2 + 1) * v0 + (x3 - 2 * x2 + x) * h * f0 + (-2 * x3 + 3 * x2) * v1 + (x3 - x2) * h * f1 - threshold;
        }
        double lo = 0, hi = h;
        for (int i = 0; i < 200 && hi - lo > 1e-15; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (Value(mid) >= 0) hi = mid; else lo = mid;
        }
        return hi;
    }
}
