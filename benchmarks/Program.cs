using BenchmarkDotNet.Running;

namespace BioSim.Benchmarks;

internal static class Program
{
    /// <summary>Runs the BenchmarkDotNet kernels: <c>dotnet run -c Release --project benchmarks -- --filter '*'</c>.</summary>
    /// <summary><c>-- neuralode-sweep</c> runs the neural-ODE gradient sweep (see <see cref="NeuralOde.GradientSweep"/>).</summary>
    private static void Main(string[] args)
    {
        if (args is ["neuralode-sweep", ..])
        {
            NeuralOde.GradientSweep.Run();
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
