using BenchmarkDotNet.Running;

namespace BioSim.Benchmarks;

internal static class Program
{
    /// <summary>
    /// Runs the BenchmarkDotNet kernels: <c>dotnet run -c Release --project benchmarks -- --filter '*'</c>;
    /// <c>cable-compare [threads]</c> runs the BioSim half of benchmarks/compare/cable_neuron.py, and
    /// <c>neuralode-sweep</c> the neural-ODE gradient sweep (see <see cref="NeuralOde.GradientSweep"/>).
    /// </summary>
    private static void Main(string[] args)
    {
        if (args is ["neuralode-sweep", ..])
        {
            NeuralOde.GradientSweep.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10000);
            return;
        }
        if (args is ["cable-compare", ..])
        {
            Cable.CableCompare.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1);
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
