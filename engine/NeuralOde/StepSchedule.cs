using System.Globalization;
using BioSim.Engine.Ode;

namespace BioSim.Engine.NeuralOde;

/// <summary>
/// The steps (t_n, h_n) of a forward solution and the step index at which each observation falls. Fixed
/// stepping splits every interval between observations into equal steps; adaptive stepping runs the
/// <see cref="AdaptiveIntegrator"/> interval by interval and records the accepted steps, which every gradient
/// method then replays as constants (the gradient is that of this discrete map).
/// </summary>
internal sealed class StepSchedule
{
    private StepSchedule(double[] t, double[] h, int[] observationState)
    {
        T = t;
        H = h;
        ObservationState = observationState;
    }

    public double[] T { get; }

    public double[] H { get; }

    /// <summary>For observation k, the index n of the state x_n (after n steps) that it looks at.</summary>
    public int[] ObservationState { get; }

    public int Count => T.Length;

    public static StepSchedule Build(IParametricVectorField field, TrajectoryProblem problem)
    {
        problem.Validate(field);
        var times = new List<double>();
        var sizes = new List<double>();
        int[] observationState = new int[problem.ObservationTimes.Length];
        double a = problem.InitialTime;
        SolverSettings solver = problem.Solver;
        if (solver.FixedStep is { } hMax)
        {
            for (int k = 0; k < problem.ObservationTimes.Length; k++)
            {
                double b = problem.ObservationTimes[k];
                if (b > a)
                {
                    int n = Math.Max(1, (int)Math.Ceiling((b - a) / hMax * (1 - 1e-12)));
                    double h = (b - a) / n;
                    for (int i = 0; i < n; i++)
                    {
                        times.Add(a + i * h);
                        sizes.Add(h);
                    }
                }
                observationState[k] = times.Count;
                a = b;
            }
        }
        else
        {
            var integrator = new AdaptiveIntegrator(solver.Tableau.HasErrorEstimate ? solver.Tableau : ButcherTableau.DormandPrince54, field.Dimension, solver.Adaptive);
            var system = new FieldSystem(field);
            double[] y = [.. problem.InitialState];
            var record = new IntegrationRecord();
            for (int k = 0; k < problem.ObservationTimes.Length; k++)
            {
                double b = problem.ObservationTimes[k];
                if (b > a)
                {
                    record.Steps.Clear();
                    try
                    {
                        integrator.Integrate(system, a, b, y, record);
                    }
                    catch (Exception e) when (IsFieldFailure(e))
                    {
                        throw new VectorFieldException($"The vector field failed while choosing adaptive steps between t = {Format(a)} and t = {Format(b)} (after {times.Count} accepted steps): {e.Message}", a, double.NaN, e);
                    }
                    foreach (AcceptedStep step in record.Steps)
                    {
                        times.Add(step.T);
                        sizes.Add(step.H);
                    }
                }
                observationState[k] = times.Count;
                a = b;
            }
        }
        return new StepSchedule([.. times], [.. sizes], observationState);
    }

    /// <summary>The non-finite-state error raised by the replays, naming the step and the time.</summary>
    public static NonFiniteStateException NonFinite(int step, double t, double h, int component, double value) =>
        new($"The state became non-finite in step {step} (from t = {Format(t)} with h = {Format(h)}): component {component} is {Format(value)}; lower the step size or the learning rate, or check the vector field's parameters.",
            t, h, component);

    /// <summary>Whether a failure of the field is one to report with its step and time (its own errors, not the runtime's).</summary>
    public static bool IsFieldFailure(Exception e) =>
        e is ArgumentException or IndexOutOfRangeException or InvalidOperationException or ArithmeticException or NullReferenceException;

    /// <summary>A field that threw in a step (forward or backward), wrapped so that the message says when.</summary>
    public static VectorFieldException FieldFailed(string pass, int step, double t, double h, Exception inner) =>
        new($"The vector field failed in the {pass} pass at step {step} (from t = {Format(t)} with h = {Format(h)}): {inner.Message}", t, h, inner);

    public static string Format(double value) =>
        value.ToString("G6", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
}

/// <summary>Presents a parametric field as an <see cref="IOdeSystem"/>.</summary>
internal sealed class FieldSystem(IParametricVectorField vectorField) : IOdeSystem
{
    public int Dimension => vectorField.Dimension;

    public void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt) => vectorField.Evaluate(t, y, dydt, default);
}
