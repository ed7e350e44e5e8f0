namespace BioSim.Engine.Ode;

/// <summary>
/// One cell's own adaptive steps between two times (NEURON's local variable time step, Lytton &amp; Hines 2005, is the
/// anchor): a network's cells are each integrated by this, from one input event or communication boundary to the next,
/// instead of one global adaptive step for the whole network. It is <see cref="AdaptiveIntegrator"/>'s step loop over
/// the same parts (<see cref="ExplicitRungeKutta"/> on an embedded pair, <see cref="PiStepSizeController"/>,
/// <see cref="DenseOutput"/>, <see cref="EventLocator"/>) with two differences a cell needs: the step size is the
/// caller's (one value per cell, carried from call to call, so a cell keeps its own step sequence across events and
/// boundaries), and one upward crossing of an event function (V − threshold) ends the call at the located time, with
/// the state there from a retaken RK step, so that the caller can reset the cell (integrate-and-fire) or just record
/// the spike (Hodgkin-Huxley) and call again.
/// </summary>
/// <remarks>
/// Each call starts from a fresh first stage and controller history: the system's input changes between calls (an
/// event's weight, another cell), and the result then depends only on (system, t0, t1, y, h), never on what the
/// instance did before, so cells may share an instance in any order and results do not depend on the thread count.
/// Buffers are allocated in the constructor; <see cref="Advance"/> does not allocate.
/// </remarks>
public sealed class LocalStepper
{
    private readonly ExplicitRungeKutta _stepper;
    private readonly DenseOutput _dense;
    private readonly PiStepSizeController _controller = new();
    private readonly double[] _current, _trial, _error, _scratch;
    private readonly double _rtol, _atol, _minStep, _maxStep, _eventTolerance;
    private readonly int _errorExponent;

    /// <summary>A stepper for cells of <paramref name="dimension"/> variables.</summary>
    /// <param name="tableau">An embedded pair, e.g. <see cref="ButcherTableau.DormandPrince54"/>.</param>
    /// <param name="dimension">Number of state variables of one cell.</param>
    /// <param name="options">Tolerances (rtol, atol), step limits and the event time tolerance.</param>
    public LocalStepper(ButcherTableau tableau, int dimension, AdaptiveOptions options)
    {
        ArgumentNullException.ThrowIfNull(tableau);
        ArgumentNullException.ThrowIfNull(options);
        if (!tableau.HasErrorEstimate) throw new ArgumentException($"Tableau '{tableau.Name}' has no embedded error estimate.", nameof(tableau));
        options.Validate();
        _stepper = new ExplicitRungeKutta(tableau, dimension);
        _dense = new DenseOutput(tableau, dimension);
        _current = new double[dimension];
        _trial = new double[dimension];
        _error = new double[dimension];
        _scratch = new double[dimension];
        _rtol = options.RelativeTolerance;
        _atol = options.AbsoluteTolerance;
        _minStep = options.MinStep;
        _maxStep = options.MaxStep;
        _eventTolerance = options.EventTimeTolerance;
        _errorExponent = tableau.EmbeddedOrder!.Value + 1;
    }

