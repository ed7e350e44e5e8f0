using BioSim.Circuits.Microcircuit;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;
using BioSim.Plasticity.Dendritic;
using NUnit.Framework;
using static BioSim.Tests.Microcircuit.MicrocircuitSetups;

namespace BioSim.Tests.Microcircuit;

/// <summary>The circuit and the rule as loops over the equations (shared with MicrocircuitSpeedEquivalenceTests).</summary>
internal static class NaiveMicrocircuit
{
    /// <summary>The circuit and the rule as loops over the equations, one layer of arrays per quantity.</summary>
    internal sealed class Naive
    {
        public readonly int[] N;
        public readonly int L;
        public readonly double[][] U, UI, WPP, WDown, WPI, WIP, FPP, FDown, FPI, FIP;
        public readonly double[] R0, Target;
        private readonly MicrocircuitParameters _p;
        private readonly DendriticErrorParameters _rule;
        private readonly Func<double, double> _phi;
        private readonly RandomStream[][] _noisePyr, _noiseInter;

        public Naive(CorticalMicrocircuit c, DendriticErrorParameters rule, ulong seed)
        {
            _p = c.Parameters;
            _rule = rule;
            _phi = c.Transfer.Phi;
            N = [.. c.LayerSizes];
            L = N.Length - 1;
            U = new double[L + 1][]; UI = new double[L + 1][];
            WPP = new double[L + 1][]; WDown = new double[L + 1][]; WPI = new double[L + 1][]; WIP = new double[L + 1][];
            FPP = new double[L + 1][]; FDown = new double[L + 1][]; FPI = new double[L + 1][]; FIP = new double[L + 1][];
            _noisePyr = new RandomStream[L + 1][]; _noiseInter = new RandomStream[L + 1][];
            for (int l = 1; l <= L; l++)
            {
                U[l] = (double[])c.Somatic(l).Clone();
                WPP[l] = (double[])c.Forward(l).Clone();
                FPP[l] = new double[WPP[l].Length];
                _noisePyr[l] = Streams(seed, c.Name, $"noise/pyramidal/{l}", N[l]);
                if (l < L)
                {
                    UI[l] = (double[])c.InterneuronSomatic(l).Clone();
                    WDown[l] = (double[])c.TopDown(l).Clone();
                    WPI[l] = (double[])c.InterneuronToApical(l).Clone();
                    WIP[l] = (double[])c.PyramidalToInterneuron(l).Clone();
                    FDown[l] = new double[WDown[l].Length];
                    FPI[l] = new double[WPI[l].Length];
                    FIP[l] = new double[WIP[l].Length];
                    _noiseInter[l] = Streams(seed, c.Name, $"noise/interneuron/{l}", N[l + 1]);
                }
            }
            R0 = new double[N[0]];
            Target = new double[N[L]];
        }

        private static RandomStream[] Streams(ulong seed, string name, string purpose, int n)
        {
            var root = new RandomStream(seed, name, purpose);
            return [.. Enumerable.Range(0, n).Select(i => root.ForElement((uint)i))];
        }

