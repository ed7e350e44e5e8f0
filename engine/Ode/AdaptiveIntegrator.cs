using System.Globalization;

namespace BioSim.Engine.Ode;

/// <summary>
/// Integrates an <see cref="IOdeSystem"/> from t0 to t1 with an embedded Runge-Kutta pair (Dormand-Prince
/// 5(4), Bogacki-Shampine 3(2), …), step-size control by an <see cref="IStepSizeController"/> (PI by
/// default), dense output, and event location.
/// </summary>
/// <remarks>
/// <para>Local extrapolation: the higher-order solution is propagated, the embedded one only measures the
/// error. Steps are accepted when the mixed RMS norm of <see cref="AdaptiveOptions"/> is at most 1.</para>
/// <para>Every accepted step (t, h) is reported to the observer; replaying them with
/// <see cref="ExplicitRungeKutta.Step"/> from the same initial state reproduces the integration bit for bit
/// (also when it stopped at a terminal event: the last step is then retaken with h = t_event − t).</para>
/// <para>A trial step that produces NaN or infinity is rejected and retried with a smaller step; if the step
/// size then falls below <see cref="AdaptiveOptions.MinStep"/>, a <see cref="NonFiniteStateException"/>
/// names the component and time. A derivative that is already non-finite at an accepted state throws at once.</para>
/// <para>Buffers are allocated in the constructor (and once for the event list); stepping does not allocate
/// beyond what the observer does.</para>
/// </remarks>
public sealed class AdaptiveIntegrator
{
    private readonly ExplicitRungeKutta _stepper;
    private readonly DenseOutput _dense;
    private readonly IStepSizeController _controller;
    private readonly double[] _current, _trial, _error, _scratch;
    private double[] _gPrevious = [];
    private EventOccurrence[] _pending = [];
    private long _ownEvaluations;

    /// <summary>Creates an integrator for systems of <paramref name="dimension"/> variables.</summary>
    /// <param name="tableau">An embedded pair (<see cref="ButcherTableau.HasErrorEstimate"/>).</param>
    /// <param name="dimension">Number of state variables.</param>
    /// <param name="options">Tolerances and limits; defaults when null.</param>
    /// <param name="controller">Step-size controller; a default <see cref="PiStepSizeController"/> when null.</param>
    public AdaptiveIntegrator(ButcherTableau tableau, int dimension, AdaptiveOptions? options = null, IStepSizeController? controller = null)
    {
        ArgumentNullException.ThrowIfNull(tableau);
        if (!tableau.HasErrorEstimate)
            throw new ArgumentException($"Tableau '{tableau.Name}' has no embedded error estimate; use one of the embedded pairs (e.g. {ButcherTableau.DormandPrince54.Name}, {ButcherTableau.BogackiShampine32.Name}).", nameof(tableau));
        Options = options ?? new AdaptiveOptions();
        Options.Validate();
        _controller = controller ?? new PiStepSizeController();
        _stepper = new ExplicitRungeKutta(tableau, dimension);
        _dense = new DenseOutput(tableau, dimension);
        _current = new double[dimension];
        _trial = new double[dimension];
        _error = new double[dimension];
        _scratch = new double[dimension];
    }

    /// <summary>Tolerances and limits.</summary>
    public AdaptiveOptions Options { get; }

    /// <summary>The method.</summary>
    public ButcherTableau Tableau => _stepper.Tableau;

    /// <summary>Number of state variables.</summary>
    public int Dimension => _stepper.Dimension;

