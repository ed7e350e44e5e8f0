using System.Diagnostics;
using BioSim.Engine.Numerics;
using BioSim.Engine.Random;
using BioSim.Plasticity.Networks.Token;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;

namespace BioSim.Benchmarks.Plasticity;

/// <summary>
/// <c>sbp-speed [iterations]</c>: time and retained activations per training iteration of the issue-18 token model (7 × 7 tokens
/// of 4 × 4 pixels, width 48, 4 blocks, batch 128, Adam) with backprop and with stochastic backprop (keep 0.5, grid mask, blocks
/// 1-3), on random images; the two alternate in rounds of 10 iterations so that load on the machine hits both alike. Prints
/// the median over rounds of the wall and CPU time per iteration (this thread's CPU time is the fairer number on a shared machine) and the
/// ledger's retained values per iteration.
/// </summary>
internal static class SbpSpeed
{
    public static void Run(int iterations)
    {
        const int batch = 128;
        var product = MatrixProducts.CreateDefault();
        Console.WriteLine($"token model 7x7 tokens of 4x4 pixels, width 48, 4 blocks, batch {batch}; {product.Name}");
        var spec = new TokenModelSpec();
        var images = new double[batch * spec.InputSize];
        var targets = new double[batch * spec.Classes];
        var rng = new RandomStream(1, "bench", "images");
        for (int i = 0; i < images.Length; i++) images[i] = rng.NextDouble();
        for (int b = 0; b < batch; b++) targets[b * spec.Classes + b % spec.Classes] = 1;
        var trainers = new[] { "backprop", "sbp keep 0.5 grid, blocks 1-3" }.Select(name =>
        {
            var model = new TokenModel(spec, product);
            model.Initialise(1);
            StochasticBackprop? sbp = name == "backprop" ? null : new StochasticBackprop { Keep = 0.5, Mask = "grid", Blocks = [1, 2, 3] };
            sbp?.Prepare(model, 1);
            return (Name: name, Trainer: new TokenTrainer(model, sbp, new Adam(2e-3), batch), Wall: new List<double>(), Cpu: new List<double>(), Retained: new List<long>());
        }).ToArray();
        foreach (var t in trainers) for (int i = 0; i < 3; i++) t.Trainer.Step(images, targets, batch); // warm-up
        for (int round = 0; round < (iterations + 9) / 10; round++)
        {
            foreach (var t in trainers)
            {
                // CPU time from /proc ticks in 10 ms: measured over the round of 10 iterations.
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < 10; i++)
                {
                    t.Trainer.Step(images, targets, batch);
                    t.Retained.Add(t.Trainer.Tape.Retained);
                }
                t.Wall.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds / 10);
                t.Cpu.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / 10);
            }
        }
        static double Median(List<double> v) { var s = v.Order().ToArray(); return s[s.Length / 2]; }
        double baseWall = Median(trainers[0].Wall), baseCpu = Median(trainers[0].Cpu), baseRetained = trainers[0].Retained.Average();
        foreach (var t in trainers)
        {
            double wall = Median(t.Wall), cpu = Median(t.Cpu), retained = t.Retained.Average();
            Console.WriteLine($"{t.Name,-32} wall {wall,7:F1} ms ({wall / baseWall:F3}x)  cpu {cpu,7:F1} ms ({cpu / baseCpu:F3}x)  retained {retained,10:F0} values = {retained * 8 / 1048576:F1} MiB ({retained / baseRetained:F4}x)  [{t.Retained.Count} iterations, medians of rounds of 10]");
        }
    }
}
