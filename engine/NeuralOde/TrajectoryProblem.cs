using BioSim.Engine.Ode;

namespace BioSim.Engine.NeuralOde;

/// <summary>
/// How the forward solution is computed: an explicit Runge-Kutta tableau with either a fixed step (each
/// interval between observations split into ⌈Δ/h⌉ equal steps) or adaptive steps (an embedded pair and
/// tolerances; the accepted steps are recorded and replayed by every gradient method). A tableau without an
/// embedded error estimate (Euler, Heun, RK4) gets its adaptive steps from a Dormand-Prince 5(4) run at the
/// same tolerances, replayed with its own stages: non-uniform steps for every method.
/// </summary>
/// <param name="Tableau">The Runge-Kutta method.</param>
/// <param name="FixedStep">Largest step (units of t) for fixed stepping, or null for adaptive.</param>
/// <param name="Adaptive">Tolerances for adaptive stepping (used when <paramref name="FixedStep"/> is null).</param>
public sealed record SolverSettings(ButcherTableau Tableau, double? FixedStep, AdaptiveOptions? Adaptive = null)
{
    /// <summary>Fixed steps of at most <paramref name="step"/>.</summary>
    public static SolverSettings Fixed(ButcherTableau tableau, double step) => new(tableau, step);

    /// <summary>Adaptive steps with the given tolerances (atol = rtol when not given).</summary>
    public static SolverSettings WithTolerance(ButcherTableau tableau, double rtol, double? atol = null) =>
        new(tableau, null, new AdaptiveOptions { RelativeTolerance = rtol, AbsoluteTolerance = atol ?? rtol });

    /// <summary>Throws naming the bad field.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Tableau);
        if (FixedStep is { } h && !(h > 0 && double.IsFinite(h)))
            throw new ArgumentException($"FixedStep must be positive and finite, not {h}.", nameof(FixedStep));
        if (FixedStep is null)
        {
            (Adaptive ?? new AdaptiveOptions()).Validate();
        }
    }
}

/// <summary>A loss on the states at the observation times.</summary>
public interface ITrajectoryLoss
{
    /// <summary>Returns the loss term of observation <paramref name="index"/> at state <paramref name="x"/> and
    /// writes its gradient ∂ℓ/∂x into <paramref name="gradient"/> (overwritten).</summary>
    double Evaluate(int index, ReadOnlySpan<double> x, Span<double> gradient);
}

/// <summary>Mean squared error (1 / (M d)) Σ_k Σ_i (x_i(t_k) − y_ki)² against targets y (M × d, row-major),
/// optionally only on the first <c>observed</c> components.</summary>
public sealed class MeanSquaredError : ITrajectoryLoss
{
    private readonly double[] _targets;
    private readonly int _dimension, _observed;
    private readonly double _scale;

    /// <summary>Creates the loss for <paramref name="observations"/> rows of <paramref name="dimension"/> targets.</summary>
    public MeanSquaredError(double[] targets, int observations, int dimension, int? observed = null)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Length != observations * dimension)
            throw new ArgumentException($"targets has {targets.Length} values, expected observations × dimension = {observations * dimension}.", nameof(targets));
        _targets = targets;
        _dimension = dimension;
        _observed = observed ?? dimension;
        _scale = 1.0 / (observations * _observed);
    }

    /// <inheritdoc/>
    public double Evaluate(int index, ReadOnlySpan<double> x, Span<double> gradient)
    {
        double sum = 0;
        ReadOnlySpan<double> y = _targets.AsSpan(index * _dimension, _dimension);
        gradient.Clear();
        for (int i = 0; i < _observed; i++)
        {
            double r = x[i] - y[i];
            sum += r * r;
            gradient[i] = 2 * _scale * r;
        }
        return _scale * sum;
    }
}

/// <summary>One trajectory to differentiate: start (t0, x0), observation times t_1 &lt; … &lt; t_M (each ≥ t0),
/// the loss on the states there, and the solver.</summary>
/// <param name="InitialTime">t0.</param>
/// <param name="InitialState">x0 (length d).</param>
/// <param name="ObservationTimes">Increasing times at which the loss looks at the state.</param>
/// <param name="Loss">The loss.</param>
/// <param name="Solver">The discrete solver whose output is differentiated.</param>
public sealed record TrajectoryProblem(double InitialTime, double[] InitialState, double[] ObservationTimes, ITrajectoryLoss Loss, SolverSettings Solver)
{
    /// <summary>Throws naming the bad field.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2208", Justification = "Names the property of this problem that is wrong.")]
    public void Validate(IParametricVectorField field)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(InitialState);
        ArgumentNullException.ThrowIfNull(ObservationTimes);
        ArgumentNullException.ThrowIfNull(Loss);
        ArgumentNullException.ThrowIfNull(Solver);
        Solver.Validate();
        if (InitialState.Length != field.Dimension)
            throw new ArgumentException($"InitialState has {InitialState.Length} components, but the vector field has dimension {field.Dimension}.", nameof(InitialState));
        if (ObservationTimes.Length == 0) throw new ArgumentException("ObservationTimes is empty.", nameof(ObservationTimes));
        double previous = InitialTime;
        for (int k = 0; k < ObservationTimes.Length; k++)
        {
            double t = ObservationTimes[k];
            if (!double.IsFinite(t) || t < previous)
                throw new ArgumentException($"ObservationTimes[{k}] = {t} must be finite and not before {previous} (t0 or the previous observation).", nameof(ObservationTimes));
            previous = t;
        }
    }
}

/// <summary>What a gradient computation returns besides the gradients.</summary>
/// <param name="Loss">The loss of the forward solution.</param>
/// <param name="Steps">Number of steps N of the forward solution.</param>
/// <param name="RetainedFloats">Peak number of doubles the method kept alive for the backward pass (tapes,
/// checkpoints, stage vectors), counted by the implementation.</param>
/// <param name="Evaluations">Vector-field evaluations (forward and recomputed), VJPs not included.</param>
public readonly record struct GradientResult(double Loss, int Steps, long RetainedFloats, long Evaluations);

/// <summary>
/// Computes the loss of a trajectory and its gradient with respect to the parameters θ and the initial state.
/// </summary>
public interface IGradientMethod
{
    /// <summary>Name used in experiment files and reports, e.g. "symplectic-adjoint".</summary>
    string Name { get; }

    /// <summary>
    /// Adds ∂loss/∂θ to <paramref name="parameterGradient"/> (length P) and writes ∂loss/∂x0 into
    /// <paramref name="initialStateGradient"/> (length d, or empty to skip).
    /// </summary>
    GradientResult Compute(IParametricVectorField field, TrajectoryProblem problem, Span<double> parameterGradient, Span<double> initialStateGradient);
}