    /// <summary>
    /// Integrates from <paramref name="t0"/> to <paramref name="t1"/> (backwards when t1 &lt; t0), replacing
    /// <paramref name="y"/> (the state at t0) with the state at t1 or at the terminal event.
    /// </summary>
    /// <param name="system">The vector field.</param>
    /// <param name="t0">Start time.</param>
    /// <param name="t1">End time.</param>
    /// <param name="y">State at t0 on entry, at the final time on return.</param>
    /// <param name="observer">Receives accepted steps and events, or null.</param>
    /// <param name="events">Events to locate, or null.</param>
    /// <exception cref="StepSizeUnderflowException">The step size fell below <see cref="AdaptiveOptions.MinStep"/>.</exception>
    /// <exception cref="NonFiniteStateException">The state or its derivative became NaN or infinite.</exception>
    public IntegrationResult Integrate(IOdeSystem system, double t0, double t1, Span<double> y,
        IIntegrationObserver? observer = null, IReadOnlyList<OdeEvent>? events = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        int n = Dimension;
        if (system.Dimension != n) throw new ArgumentException($"The system has dimension {system.Dimension}, but this integrator was built for {n}.", nameof(system));
        if (y.Length != n) throw new ArgumentException($"y has {y.Length} components, expected {n}.", nameof(y));
        if (!double.IsFinite(t0) || !double.IsFinite(t1)) throw new ArgumentException($"t0 = {t0} and t1 = {t1} must be finite.");
        int eventCount = events?.Count ?? 0;
        if (_gPrevious.Length < eventCount)
        {
            _gPrevious = new double[eventCount];
            _pending = new EventOccurrence[eventCount];
        }

        _stepper.Reset();
        _controller.Reset();
        _ownEvaluations = 0;
        long evaluationsBefore = _stepper.Evaluations;
        y.CopyTo(_current);
        if (t1 == t0) return new IntegrationResult(t0, 0, 0, 0, null);

        int bad = FirstNonFinite(_current);
        if (bad >= 0)
            throw new NonFiniteStateException($"The initial state is non-finite at t = {Format(t0)} (component {bad} is {Format(_current[bad])}).", t0, 0, bad);

        double direction = Math.Sign(t1 - t0);
        double rtol = Options.RelativeTolerance, atol = Options.AbsoluteTolerance;
        int errorExponent = Tableau.EmbeddedOrder!.Value + 1;
        double h = Options.InitialStep ?? ChooseInitialStep(system, t0, t1);
        h = direction * Math.Min(Math.Min(h, Options.MaxStep), Math.Abs(t1 - t0));

        for (int i = 0; i < eventCount; i++) _gPrevious[i] = events![i].Function.Value(t0, _current);

        bool needDense = observer is not null || eventCount > 0;
        double t = t0;
        long accepted = 0, rejected = 0;
        EventOccurrence? terminal = null;
        bool finished = false;
        while (!finished)
        {
            double remaining = t1 - t;
            bool last = Math.Abs(h) >= Math.Abs(remaining);
            if (last) h = remaining;

            _stepper.Step(system, t, _current, h, _trial, _error);
            if (accepted + rejected >= Options.MaxSteps)
                throw new OdeIntegrationException($"Gave up after {Options.MaxSteps} trial steps at t = {Format(t)} (h = {Format(h)}); raise MaxSteps, loosen rtol or check the model for stiffness.", t, h, -1);

            double norm = ErrorNorm(_error, _current, _trial, rtol, atol, out int worst);
            if (!_controller.Decide(norm, h, errorExponent, out double hNext))
            {
                rejected++;
                if (Math.Abs(hNext) < Options.MinStep || t + hNext == t)
                    throw Underflow(t, h, norm, worst);
                h = hNext;
                continue;
            }

            double tNew = last ? t1 : t + h;
            if (needDense) _dense.Capture(_stepper, system, t, h, _current, _trial);

            int found = 0;
            for (int i = 0; i < eventCount; i++)
            {
                OdeEvent e = events![i];
                double gOld = _gPrevious[i];
                double gNew = e.Function.Value(tNew, _trial);
                int crossing = gOld < 0 && gNew >= 0 ? 1 : gOld > 0 && gNew <= 0 ? -1 : 0;
                if (crossing != 0 && (e.Direction == EventDirection.Either || (int)e.Direction == crossing))
                {
                    double tEvent = EventLocator.Locate(_dense, e.Function, gOld, gNew, _scratch, Options.EventTimeTolerance);
                    InsertSorted(_pending, ref found, new EventOccurrence(i, tEvent, crossing, e.Terminal), direction);
                }
                _gPrevious[i] = gNew;
            }

            for (int k = 0; k < found; k++)
            {
                if (!_pending[k].Terminal) continue;
                terminal = _pending[k];
                found = k + 1;
                double tStop = terminal.Value.Time;
                double hStop = tStop - t;
                // Retake the step so that the final state is an RK step (replayable), not an interpolant.
                if (hStop != 0 && tStop != tNew)
                {
                    _stepper.Step(system, t, _current, hStop, _trial, default);
                    h = hStop;
                    if (needDense) _dense.Capture(_stepper, system, t, h, _current, _trial);
                }
                tNew = tStop;
                finished = true;
                break;
            }

            bad = FirstNonFinite(_trial);
            if (bad >= 0) throw NonFinite(t, h, bad, _trial[bad]);

            accepted++;
            observer?.StepAccepted(t, h, _dense);
            for (int k = 0; k < found; k++) observer?.EventLocated(_pending[k], _dense);

            _trial.CopyTo(_current);
            t = tNew;
            if (last) finished = true;
            h = direction * Math.Min(Math.Abs(hNext), Options.MaxStep);
            if (!finished && Math.Abs(h) < Options.MinStep) throw Underflow(t, h, norm, worst);

            if (!finished)
            {
                // Checked at every accepted state so that a NaN derivative is reported where it appears.
                ReadOnlySpan<double> f0 = _stepper.Tableau.IsFsal ? _stepper.StageDerivative(_stepper.Tableau.Stages - 1) : default;
                bad = FirstNonFinite(f0);
                if (bad >= 0)
                    throw new NonFiniteStateException($"The derivative became non-finite at t = {Format(t)} (component {bad} of dy/dt is {Format(f0[bad])}); check the model for a division by zero or the log or square root of a negative number.", t, h, bad);
            }
        }

        _current.CopyTo(y);
        return new IntegrationResult(t, accepted, rejected, _stepper.Evaluations - evaluationsBefore + _ownEvaluations, terminal);
    }

