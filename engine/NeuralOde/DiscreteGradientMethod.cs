namespace BioSim.Engine.NeuralOde;

/// <summary>
/// Shared driver of the methods that differentiate the discrete forward map: forward replay of the step
/// schedule (loss and its gradient at every observation), then a backward sweep over the steps in which the
/// adjoint λ receives ∂ℓ_k/∂x at the observations' states.
/// </summary>
public abstract class DiscreteGradientMethod : IGradientMethod
{
    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public GradientResult Compute(IParametricVectorField field, TrajectoryProblem problem, Span<double> parameterGradient, Span<double> initialStateGradient)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(problem);
        if (parameterGradient.Length != field.ParameterCount)
            throw new ArgumentException($"parameterGradient has {parameterGradient.Length} entries, the field has {field.ParameterCount} parameters.", nameof(parameterGradient));
        if (!initialStateGradient.IsEmpty && initialStateGradient.Length != field.Dimension)
            throw new ArgumentException($"initialStateGradient has {initialStateGradient.Length} entries, expected {field.Dimension} (or empty).", nameof(initialStateGradient));
        var schedule = StepSchedule.Build(field, problem);
        var stages = new RungeKuttaStages(problem.Solver.Tableau, field);
        int d = field.Dimension, m = problem.ObservationTimes.Length, n = schedule.Count;
        var lossGradients = new double[m * d];
        // Counted: what the backward pass keeps (tapes or checkpoints), the step schedule (t_n, h_n), the loss
        // gradients at the observations and the stage machinery.
        long retained = Prepare(stages, n) + 2L * n + lossGradients.Length + stages.WorkingFloats;

        double[] x = [.. problem.InitialState], next = new double[d];
        double loss = 0;
        int observation = 0;
        for (int step = 0; step <= n; step++)
        {
            while (observation < m && schedule.ObservationState[observation] == step)
            {
                loss += problem.Loss.Evaluate(observation, x, lossGradients.AsSpan(observation * d, d));
                observation++;
            }
            if (step == n) break;
            double t = schedule.T[step], h = schedule.H[step];
            try
            {
                Forward(stages, field, step, t, x, h, next);
            }
            catch (Exception e) when (StepSchedule.IsFieldFailure(e))
            {
                throw StepSchedule.FieldFailed("forward", step, t, h, e);
            }
            for (int i = 0; i < d; i++)
            {
                if (!double.IsFinite(next[i])) throw StepSchedule.NonFinite(step, t, h, i, next[i]);
            }
            (x, next) = (next, x);
        }

        double[] lambda = new double[d];
        observation = m - 1;
        for (int step = n; step >= 0; step--)
        {
            while (observation >= 0 && schedule.ObservationState[observation] == step)
            {
                for (int i = 0; i < d; i++) lambda[i] += lossGradients[observation * d + i];
                observation--;
            }
            if (step == 0) break;
            try
            {
                Backward(stages, field, step - 1, schedule.T[step - 1], schedule.H[step - 1], lambda, parameterGradient);
            }
            catch (Exception e) when (StepSchedule.IsFieldFailure(e))
            {
                throw StepSchedule.FieldFailed("backward", step - 1, schedule.T[step - 1], schedule.H[step - 1], e);
            }
        }
        if (!initialStateGradient.IsEmpty) lambda.CopyTo(initialStateGradient);
        return new GradientResult(loss, n, retained, stages.Evaluations);
    }

    /// <summary>Allocates what the backward pass keeps for <paramref name="steps"/> steps; returns its size in doubles.</summary>
    private protected abstract long Prepare(RungeKuttaStages stages, int steps);

    /// <summary>Takes step <paramref name="step"/> from x to <paramref name="next"/>, keeping what the backward pass needs.</summary>
    private protected abstract void Forward(RungeKuttaStages stages, IParametricVectorField field, int step, double t, ReadOnlySpan<double> x, double h, Span<double> next);

    /// <summary>Maps λ_{n+1} to λ_n through step <paramref name="step"/> and adds its parameter gradient.</summary>
    private protected abstract void Backward(RungeKuttaStages stages, IParametricVectorField field, int step, double t, double h, Span<double> lambda, Span<double> parameterGradient);
}