        private static double[] Mul(double[] w, double[] x, int rows)
        {
            var y = new double[rows];
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < x.Length; j++) y[i] += w[i * x.Length + j] * x[j];
            }
            return y;
        }

        private double[] Phi(double[] u) => [.. u.Select(_phi)];

        private (double[][] R, double[][] RI, double[][] VB, double[][] VA, double[][] VD) Dendrites()
        {
            var r = new double[L + 1][];
            var rI = new double[L + 1][];
            r[0] = R0;
            for (int l = 1; l <= L; l++)
            {
                r[l] = Phi(U[l]);
                if (l < L) rI[l] = Phi(UI[l]);
            }
            var vB = new double[L + 1][];
            var vA = new double[L + 1][];
            var vD = new double[L + 1][];
            for (int l = 1; l <= L; l++)
            {
                vB[l] = Mul(WPP[l], r[l - 1], N[l]);
                if (l < L)
                {
                    var top = Mul(WDown[l], r[l + 1], N[l]);
                    var lateral = Mul(WPI[l], rI[l], N[l]);
                    vA[l] = [.. top.Select((v, i) => v + lateral[i])];
                    vD[l] = Mul(WIP[l], r[l], N[l + 1]);
                }
            }
            return (r, rI, vB, vA, vD);
        }

        /// <summary>Exact relaxation towards u∞ over dt with the OU noise term, as the class summary of the circuit states.</summary>
        private double Relax(double u, double numerator, double g, double dt, ref RandomStream stream, long step)
        {
            double inf = numerator / g;
            double next = inf + (u - inf) * Math.Exp(-g * dt);
            stream.Position = (ulong)step * 2;
            return next + _p.noise * Math.Sqrt((1 - Math.Exp(-2 * g * dt)) / (2 * g)) * stream.NextGaussian();
        }

        public void Step(long step, double dt, bool nudged)
        {
            var p = _p;
            var (_, _, vB, vA, vD) = Dendrites();
            var oldU = U.Select(a => a is null ? null : (double[])a.Clone()).ToArray();
            for (int l = 1; l < L; l++)
            {
                for (int j = 0; j < N[l + 1]; j++)
                {
                    UI[l][j] = Relax(UI[l][j], p.g_D * vD[l][j] + p.g_som * oldU[l + 1]![j], p.g_lk + p.g_D + p.g_som, dt, ref _noiseInter[l][j], step);
                }
                for (int i = 0; i < N[l]; i++)
                {
                    U[l][i] = Relax(U[l][i], p.g_B * vB[l][i] + p.g_A * vA[l][i], p.g_lk + p.g_B + p.g_A, dt, ref _noisePyr[l][i], step);
                }
            }
            for (int i = 0; i < N[L]; i++)
            {
                double num = p.g_B * vB[L][i] + (nudged ? p.g_som * Target[i] : 0);
                double g = p.g_lk + p.g_B + (nudged ? p.g_som : 0);
                U[L][i] = Relax(U[L][i], num, g, dt, ref _noisePyr[L][i], step);
            }
            // The rule, from the state at the step's end.
            var (r, rI, vB2, vA2, vD2) = Dendrites();
            double a = Math.Exp(-dt / _rule.tau_w);
            for (int l = 1; l <= L; l++)
            {
                double k = l < L ? p.g_B / (p.g_lk + p.g_B + p.g_A) : p.g_B / (p.g_lk + p.g_B);
                var error = new double[N[l]];
                for (int i = 0; i < N[l]; i++) error[i] = _phi(U[l][i]) - _phi(k * vB2[l][i]);
                Learn(WPP[l], FPP[l], error, r[l - 1], _rule.eta_PP[l - 1], a, dt);
            }
            for (int l = 1; l < L; l++)
            {
                var down = new double[N[l]];
                var prediction = Mul(WDown[l], r[l + 1], N[l]);
                for (int i = 0; i < N[l]; i++) down[i] = r[l][i] - _phi(prediction[i]);
                var ip = new double[N[l + 1]];
                for (int j = 0; j < N[l + 1]; j++) ip[j] = rI[l][j] - _phi(p.g_D / (p.g_lk + p.g_D) * vD2[l][j]);
                var pi = new double[N[l]];
                for (int i = 0; i < N[l]; i++) pi[i] = 0 - vA2[l][i];
                Learn(WIP[l], FIP[l], ip, r[l], _rule.eta_IP[l - 1], a, dt);
                Learn(WPI[l], FPI[l], pi, rI[l], _rule.eta_PI[l - 1], a, dt);
                Learn(WDown[l], FDown[l], down, r[l + 1], _rule.eta_down[l - 1], a, dt);
            }
        }

        private static void Learn(double[] w, double[] filtered, double[] error, double[] pre, double eta, double a, double dt)
        {
            for (int i = 0; i < error.Length; i++)
            {
                for (int j = 0; j < pre.Length; j++)
                {
                    int k = i * pre.Length + j;
                    filtered[k] = a * filtered[k] + (1 - a) * error[i] * pre[j];
                    w[k] += eta * dt * filtered[k];
                }
            }
        }
    }
}

