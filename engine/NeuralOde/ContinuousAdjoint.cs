using BioSim.Engine.Ode;

namespace BioSim.Engine.NeuralOde;

/// <summary>
/// The continuous adjoint of Chen, Rubanova, Bettencourt and Duvenaud ("Neural Ordinary Differential
/// Equations", NeurIPS 2018): after the forward solve, the augmented system x' = f, λ' = −(∂f/∂x)ᵀλ,
/// g' = −(∂f/∂θ)ᵀλ is integrated backwards from the last observation to t0 with an adaptive pair, adding
/// ∂ℓ_k/∂x to λ at each observation. Memory O(d + P), independent of the number of steps, but the gradient is
/// that of the exact flow only up to the tolerances (and the state is recomputed backwards, so it is not the
/// gradient of the discrete forward solution): it converges as the tolerances shrink.
/// </summary>
/// <param name="options">Tolerances of the backward integration (defaults when null).</param>
/// <param name="tableau">Embedded pair for the backward integration; Dormand-Prince 5(4) when null.</param>
public sealed class ContinuousAdjoint(AdaptiveOptions? options = null, ButcherTableau? tableau = null) : IGradientMethod
{
    /// <inheritdoc/>
    public string Name => "continuous-adjoint";

    /// <summary>Tolerances of the backward integration.</summary>
    public AdaptiveOptions Options { get; } = options ?? new AdaptiveOptions();

    /// <summary>The backward method.</summary>
    public ButcherTableau Tableau { get; } = tableau ?? ButcherTableau.DormandPrince54;

    /// <inheritdoc/>
    public GradientResult Compute(IParametricVectorField field, TrajectoryProblem problem, Span<double> parameterGradient, Span<double> initialStateGradient)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(problem);
        if (parameterGradient.Length != field.ParameterCount)
            throw new ArgumentException($"parameterGradient has {parameterGradient.Length} entries, the field has {field.ParameterCount} parameters.", nameof(parameterGradient));
        int d = field.Dimension, p = field.ParameterCount, m = problem.ObservationTimes.Length;
        var schedule = StepSchedule.Build(field, problem);
        var stages = new RungeKuttaStages(problem.Solver.Tableau, field);
        var lossGradients = new double[m * d];
        double[] x = [.. problem.InitialState];
        double loss = Trajectories.Replay(field, problem, schedule, stages, x, lossGradients);

        var system = new AugmentedAdjointSystem(field);
        var integrator = new AdaptiveIntegrator(Tableau, system.Dimension, Options);
        var z = new double[system.Dimension];
        x.CopyTo(z.AsSpan(0, d));
        long evaluations = stages.Evaluations;
        for (int k = m - 1; k >= 0; k--)
        {
            for (int i = 0; i < d; i++) z[d + i] += lossGradients[k * d + i];
            double from = problem.ObservationTimes[k], to = k > 0 ? problem.ObservationTimes[k - 1] : problem.InitialTime;
            if (from > to)
            {
                try
                {
                    evaluations += integrator.Integrate(system, from, to, z).Evaluations;
                }
                catch (Exception e) when (StepSchedule.IsFieldFailure(e))
                {
                    throw new VectorFieldException($"The vector field failed in the backward (adjoint) integration from t = {StepSchedule.Format(from)} to t = {StepSchedule.Format(to)}: {e.Message}", from, double.NaN, e);
                }
            }
        }
        for (int i = 0; i < p; i++) parameterGradient[i] += z[2 * d + i];
        if (!initialStateGradient.IsEmpty) z.AsSpan(d, d).CopyTo(initialStateGradient);
        long retained = 2L * schedule.Count + lossGradients.Length + (long)system.Dimension * (Tableau.Stages + 4) + field.TapeLength + stages.WorkingFloats;
        return new GradientResult(loss, schedule.Count, retained, evaluations);
    }

    /// <summary>z = [x, λ, g]: x' = f(t, x), λ' = −(∂f/∂x)ᵀλ, g' = −(∂f/∂θ)ᵀλ.</summary>
    private sealed class AugmentedAdjointSystem(IParametricVectorField vectorField) : IOdeSystem
    {
        private readonly double[] _tape = new double[vectorField.TapeLength];

        public int Dimension { get; } = 2 * vectorField.Dimension + vectorField.ParameterCount;

        public void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt)
        {
            int d = vectorField.Dimension;
            vectorField.Evaluate(t, y[..d], dydt[..d], _tape);
            Span<double> rest = dydt[d..];
            rest.Clear();
            vectorField.VectorJacobianProduct(_tape, y.Slice(d, d), rest[..d], rest[d..]);
            System.Numerics.Tensors.TensorPrimitives.Negate(rest, rest);
        }
    }
}