    /// <summary>
    /// Integrates <paramref name="y"/> from <paramref name="t0"/> to <paramref name="t1"/> (t1 ≥ t0), or to the first
    /// upward crossing of <paramref name="crossing"/> (from g &lt; 0 to g ≥ 0), whichever comes first.
    /// </summary>
    /// <param name="system">The cell's vector field.</param>
    /// <param name="t0">Start time.</param>
    /// <param name="t1">End time (the next event or boundary).</param>
    /// <param name="y">The state at t0 on entry; at the returned time on return.</param>
    /// <param name="h">The cell's step size: the first trial step on entry (≤ 0 or NaN: t1 − t0), the step to try next on
    /// return (a last step shortened to reach t1 does not shrink it).</param>
    /// <param name="crossing">The event function, or null for none.</param>
    /// <param name="armed">False when the state at t0 is a crossing just found, so that g must fall below 0 before
    /// another crossing counts (round-off at the located time cannot report it twice).</param>
    /// <param name="steps">Accepted steps, added to.</param>
    /// <param name="reached">The time reached: t1, or the crossing's time.</param>
    /// <returns>True when the call stopped at a crossing (at <paramref name="reached"/> ≤ t1).</returns>
    /// <exception cref="StepSizeUnderflowException">The step size fell below <see cref="AdaptiveOptions.MinStep"/>.</exception>
    /// <exception cref="NonFiniteStateException">The state became NaN or infinite even at the smallest step.</exception>
    public bool Advance(IOdeSystem system, double t0, double t1, Span<double> y, ref double h, IEventFunction? crossing, bool armed, ref long steps, out double reached)
    {
        reached = t0;
        if (!(t1 > t0)) return false;
        _stepper.Reset();
        _controller.Reset();
        y.CopyTo(_current);
        double span = t1 - t0;
        if (!(h > 0)) h = span;
        double gPrevious = crossing is null ? 1 : crossing.Value(t0, _current);
        double t = t0;
        while (true)
        {
            double remaining = t1 - t;
            bool last = h >= remaining;
            double hTry = last ? remaining : h;
            _stepper.Step(system, t, _current, hTry, _trial, _error);
            double norm = ErrorNorm(out int worst);
            if (!_controller.Decide(norm, hTry, _errorExponent, out double hNext))
            {
                if (hNext < _minStep || t + hNext == t)
                {
                    if (double.IsFinite(norm))
                    {
                        throw new StepSizeUnderflowException(
                            $"Step size fell below {_minStep:G3} ms at t = {t:G9} ms (h = {hTry:G3} ms, state component {worst} has the largest error); loosen rtol or check the input",
                            t, hTry, worst);
                    }
                    throw new NonFiniteStateException($"The state became non-finite at t = {t:G9} ms (component {worst}) even at the smallest step", t, hTry, worst);
                }
                h = hNext;
                continue;
            }
            double tNew = last ? t1 : t + hTry;
            steps++;
            if (crossing is not null)
            {
                double gNew = crossing.Value(tNew, _trial);
                if (armed && gPrevious < 0 && gNew >= 0)
                {
                    _dense.Capture(_stepper, system, t, hTry, _current, _trial);
                    double tEvent = EventLocator.Locate(_dense, crossing, gPrevious, gNew, _scratch, _eventTolerance);
                    if (tEvent < tNew)
                    {
                        // Retake the step to the crossing: the state there is an RK step, not an interpolant.
                        _stepper.Step(system, t, _current, tEvent - t, _trial, default);
                    }
                    else
                    {
                        tEvent = tNew;
                    }
                    _trial.CopyTo(y);
                    h = Math.Min(Math.Max(hNext, last ? h : 0), _maxStep);
                    reached = tEvent;
                    return true;
                }
                if (!armed && gNew < 0) armed = true;
                gPrevious = gNew;
            }
            _trial.CopyTo(_current);
            t = tNew;
            if (last)
            {
                // A step cut short to land on t1 says little about the step the cell can take next.
                h = Math.Min(hTry < h ? Math.Max(h, hNext) : hNext, _maxStep);
                _current.CopyTo(y);
                reached = t1;
                return false;
            }
            h = Math.Min(hNext, _maxStep);
        }
    }

    /// <summary>The mixed RMS error norm of the trial step (NaN when it is not finite).</summary>
    private double ErrorNorm(out int worst)
    {
        double sum = 0, largest = -1;
        worst = 0;
        for (int i = 0; i < _error.Length; i++)
        {
            double r = _error[i] / (_atol + _rtol * Math.Max(Math.Abs(_current[i]), Math.Abs(_trial[i])));
            if (!double.IsFinite(r) || !double.IsFinite(_trial[i]))
            {
                worst = i;
                return double.NaN;
            }
            double r2 = r * r;
            if (r2 > largest)
            {
                largest = r2;
                worst = i;
            }
            sum += r2;
        }
        return Math.Sqrt(sum / _error.Length);
    }
}
