using System.Diagnostics;
using System.Globalization;
using BioSim.Circuits.Microcircuit;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;
using BioSim.Plasticity.Dendritic;

namespace BioSim.Benchmarks.Microcircuit;

/// <summary>
/// Question: does the microcircuit assign credit to its hidden layer in teacher-student regression (Sacramento et al.
/// 2018, Fig. 2)? A 30-20-10 student (self-predicting from the start, initial_scale 3, full dynamics, 100 ms per sample)
/// learns a random 30-20-10 teacher (initial_scale 3) on random inputs in [0, 1); the test error (mean squared error of
/// the feedforward pass over 50 test inputs, summed over the 10 outputs) is printed every 200 samples for three
/// students from the same initial weights: fixed random top-down weights (feedback-alignment-like), top-down weights
/// equal to the transposed forward weights at the start (backprop-like; kept fixed), and a shallow learner whose hidden
/// weights are frozen (η^PP_1 = 0). η^PP = [0.003, 0.0015], η^IP = 0.00475, η^PI = 0.002 per ms, τ_w 30 ms. The
/// teacher's output variance over the test inputs is printed too: the error of the best constant predictor.
/// Run: <c>dotnet run -c Release --project benchmarks -- microcircuit-regression [samples]</c> (default 2000).
/// </summary>
internal static class MicrocircuitRegression
{
    public static void Run(int samples)
    {
        const int tests = 50;
        var p = new MicrocircuitParameters { layers = [30, 20, 10], initial_scale = 3 };
        var teacher = new CorticalMicrocircuit("teacher", p, 101);
        var x = Uniform(3, "train", samples * 30);
        var y = new double[samples * 10];
        for (int s = 0; s < samples; s++) teacher.FeedforwardPass(x.AsSpan(s * 30, 30), y.AsSpan(s * 10, 10));
        var xTest = Uniform(4, "test", tests * 30);
        var yTest = new double[tests * 10];
        for (int s = 0; s < tests; s++) teacher.FeedforwardPass(xTest.AsSpan(s * 30, 30), yTest.AsSpan(s * 10, 10));
        double variance = 0;
        for (int i = 0; i < 10; i++)
        {
            double mean = 0;
            for (int s = 0; s < tests; s++) mean += yTest[s * 10 + i] / tests;
            for (int s = 0; s < tests; s++) variance += (yTest[s * 10 + i] - mean) * (yTest[s * 10 + i] - mean) / tests;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# teacher output variance over the test inputs (summed over outputs): {variance:F4}"));
        foreach (string mode in new[] { "random top-down", "transposed top-down", "shallow (hidden frozen)" })
        {
            var c = new CorticalMicrocircuit("student", p, 7);
            if (mode.StartsWith("transposed", StringComparison.Ordinal))
            {
                var b = c.TopDown(1);
                var w2 = c.Forward(2);
                for (int i = 0; i < 20; i++)
                {
                    for (int j = 0; j < 10; j++) b[i * 10 + j] = w2[j * 20 + i];
                }
            }
            SelfPredictingState.Apply(c);
            c.UseSamples(new SampleTable(x, 30, y, 10));
            c.Attach(new DendriticErrorRule().Create(new DendriticErrorParameters
            {
                eta_PP = [mode.StartsWith("shallow", StringComparison.Ordinal) ? 0 : 0.003, 0.0015], eta_IP = [0.00475], eta_PI = [0.002],
            }));
            using var simulation = new Simulator([c], [], 0.1);
            var errors = new List<string> { Error(c, xTest, yTest).ToString("F4", CultureInfo.InvariantCulture) };
            var wall = Stopwatch.StartNew();
            for (int done = 0; done < samples; done += 200)
            {
                simulation.Run(Math.Min(200, samples - done) * 1000L);
                errors.Add(Error(c, xTest, yTest).ToString("F4", CultureInfo.InvariantCulture));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{mode}: test error every 200 samples {string.Join(" ", errors)}; {wall.Elapsed.TotalSeconds:F1} s"));
        }
    }

    private static double Error(CorticalMicrocircuit c, double[] x, double[] y)
    {
        int n = y.Length / 10;
        var u = new double[10];
        double e = 0;
        for (int s = 0; s < n; s++)
        {
            c.FeedforwardPass(x.AsSpan(s * 30, 30), u);
            for (int i = 0; i < 10; i++) e += (u[i] - y[s * 10 + i]) * (u[i] - y[s * 10 + i]);
        }
        return e / n;
    }

    private static double[] Uniform(ulong seed, string purpose, int length)
    {
        var stream = new RandomStream(seed, "benchmark", purpose);
        var v = new double[length];
        for (int i = 0; i < length; i++) v[i] = stream.NextDouble();
        return v;
    }
}
