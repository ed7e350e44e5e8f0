namespace BioSim.Engine.NeuralOde;

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
