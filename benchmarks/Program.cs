using BenchmarkDotNet.Running;

namespace BioSim.Benchmarks;

internal static class Program
{
    /// <summary>Runs the BenchmarkDotNet kernels: <c>dotnet run -c Release --project benchmarks -- --filter '*'</c>;
    /// <c>cable-compare [threads]</c> runs the BioSim half of benchmarks/compare/cable_neuron.py instead.</summary>
    private static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "cable-compare")
        {
            Cable.CableCompare.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1);
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
