using System.Text.Json;
using BioSim.Engine.Ode;
using BioSim.Engine.Random;
using BioSim.IO.Experiments;

namespace BioSim.IO.NeuralOde;

/// <summary>
/// Noisy trajectories of a known system for <c>biosim fit</c> (<c>"data": {"generate": …}</c>), so that an example
/// needs no data file:
/// <list type="bullet">
/// <item><c>spiral</c>: the damped linear spiral x' = A x, A = [[−0.1, −1], [1, −0.1]] (closed form
/// x(t) = e^(−0.1 t) R(t) x0 with R the rotation by t); x0 at radius U(0.5, 1.5), angle U(0, 2π); default duration 2π.</item>
/// <item><c>lotka-volterra</c>: x' = α x − β x y, y' = δ x y − γ y with α = 2/3, β = 4/3, γ = δ = 1 (equilibrium
/// (1, 0.5)), integrated by Dormand-Prince 5(4) at rtol = atol = 1e-10; x0 ~ U(0.6, 1.4), y0 ~ U(0.3, 0.9); default
/// duration 10 (about 1.3 periods).</item>
/// </list>
/// Each trajectory has <c>samples</c> frames at t = k·duration/(samples − 1), k = 0 … samples − 1 (frame 0 is the
/// initial state), with independent Gaussian noise of standard deviation <c>noise</c> on every observed value. The
/// first <c>trajectories</c> are for training; <c>held_out</c> more (different initial states) are kept for evaluation
/// with their noise-free states. Initial states and noise come from streams keyed by (<c>seed</c>, "data/&lt;system&gt;",
/// "initial" | "noise") and the trajectory index.
/// </summary>
public static class GeneratedData
{
    /// <summary>Systems that can be generated.</summary>
    public static IReadOnlyList<string> Systems { get; } = ["spiral", "lotka-volterra"];

    private static readonly string[] Fields = ["generate", "trajectories", "held_out", "samples", "duration", "noise", "seed"];

    /// <summary>Generates the data described by <paramref name="data"/> (the experiment's <c>$.data</c>).</summary>
    public static FitData Generate(string file, JsonElement data)
    {
        var f = new JsonFields(file);
        f.NoUnknownSnakeCase(data, "$.data", Fields);
        string system = f.String(data, "generate", "$.data");
        if (!Systems.Contains(system)) throw new ExperimentException(file, "$.data.generate", $"unknown system '{system}'; known: {string.Join(", ", Systems)}");
        int train = f.Integer(data, "trajectories", "$.data", 1, int.MaxValue, 12), heldOut = f.Integer(data, "held_out", "$.data", 0, int.MaxValue, 4);
        int samples = f.Integer(data, "samples", "$.data", 2, int.MaxValue, 25), seed = f.Integer(data, "seed", "$.data", 0, int.MaxValue, 1);
        double duration = f.PositiveNumber(data, "duration", "$.data", system == "spiral" ? 2 * Math.PI : 10.0);
        double noise = data.TryGetProperty("noise", out _) ? f.Number(data, "noise", "$.data") : 0.02;
        if (!(noise >= 0)) throw f.Error("$.data.noise", $"must be a number ≥ 0 (standard deviation of the noise), got {noise}");

        double[] times = new double[samples];
        for (int k = 0; k < samples; k++) times[k] = duration * k / (samples - 1);
        var initial = new RandomStream((ulong)seed, "data/" + system, "initial");
        var noiseStream = new RandomStream((ulong)seed, "data/" + system, "noise");
        var trainSet = new List<Trace>();
        var heldOutSet = new List<Trace>();
        for (int n = 0; n < train + heldOut; n++)
        {
            var draw = initial.ForElement((uint)n);
            double[] truth = system == "spiral" ? Spiral(ref draw, times) : LotkaVolterra(ref draw, times);
            double[] observed = [.. truth];
            if (noise > 0)
            {
                var eps = noiseStream.ForElement((uint)n);
                for (int i = 0; i < observed.Length; i++) observed[i] += noise * eps.NextGaussian();
            }
            var trace = new Trace($"{system}[{n}]", times, observed, 2, Truth: truth);
            (n < train ? trainSet : heldOutSet).Add(trace);
        }
        return new FitData(trainSet, heldOutSet);
    }

    private static double[] Spiral(ref RandomStream draw, double[] times)
    {
        double radius = 0.5 + draw.NextDouble(), angle = 2 * Math.PI * draw.NextDouble();
        double x0 = radius * Math.Cos(angle), y0 = radius * Math.Sin(angle);
        double[] states = new double[2 * times.Length];
        for (int k = 0; k < times.Length; k++)
        {
            double t = times[k], decay = Math.Exp(-0.1 * t), c = Math.Cos(t), s = Math.Sin(t);
            states[2 * k] = decay * (c * x0 - s * y0);
            states[2 * k + 1] = decay * (s * x0 + c * y0);
        }
        return states;
    }

    private static double[] LotkaVolterra(ref RandomStream draw, double[] times)
    {
        double[] y = [0.6 + 0.8 * draw.NextDouble(), 0.3 + 0.6 * draw.NextDouble()];
        var integrator = new AdaptiveIntegrator(ButcherTableau.DormandPrince54, 2, new AdaptiveOptions { RelativeTolerance = 1e-10, AbsoluteTolerance = 1e-10 });
        var system = new LotkaVolterraSystem();
        double[] states = new double[2 * times.Length];
        y.CopyTo(states, 0);
        for (int k = 1; k < times.Length; k++)
        {
            integrator.Integrate(system, times[k - 1], times[k], y);
            y.CopyTo(states, 2 * k);
        }
        return states;
    }

    /// <summary>x' = α x − β x y, y' = δ x y − γ y with α = 2/3, β = 4/3, γ = δ = 1.</summary>
    private sealed class LotkaVolterraSystem : IOdeSystem
    {
        public int Dimension => 2;

        public void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt)
        {
            dydt[0] = 2.0 / 3.0 * y[0] - 4.0 / 3.0 * y[0] * y[1];
            dydt[1] = y[0] * y[1] - y[1];
        }
    }
}
