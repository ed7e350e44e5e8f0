using BioSim.Circuits.Neurons.RateCircuit;
using BioSim.Engine.NeuralOde;
using BioSim.Engine.Ode;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.NeuralOde;
using MeanSquaredError = BioSim.Engine.NeuralOde.MeanSquaredError;

namespace BioSim.Tests.Engine.NeuralOde;

/// <summary>Small fields and problems shared by the neural-ODE tests (fixed seeds).</summary>
internal static class NeuralOdeFixtures
{
    public static MlpVectorField Mlp(Activation? activation = null, bool timeInput = true, int seed = 3)
    {
        // Glorot-uniform weights from System.Random(seed), drawn as MlpVectorField drew them before it moved to the Philox
        // streams, so that these fixtures (and the numbers quoted in the tests that use them) stay what they were.
        var field = new MlpVectorField(2, [8, 8], activation, timeInput);
        var weights = new Random(seed);
        for (int l = 0; l < field.LayerSizes.Count - 1; l++)
        {
            double limit = Math.Sqrt(6.0 / (field.LayerSizes[l] + field.LayerSizes[l + 1]));
            int count = field.LayerSizes[l] * field.LayerSizes[l + 1];
            for (int i = 0; i < count; i++) field.Parameters[field.WeightOffset(l) + i] = limit * (2 * weights.NextDouble() - 1);
        }
        var random = new Random(seed + 100);
        for (int l = 0; l < field.LayerSizes.Count - 1; l++)
        {
            for (int o = 0; o < field.LayerSizes[l + 1]; o++) field.Parameters[field.BiasOffset(l) + o] = 0.2 * (2 * random.NextDouble() - 1);
        }
        return field;
    }

    public static SinusoidInput Inputs(double gain = 1) =>
        new(2, 2, [gain * 1.0, gain * 0.5, gain * 0.8, gain * 0.3], [1.3, 3.1, 0.7, 2.3], [0.0, 1.0, 0.5, 2.0]);

    public static RateCircuitField RateCircuit(double inputGain = 1)
    {
        var input = Inputs(inputGain);
        var field = new RateCircuitField(3, input);
        double[] w = [0.2, -1.1, 0.6, 0.9, 0.1, -0.7, -0.5, 1.2, 0.3];
        w.CopyTo(field.W);
        double[] u = [1.0, 0.0, 0.0, 1.0, 0.5, -0.5];
        u.CopyTo(field.U);
        double[] b = [0.1, -0.2, 0.05];
        b.CopyTo(field.Bias);
        double[] tau = [1.0, 2.0, 0.5];
        tau.CopyTo(field.Tau);
        return field;
    }

    /// <summary>An MSE problem from (0.5, −0.3) observed at 0.5, 1, 1.5, 2 against fixed targets.</summary>
    public static TrajectoryProblem Problem(SolverSettings solver, int dimension = 2, double duration = 2.0, int observations = 4)
    {
        var random = new Random(11);
        double[] times = new double[observations];
        for (int k = 0; k < observations; k++) times[k] = duration * (k + 1) / observations;
        double[] targets = new double[observations * dimension];
        for (int i = 0; i < targets.Length; i++) targets[i] = 2 * random.NextDouble() - 1;
        double[] x0 = new double[dimension];
        for (int i = 0; i < dimension; i++) x0[i] = i % 2 == 0 ? 0.5 : -0.3;
        return new TrajectoryProblem(0, x0, times, new MeanSquaredError(targets, observations, dimension), solver);
    }

    public static (double[] Parameters, double[] State, GradientResult Result) Gradient(IGradientMethod method, IParametricVectorField field, TrajectoryProblem problem)
    {
        var gp = new double[field.ParameterCount];
        var gx = new double[field.Dimension];
        var result = method.Compute(field, problem, gp, gx);
        return (gp, gx, result);
    }

    /// <summary>‖a − b‖₂ / ‖b‖₂ over both gradients.</summary>
    public static double RelativeError(double[] a, double[] b)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < a.Length; i++)
        {
            diff += (a[i] - b[i]) * (a[i] - b[i]);
            norm += b[i] * b[i];
        }
        return Math.Sqrt(diff / norm);
    }

    public static double[] Concat(double[] a, double[] b) => [.. a, .. b];

    public static IEnumerable<ButcherTableau> AllTableaux() => ButcherTableau.All;
}
