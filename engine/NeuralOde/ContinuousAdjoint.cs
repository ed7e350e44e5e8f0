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
        Span<double> theta = field.Parameters;
        for (int i = 0; i < theta.Length; i++)
        {
            double saved = theta[i];
            theta[i] = saved + Epsilon;
            double plus = Loss(x0);
            theta[i] = saved - Epsilon;
            double minus = Loss(x0);
            theta[i] = saved;
            parameterGradient[i] += (plus - minus) / (2 * Epsilon);
        }
        for (int i = 0; i < initialStateGradient.Length; i++)
        {
            double saved = x0[i];
            x0[i] = saved + Epsilon;
            double plus = Loss(x0);
            x0[i] = saved - Epsilon;
            double minus = Loss(x0);
            x0[i] = saved;
            initialStateGradient[i] = (plus - minus) / (2 * Epsilon);
        }
        return new GradientResult(loss, schedule.Count, field.Dimension, stages.Evaluations);
    }
}

/// <summary>Forward solutions of a parametric field at observation times.</summary>
public static class Trajectories
{
    /// <summary>
    /// Solves from (t0, x0) with <paramref name="solver"/> and writes the state at every observation time into
    /// <paramref name="states"/> (M × d, row-major). Returns the number of steps.
    /// </summary>
    public static int Solve(IParametricVectorField field, double t0, ReadOnlySpan<double> x0, double[] observationTimes, SolverSettings solver, Span<double> states)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(observationTimes);
        int d = field.Dimension;
        if (states.Length != observationTimes.Length * d)
            throw new ArgumentException($"states has {states.Length} entries, expected observations × dimension = {observationTimes.Length * d}.", nameof(states));
        var recorder = new RecordingLoss(d);
        var problem = new TrajectoryProblem(t0, x0.ToArray(), observationTimes, recorder, solver);
        var schedule = StepSchedule.Build(field, problem);
        double[] x = [.. problem.InitialState];
        Replay(field, problem, schedule, new RungeKuttaStages(solver.Tableau, field), x, null); // the recorder keeps the states
        recorder.States.AsSpan(0, states.Length).CopyTo(states);
        return schedule.Count;
    }

    /// <summary>Replays the schedule from <paramref name="x"/> (x0 on entry, final state on return), returning the
    /// loss and, when <paramref name="lossGradients"/> is given, ∂ℓ_k/∂x at each observation (M × d).</summary>
    internal static double Replay(IParametricVectorField field, TrajectoryProblem problem, StepSchedule schedule, RungeKuttaStages stages,
        double[] x, double[]? lossGradients)
    {
        int d = field.Dimension, m = problem.ObservationTimes.Length, n = schedule.Count;
        double[] next = new double[d], gradient = new double[d];
        double loss = 0;
        int observation = 0;
        for (int step = 0; step <= n; step++)
        {
            while (observation < m && schedule.ObservationState[observation] == step)
            {
                Span<double> g = lossGradients is null ? gradient : lossGradients.AsSpan(observation * d, d);
                loss += problem.Loss.Evaluate(observation, x, g);
                observation++;
            }
            if (step == n) break;
            double t = schedule.T[step], h = schedule.H[step];
            try
            {
                stages.Step(field, t, x, h, next, default);
            }
            catch (Exception e) when (StepSchedule.IsFieldFailure(e))
            {
                throw StepSchedule.FieldFailed("forward", step, t, h, e);
            }
            for (int i = 0; i < d; i++)
            {
                if (!double.IsFinite(next[i])) throw StepSchedule.NonFinite(step, t, h, i, next[i]);
            }
            next.CopyTo(x, 0);
        }
        return loss;
    }

    /// <summary>A zero loss that keeps the states it is shown.</summary>
    internal sealed class RecordingLoss(int dimension) : ITrajectoryLoss
    {
        private readonly List<double> _states = [];

        public double[] States => [.. _states];

        public double Evaluate(int index, ReadOnlySpan<double> x, Span<double> gradient)
        {
            if (_states.Count != index * dimension) _states.RemoveRange(index * dimension, _states.Count - index * dimension);
            foreach (double v in x) _states.Add(v);
            gradient.Clear();
            return 0;
        }
    }
}
