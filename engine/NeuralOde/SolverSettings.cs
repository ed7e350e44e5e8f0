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
