using BenchmarkDotNet.Running;

namespace BioSim.Benchmarks;

internal static class Program
{
    /// <summary>
    /// Runs the BenchmarkDotNet kernels: <c>dotnet run -c Release --project benchmarks -- --filter '*'</c>;
    /// <c>cable-compare [threads]</c> runs the BioSim half of benchmarks/compare/cable_neuron.py, and
    /// <c>neuralode-sweep</c> the neural-ODE gradient sweep (see <see cref="NeuralOde.GradientSweep"/>), and
    /// <c>corinfomax-fashion [epochs] [seed] [training samples] [test samples]</c> correlative infomax on Fashion-MNIST (see <see cref="Plasticity.CorInfoMaxFashion"/>).
    /// </summary>
    private static void Main(string[] args)
    {
        if (args is ["neuralode-sweep", ..])
        {
            NeuralOde.GradientSweep.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10000);
            return;
        }
        if (args is ["corinfomax-fashion", ..])
        {
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            Plasticity.CorInfoMaxFashion.Run(args.Length > 1 ? int.Parse(args[1], inv) : 1, args.Length > 2 ? ulong.Parse(args[2], inv) : 0,
                args.Length > 3 ? int.Parse(args[3], inv) : 60000, args.Length > 4 ? int.Parse(args[4], inv) : 10000);
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
