using System.Globalization;
using BenchmarkDotNet.Running;

namespace BioSim.Benchmarks;

internal static class Program
{
    /// <summary>
    /// Runs the BenchmarkDotNet kernels: <c>dotnet run -c Release --project benchmarks -- --filter '*'</c>;
    /// <c>cable-compare [threads]</c> runs the BioSim half of benchmarks/compare/cable_neuron.py, and
    /// <c>cellstep-compare</c> hh with per-cell adaptive steps against its fixed step (see <see cref="CellStepping.HhStepCompare"/>),
    /// <c>neuralode-sweep</c> the neural-ODE gradient sweep (see <see cref="NeuralOde.GradientSweep"/>), and
    /// <c>corinfomax-fashion [epochs] [seed] [training samples] [test samples]</c> correlative infomax on Fashion-MNIST (see <see cref="Plasticity.CorInfoMaxFashion"/>),
    /// <c>microcircuit-profile</c> where a 784-500-10 step's time goes (see <see cref="Microcircuit.MicrocircuitProfile"/>),
    /// <c>sbp-speed [iterations]</c> time and retained activations per iteration of stochastic backprop against backprop (see <see cref="Plasticity.SbpSpeed"/>),
    /// <c>microcircuit-speed</c> the dendritic microcircuit's cost per compartment-step (see <see cref="Microcircuit.MicrocircuitSpeed"/>),
    /// <c>lif-widths [N] [rounds] [grid|exact]</c> the CUBA step at each vector width of the LIF kernel (see <see cref="Kernels.LifVectorWidths"/>),
    /// <c>gemm-threads [rounds] [max threads]</c> the managed matrix kernel's speed-up with threads at training shapes (see <see cref="Kernels.GemmThreads"/>),
    /// and <c>microcircuit-regression [samples]</c> its teacher-student credit assignment (see <see cref="Microcircuit.MicrocircuitRegression"/>).
    /// </summary>
    private static void Main(string[] args)
    {
        switch (args)
        {
            case ["neuralode-sweep", ..]:
                NeuralOde.GradientSweep.Run(Argument(args, 1, 10000));
                break;
            case ["corinfomax-fashion", ..]:
                Plasticity.CorInfoMaxFashion.Run(Argument(args, 1, 1), Argument(args, 2, 0UL), Argument(args, 3, 60000), Argument(args, 4, 10000));
                break;
            case ["cellstep-compare", ..]:
                CellStepping.HhStepCompare.Run();
                break;
            case ["microcircuit-regression", ..]:
                Microcircuit.MicrocircuitRegression.Run(Argument(args, 1, 2000));
                break;
            case ["microcircuit-profile", ..]:
                Microcircuit.MicrocircuitProfile.Run(args.Length > 1 && args[1] == "steps");
                break;
            case ["sbp-speed", ..]:
                Plasticity.SbpSpeed.Run(Argument(args, 1, 100));
                break;
            case ["microcircuit-speed", ..]:
                Microcircuit.MicrocircuitSpeed.Run(args.Length > 1 ? args[1] : null);
                break;
            case ["lif-widths", ..]:
                Kernels.LifVectorWidths.Run(Argument(args, 1, 4000), Argument(args, 2, 7), args.Length > 3 ? args[3] : "grid");
                break;
            case ["gemm-threads", ..]:
                Kernels.GemmThreads.Run(Argument(args, 1, 7), Argument(args, 2, 2));
                break;
            case ["cable-compare", ..]:
                Cable.CableCompare.Run(Argument(args, 1, 1));
                break;
            default:
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
                break;
        }
    }

    /// <summary>The positional argument <paramref name="index"/> (invariant culture), or <paramref name="fallback"/> when it is not given.</summary>
    private static T Argument<T>(string[] args, int index, T fallback) where T : IParsable<T> =>
        args.Length > index ? T.Parse(args[index], CultureInfo.InvariantCulture) : fallback;
}
