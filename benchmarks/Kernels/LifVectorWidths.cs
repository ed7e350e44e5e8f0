using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using System.Text.Json.Nodes;
using BioSim.Circuits.Neurons.Lif;
using BioSim.IO.Experiments;
using BioSim.Workflows;
using BioSim.Workflows.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace BioSim.Benchmarks.Kernels;

/// <summary>
/// Question: what does the LIF step's vector width buy on this machine? CUBA (examples/cuba.json at N neurons, p = 80/N,
/// one thread, no recording) is stepped by one simulator whose LIF populations switch between 256-bit vectors, 512-bit
/// vectors (where AVX-512 is accelerated) and none, block after block (the width never changes a result, so the blocks
/// continue one run). Each width's time per step is the minimum over the rounds, so load from other processes inflates
/// all widths alike. <c>dotnet run -c Release --project benchmarks -- lif-widths [N] [rounds] [grid|exact]</c>.
/// </summary>
internal static class LifVectorWidths
{
    public static void Run(int n, int rounds, string timing)
    {
        var services = BioSimServiceCollectionExtensions.BuildBioSimServices();
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "examples", "cuba.json")))!;
        int exc = (int)Math.Round(0.8 * n);
        foreach (var population in json["populations"]!.AsArray())
        {
            population!["size"] = population["name"]!.GetValue<string>() == "exc" ? exc : n - exc;
        }
        foreach (var projection in json["projections"]!.AsArray())
        {
            projection!["connectivity"]!["p"] = 80.0 / n;
            if (timing == "exact") projection["delay"] = 0.1;
        }
        json["timing"] = timing;
        var experiment = services.GetRequiredService<ExperimentReader>().Read(json.ToJsonString(), "cuba.json");
        var model = services.GetRequiredService<ModelBuilder>().Build(experiment, threads: 1);
        using var simulator = model.Simulator;
        var lif = model.Populations.OfType<LifPopulation>().ToArray();
        int[] widths = Vector512.IsHardwareAccelerated ? [256, 512, 1] : [256, 1];
        Console.WriteLine($"# machine: {Environment.ProcessorCount} cores, Vector512 accelerated = {Vector512.IsHardwareAccelerated}; CUBA N = {n}, {timing} timing, 1 thread");
        const int steps = 2000;
        for (int k = 0; k < 1000; k++) model.Simulator.Step();
        var best = widths.ToDictionary(w => w, _ => double.MaxValue);
        for (int r = 0; r < rounds; r++)
        {
            foreach (int bits in widths)
            {
                foreach (var population in lif) population.VectorBits = bits;
                var clock = Stopwatch.StartNew();
                for (int k = 0; k < steps; k++) model.Simulator.Step();
                best[bits] = Math.Min(best[bits], clock.Elapsed.TotalMicroseconds / steps);
            }
        }
        foreach (int bits in widths)
        {
            string name = bits == 1 ? "none" : $"{bits}-bit";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,8} vectors: {best[bits],8:F2} µs per step (min of {rounds} blocks of {steps}), {best[bits] / best[256]:F3} × the 256-bit step"));
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BioSim.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException("BioSim.sln not found above " + AppContext.BaseDirectory);
    }
}
