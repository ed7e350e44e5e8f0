using BioSim.Engine.Events;
using BioSim.Engine.Ode;
using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Neurons.AdEx;

/// <summary>
/// Exact spike timing (<see cref="SpikeTiming.Exact"/>) and cells stepped between events (<see cref="ILocalStepping"/>).
/// Each neuron's step is cut at the arrival time of every event it receives inside the step; each piece is integrated
/// from the synaptic state at its start (decaying exactly over it), the event's weight is added at the piece's end and
/// the next piece starts there. A piece is integrated either by the model's own scheme (RK4 sub-steps of at most dt,
/// halved where V moves by more than Δ_T, the V_peak crossing located on the cubic Hermite interpolant, refractoriness
/// with w relaxing exactly) or, with local steps, by Dormand-Prince 5(4) steps of the neuron's own size with the
/// crossing located on the dense output (of V_T + 15 Δ_T, the rest of the upswing to V_peak in closed form: see
/// <see cref="DetectionExponent"/>).
/// </summary>
public sealed partial class AdExPopulation
{
    /// <summary>What a chunk of neurons needs to integrate pieces.</summary>
    private sealed class Workspace(AdExPopulation owner)
    {
        public readonly double[] S = new double[owner._s.Length];
        public readonly double[] Y = new double[2];
        public readonly Cell Cell = new(owner);
        public readonly LocalStepper? Stepper = owner._local is { } o ? new LocalStepper(ButcherTableau.DormandPrince54, 2, o) : null;
    }

    /// <summary>(dV/dt, dw/dt) of one neuron, its synaptic variables decaying from their values at <see cref="T0"/>; g = V − V_peak.</summary>
    private sealed class Cell(AdExPopulation owner) : IOdeSystem, IEventFunction
    {
        public double[] S = [];
        public double T0;
        public double Current;

        public int Dimension => 2;

        public void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt)
        {
            owner.SynapticAt(S, t - T0, Current, out double a, out double b);
            dydt[0] = owner.DvDt(y[0], y[1], a, b);
            dydt[1] = owner.DwDt(y[0], y[1]);
        }