/// <summary>
/// A naive loop-based reimplementation of the microcircuit and of the dendritic error rule, written from the equations
/// (Sacramento et al. 2018, eqs. 1–8 and the low-pass filter of the weight changes) with plain nested loops, against the
/// production code (spans, SIMD kernels, the rule as a plug-in called by the simulation, the input weights' changes
/// factored over each sample). Every compartment, rule
/// and the noise are on; over 2.5 samples (2500 steps, a sample switch with a new input and target half-way) the two
/// agree to round-off: the only differences are summation orders (SIMD lanes, the factored sums) and fused multiply-adds,
/// ~1e-16 relative per step, which the contracting dynamics keep from growing; 1e-10 is the tolerance.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class NaiveMicrocircuitTests
{
    [Test]
    public void TheProductionCodeAgreesWithALoopReimplementationOfTheEquations()
    {
        const ulong seed = 21;
        const double dt = 0.1;
        var p = new MicrocircuitParameters { layers = [7, 5, 4, 3], noise = 0.05, sample_duration = 100, initial_scale = 2.0 };
        var rule = new DendriticErrorParameters
        {
            eta_PP = [0.01, 0.02, 0.03], eta_IP = [0.011, 0.012], eta_PI = [0.021, 0.022], eta_down = [0.005, 0.006], tau_w = 30,
        };
        var inputs = Uniform(seed, "inputs", 3 * 7);
        var targets = Uniform(seed, "targets", 3 * 3, -1, 2);
        var c = new CorticalMicrocircuit("mc", p, seed);
        var naive = new NaiveMicrocircuit.Naive(c, rule, seed);
        c.UseSamples(new SampleTable(inputs, 7, targets, 3));
        c.Attach(new DendriticErrorRule().Create(rule));
        using var sim = new Simulator([c], [], dt);
        for (long step = 0; step < 2500; step++)
        {
            if (step % 1000 == 0)
            {
                int sample = (int)(step / 1000);
                inputs.AsSpan(sample * 7, 7).CopyTo(naive.R0);
                targets.AsSpan(sample * 3, 3).CopyTo(naive.Target);
            }
            naive.Step(step, dt, nudged: true);
            sim.Step();
        }
        for (int l = 1; l <= 3; l++)
        {
            Assert.That(c.Somatic(l), Is.EqualTo(naive.U[l]).Within(1e-10), $"u_{l}");
            Assert.That(c.Forward(l), Is.EqualTo(naive.WPP[l]).Within(1e-10), $"W_PP_{l}");
            if (l < 3)
            {
                Assert.That(c.InterneuronSomatic(l), Is.EqualTo(naive.UI[l]).Within(1e-10), $"u_I_{l}");
                Assert.That(c.TopDown(l), Is.EqualTo(naive.WDown[l]).Within(1e-10), $"W_down_{l}");
                Assert.That(c.InterneuronToApical(l), Is.EqualTo(naive.WPI[l]).Within(1e-10), $"W_PI_{l}");
                Assert.That(c.PyramidalToInterneuron(l), Is.EqualTo(naive.WIP[l]).Within(1e-10), $"W_IP_{l}");
            }
        }
        // Every matrix moved well beyond the tolerance, so the agreement is not that of unchanged weights.
        var fresh = new CorticalMicrocircuit("mc", p, seed);
        for (int l = 1; l <= 3; l++)
        {
            double moved = c.Forward(l).Zip(fresh.Forward(l), (x, y) => Math.Abs(x - y)).Max();
            Assert.That(moved, Is.GreaterThan(1e-3), $"W_PP_{l} changed");
        }
        for (int l = 1; l < 3; l++)
        {
            Assert.That(c.TopDown(l).Zip(fresh.TopDown(l), (x, y) => Math.Abs(x - y)).Max(), Is.GreaterThan(1e-3), $"W_down_{l} changed");
            Assert.That(c.InterneuronToApical(l).Zip(fresh.InterneuronToApical(l), (x, y) => Math.Abs(x - y)).Max(), Is.GreaterThan(1e-3), $"W_PI_{l} changed");
            Assert.That(c.PyramidalToInterneuron(l).Zip(fresh.PyramidalToInterneuron(l), (x, y) => Math.Abs(x - y)).Max(), Is.GreaterThan(1e-3), $"W_IP_{l} changed");
        }
    }
}