    /// <summary>Hairer's starting step (Hairer, Nørsett and Wanner I, II.4, "Starting step size"): one explicit
    /// Euler probe of size h0 = 0.01‖y0‖/‖f0‖, then h = (0.01 / max(‖f0‖, ‖f'‖))^(1/(p+1)).</summary>
    private double ChooseInitialStep(IOdeSystem system, double t0, double t1)
    {
        double rtol = Options.RelativeTolerance, atol = Options.AbsoluteTolerance;
        double direction = Math.Sign(t1 - t0);
        Span<double> f0 = _error, f1 = _scratch, y1 = _trial;
        system.Derivatives(t0, _current, f0);
        _ownEvaluations++;
        int bad = FirstNonFinite(f0);
        if (bad >= 0)
            throw new NonFiniteStateException($"The derivative is non-finite at t = {Format(t0)} (component {bad} of dy/dt is {Format(f0[bad])}); check the model for a division by zero or the log or square root of a negative number.", t0, 0, bad);
        double d0 = ScaledNorm(_current, _current, rtol, atol);
        double d1 = ScaledNorm(f0, _current, rtol, atol);
        double h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * d0 / d1;
        h0 = Math.Min(Math.Min(h0, Options.MaxStep), Math.Abs(t1 - t0));
        for (int i = 0; i < y1.Length; i++) y1[i] = _current[i] + direction * h0 * f0[i];
        system.Derivatives(t0 + direction * h0, y1, f1);
        _ownEvaluations++;
        for (int i = 0; i < f1.Length; i++) f1[i] -= f0[i];
        double d2 = ScaledNorm(f1, _current, rtol, atol) / h0;
        double dMax = Math.Max(d1, d2);
        double h1 = !double.IsFinite(d2) ? h0
            : dMax <= 1e-15 ? Math.Max(1e-6, h0 * 1e-3)
            : Math.Pow(0.01 / dMax, 1.0 / (Tableau.Order + 1));
        return Math.Max(Math.Min(100 * h0, h1), Options.MinStep);
    }

    private static double ScaledNorm(ReadOnlySpan<double> v, ReadOnlySpan<double> y, double rtol, double atol)
    {
        double sum = 0;
        for (int i = 0; i < v.Length; i++)
        {
            double r = v[i] / (atol + rtol * Math.Abs(y[i]));
            sum += r * r;
        }
        return Math.Sqrt(sum / v.Length);
    }

    /// <summary>Mixed RMS norm of the error; <paramref name="worst"/> is the component with the largest scaled
    /// error (or the first non-finite one, in which case the norm is NaN).</summary>
    private static double ErrorNorm(ReadOnlySpan<double> err, ReadOnlySpan<double> y0, ReadOnlySpan<double> y1, double rtol, double atol, out int worst)
    {
        double sum = 0, largest = -1;
        worst = 0;
        for (int i = 0; i < err.Length; i++)
        {
            double r = err[i] / (atol + rtol * Math.Max(Math.Abs(y0[i]), Math.Abs(y1[i])));
            if (!double.IsFinite(r) || !double.IsFinite(y1[i]))
            {
                worst = i;
                return double.NaN;
            }
            double r2 = r * r;
            if (r2 > largest) { largest = r2; worst = i; }
            sum += r2;
        }
        return Math.Sqrt(sum / err.Length);
    }

    private static void InsertSorted(EventOccurrence[] buffer, ref int count, EventOccurrence item, double direction)
    {
        int k = count;
        while (k > 0 && direction * (buffer[k - 1].Time - item.Time) > 0)
        {
            buffer[k] = buffer[k - 1];
            k--;
        }
        buffer[k] = item;
        count++;
    }

    private static int FirstNonFinite(ReadOnlySpan<double> v)
    {
        for (int i = 0; i < v.Length; i++)
        {
            if (!double.IsFinite(v[i])) return i;
        }
        return -1;
    }

    private OdeIntegrationException Underflow(double t, double h, double norm, int worst)
    {
        return double.IsFinite(norm)
            ? new StepSizeUnderflowException(
                $"Step size fell below {Format(Options.MinStep)} at t = {Format(t)} (h = {Format(h)}; component {worst} has the largest error); loosen rtol or check the model.",
                t, h, worst)
            : NonFinite(t, h, worst, _trial[worst]);
    }

    private static NonFiniteStateException NonFinite(double t, double h, int component, double value) =>
        new($"The state became non-finite at t = {Format(t)} (component {component} is {Format(value)} after a step of h = {Format(h)}, even at the smallest step size); check the model for a division by zero or the log or square root of a negative number.",
            t, h, component);

    private static string Format(double value) =>
        value.ToString("G6", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
}