        public double Value(double t, ReadOnlySpan<double> y) => y[0] - owner._detect;
    }

    /// <summary>
    /// u_d = 15: the adaptive steps locate the crossing of V_d = V_T + u_d Δ_T (or V_peak, if lower), not of V_peak.
    /// Past V_d the exponential term exceeds the others by a factor of order e^{u_d}/20 ≈ 1.6e5 (for the default
    /// parameters), and V runs away to V_peak in (C_m/g_L)(e^{−u_d} − e^{−u_peak}) ≈ 3 µs, the time of
    /// C_m dV/dt = g_L Δ_T e^{(V − V_T)/Δ_T} alone, whose relative error is that factor's inverse (~1e-11 ms). No step
    /// size resolves the blow-up itself to an absolute tolerance near V_peak (measured: below 1e-12 ms at atol 1e-7 with
    /// V_peak = 0), so that last stretch is added in closed form; w changes by less than 1e-5 pA in it.
    /// </summary>
    private const double DetectionExponent = 15;

    private double _detect;
    private double _tail;


    private AdaptiveOptions? _local;
    private double[] _stepSize = [];
    private double[] _stepCount = [];
    private CellWorkspaces<Workspace>? _workspaces;

    /// <inheritdoc/>
    public void EnableExactInput(double dt, int slotCount)
    {
        EnableTimedInput(dt, slotCount);
        _workspaces = new CellWorkspaces<Workspace>(Size, () => new Workspace(this));
    }

    /// <inheritdoc/>
    public bool UsesLocalSteps => _local is not null;

    /// <inheritdoc/>
    public long LocalStepsTaken
    {
        get
        {
            long total = 0;
            foreach (double c in _stepCount) total += (long)c;
            return total;
        }
    }

    /// <inheritdoc/>
    public void UseLocalSteps(AdaptiveOptions options)
    {
        options.Validate();
        if (_local is not null) throw new InvalidOperationException($"Population '{Name}' already uses local steps.");
        _local = options;
        double peakExponent = (_p.V_peak - _p.V_T) / _p.Delta_T;
        _detect = Math.Min(_p.V_peak, _p.V_T + DetectionExponent * _p.Delta_T);
        double detectExponent = (_detect - _p.V_T) / _p.Delta_T;
        _tail = peakExponent > detectExponent ? _p.C_m / _p.g_L * (Math.Exp(-detectExponent) - Math.Exp(-peakExponent)) : 0;
        _stepSize = AddHiddenState("local_step_size", 0);
        _stepCount = AddHiddenState("local_steps", 0);
        // Made here, before any step, so that parallel chunks never race to create it.
        _workspaces = new CellWorkspaces<Workspace>(Size, () => new Workspace(this));
    }

    /// <summary>Neurons [start, end) piece by piece between their events of this step (none in grid mode).</summary>
    private void AdvanceByPieces(double t, double dt, int start, int end, SpikeList spikes)
    {
        var ws = _workspaces!.For(start);
        var buffer = TimedInput;
        ReadOnlySpan<TimedEvent> events = buffer is null ? default : buffer.Current;
        int e = buffer is null ? 0 : buffer.FirstOf(start);
        int receptors = _s.Length;
        var s = ws.S;
        for (int i = start; i < end; i++)
        {
            for (int k = 0; k < receptors; k++) s[k] = _s[k][i];
            double v = Membrane[i], w = _w[i], refractoryEnd = RefractoryEnd[i], elapsed = 0;
            int emitted = 0;
            while (true)
            {
                bool hasEvent = e < events.Length && events[e].Target == i;
                double until = hasEvent ? Math.Clamp(events[e].Time - t, elapsed, dt) : dt;
                if (ws.Stepper is null) PieceRk4(i, t, dt, elapsed, until, s, ref v, ref w, ref refractoryEnd, ref emitted, spikes);
                else PieceLocalSteps(ws, i, t, elapsed, until, ref v, ref w, ref refractoryEnd, ref emitted, spikes);
                for (int k = 0; k < receptors; k++) s[k] *= Math.Exp(-(until - elapsed) / _tau[k]);
                elapsed = until;
                if (!hasEvent) break;
                if (!TryApplyCurrent(events[e])) s[events[e].Port] += events[e].Weight;
                e++;
            }
            SimulationDivergedException.ThrowIfImplausible(Name, "V", i, t + dt, v, -PlausibleVoltage, double.PositiveInfinity, "mV", PlausibleAdvice);
            SimulationDivergedException.ThrowIfImplausible(Name, "w", i, t + dt, w, -PlausibleAdaptation, PlausibleAdaptation, "pA", PlausibleAdvice);
            Membrane[i] = v;
            _w[i] = w;
            RefractoryEnd[i] = refractoryEnd;
            for (int k = 0; k < receptors; k++) _s[k][i] = s[k];
        }
    }

    /// <summary>Synaptic current <paramref name="age"/> ms after the synaptic variables were <paramref name="s0"/>, plus the injected
    /// <paramref name="current"/> (pA), as I_syn = A − B·V.</summary>
    private void SynapticAt(ReadOnlySpan<double> s0, double age, double current, out double a, out double b)
    {
        a = current;
        b = 0;
        for (int k = 0; k < s0.Length; k++)
        {
            double s = s0[k] * Math.Exp(-age / _tau[k]);
            a += s * _aCoefficient[k];
            b += s * _bCoefficient[k];
        }
    }

    /// <summary>
    /// [t + <paramref name="from"/>, t + <paramref name="to"/>] by the grid step's scheme (<see cref="AdvanceGeneral"/>):
    /// RK4 sub-steps of at most <paramref name="dt"/>, halved where V moves by more than Δ_T, the crossing of V_peak on the
    /// cubic Hermite interpolant of the crossing sub-step. <paramref name="s"/> holds the synaptic variables at the start.
    /// </summary>
    private void PieceRk4(int i, double t, double dt, double from, double to, ReadOnlySpan<double> s, ref double v, ref double w,
        ref double refractoryEnd, ref int emitted, SpikeList spikes)
    {
        double hMin = dt * MinSubstepFraction;
        double current = Injected(i);
        double elapsed = from, h = dt;
        while (elapsed < to)
        {
            if (refractoryEnd > t + elapsed)
            {
                double until = Math.Min(refractoryEnd - t, to);
                double wInf = _p.a * (_p.V_reset - _p.E_L);
                v = _p.V_reset;
                w = wInf + (w - wInf) * Math.Exp(-(until - elapsed) / _p.tau_w);
                elapsed = until;
                continue;
            }
            bool last = h >= to - elapsed;
            double hTry = last ? to - elapsed : h;
            double offset = elapsed - from;
            SynapticAt(s, offset, current, out double a0, out double b0);
            SynapticAt(s, offset + 0.5 * hTry, current, out double aMid, out double bMid);
            SynapticAt(s, offset + hTry, current, out double a1, out double b1);
            Rk4(v, w, hTry, a0, b0, aMid, bMid, a1, b1, out double v1, out double w1);
            if (!double.IsFinite(v1) || !double.IsFinite(w1))
            {
                if (hTry <= hMin) throw new SimulationDivergedException(Name, double.IsFinite(v1) ? "w" : "V", i, t + elapsed + hTry);
                h = 0.5 * hTry;
                continue;
            }
            if (v1 < _p.V_peak)
            {
                if (Math.Abs(v1 - v) <= _p.Delta_T || hTry <= hMin)
                {
                    v = v1;
                    w = w1;
                    elapsed = last ? to : elapsed + hTry;
                }
                else
                {
                    h = 0.5 * hTry;
                }
                continue;
            }
            if (v1 - _p.V_peak > Math.Max(_p.V_peak - v, _p.Delta_T) && hTry > hMin)
            {
                h = 0.5 * hTry;
                continue;
            }
            double theta = HermiteCrossing.Locate(v, DvDt(v, w, a0, b0), v1, DvDt(v1, w1, a1, b1), hTry, _p.V_peak);
            double wCrossing = w;
            if (theta >= hTry)
            {
                wCrossing = w1;
            }
            else if (theta > 0)
            {
                SynapticAt(s, offset + 0.5 * theta, current, out aMid, out bMid);
                SynapticAt(s, offset + theta, current, out a1, out b1);
                Rk4(v, w, theta, a0, b0, aMid, bMid, a1, b1, out _, out wCrossing);
            }
            elapsed = last && theta >= hTry ? to : elapsed + theta;
            refractoryEnd = Fire(i, t, elapsed, ref emitted, spikes);
            v = _p.V_reset;
            w = wCrossing + _p.b;
            h = dt;
        }
    }

    /// <summary>The same piece by the neuron's own Dormand-Prince steps; spikes located on the dense output.</summary>
    private void PieceLocalSteps(Workspace ws, int i, double t, double from, double to, ref double v, ref double w,
        ref double refractoryEnd, ref int emitted, SpikeList spikes)
    {
        var cell = ws.Cell;
        cell.S = ws.S;
        cell.T0 = t + from;
        cell.Current = Injected(i);
        double elapsed = from;
        long steps = 0;
        while (elapsed < to)
        {
            if (refractoryEnd > t + elapsed)
            {
                double until = Math.Min(refractoryEnd - t, to);
                double wInf = _p.a * (_p.V_reset - _p.E_L);
                v = _p.V_reset;
                w = wInf + (w - wInf) * Math.Exp(-(until - elapsed) / _p.tau_w);
                elapsed = until;
                continue;
            }
            ws.Y[0] = v;
            ws.Y[1] = w;
            bool crossed;
            double reached;
            try
            {
                crossed = ws.Stepper!.Advance(cell, t + elapsed, t + to, ws.Y, ref _stepSize[i], cell, true, ref steps, out reached);
            }
            catch (OdeIntegrationException ex)
            {
                throw new SimulationDivergedException($"Population '{Name}' (adex, adaptive steps): neuron {i}: {ex.Message}.", ex);
            }
            v = ws.Y[0];
            w = ws.Y[1];
            if (!crossed) break;
            elapsed = Math.Min(reached + _tail - t, to);
            refractoryEnd = Fire(i, t, elapsed, ref emitted, spikes);
            v = _p.V_reset;
            w += _p.b;
        }
        _stepCount[i] += steps;
    }
}
