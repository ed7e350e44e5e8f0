namespace BioSim.Engine.NeuralOde;

/// <summary>Central finite differences of the loss of the discrete forward map (the step schedule of the
/// unperturbed parameters is kept fixed), (ℓ(θ + ε e_i) − ℓ(θ − ε e_i)) / 2ε per parameter; error O(ε²).</summary>
/// <param name="epsilon">Perturbation ε, default 1e-6.</param>
public sealed class FiniteDifferences(double epsilon = 1e-6) : IGradientMethod
{
    /// <inheritdoc/>
    public string Name => "finite-differences";

    /// <summary>The perturbation ε.</summary>
    public double Epsilon { get; } = epsilon;

    /// <inheritdoc/>
    public GradientResult Compute(IParametricVectorField field, TrajectoryProblem problem, Span<double> parameterGradient, Span<double> initialStateGradient)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(problem);
        var schedule = StepSchedule.Build(field, problem);
        var stages = new RungeKuttaStages(problem.Solver.Tableau, field);
        double[] x = new double[field.Dimension];
        double Loss(double[] start)
        {
            start.CopyTo(x, 0);
            return Trajectories.Replay(field, problem, schedule, stages, x, null);
        }
        double[] x0 = [.. problem.InitialState];
        double loss = Loss(x0);
        // (ℓ(v + ε e_i) − ℓ(v − ε e_i)) / 2ε for coordinate i of v (θ or x0), v restored afterwards.
        double Central(Span<double> v, int i)
        {
            double saved = v[i];
            v[i] = saved + Epsilon;
            double plus = Loss(x0);
            v[i] = saved - Epsilon;
            double minus = Loss(x0);
            v[i] = saved;
            return (plus - minus) / (2 * Epsilon);
        }
        Span<double> theta = field.Parameters;
        for (int i = 0; i < theta.Length; i++) parameterGradient[i] += Central(theta, i);
        for (int i = 0; i < initialStateGradient.Length; i++) initialStateGradient[i] = Central(x0, i);
        return new GradientResult(loss, schedule.Count, field.Dimension, stages.Evaluations);
    }
}
