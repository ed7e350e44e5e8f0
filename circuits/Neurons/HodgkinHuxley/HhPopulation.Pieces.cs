using BioSim.Engine.Events;
using BioSim.Engine.Ode;
using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Neurons.HodgkinHuxley;

/// <summary>
/// Exact spike timing (<see cref="SpikeTiming.Exact"/>) and cells stepped between events (<see cref="ILocalStepping"/>).
/// Each neuron's step is cut at the arrival time of every event it receives inside the step; each piece is integrated
/// from the synaptic state at its start (decaying exactly over it), the event's weight is added at the piece's end and
/// the next piece starts there. A piece is integrated either by the model's own scheme (one exponential-Euler step over
/// the piece, the V_th crossing on the cubic Hermite interpolant) or, with local steps, by Dormand-Prince 5(4) steps of
/// the neuron's own size on (V, m, h, n) with the crossing located on the dense output.
/// </summary>
public sealed partial class HhPopulation
{
    /// <summary>What a chunk of neurons needs to integrate pieces.</summary>
    private sealed class Workspace(HhPopulation owner)
    {
        public readonly double[] S = new double[owner._s.Length];
        public readonly double[] Y = new double[4];
        public readonly Cell Cell = new(owner);
        public readonly LocalStepper? Stepper = owner._local is { } o ? new LocalStepper(ButcherTableau.DormandPrince54, 4, o) : null;
    }

    /// <summary>d(V, m, h, n)/dt of one neuron, its synaptic variables decaying from their values at <see cref="T0"/>; g = V − V_th.</summary>
    private sealed class Cell(HhPopulation owner) : IOdeSystem, IEventFunction
    {
        public double[] S = [];
        public double T0;
        public double Current;

        public int Dimension => 4;

        public void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt)
        {
            owner.SynapticAt(S, t - T0, Current, out double gSyn, out double iSyn);
            double v = y[0], m = y[1], h = y[2], n = y[3];
            owner.Membrane(m, h, n, gSyn, iSyn, out double g, out double current);
            dydt[0] = (current - g * v) / owner._c;
            HhKinetics.Rates(v, out double am, out double bm, out double ah, out double bh, out double an, out double bn);
            double q = owner._q10;
            dydt[1] = q * (am * (1 - m) - bm * m);
            dydt[2] = q * (ah * (1 - h) - bh * h);
            dydt[3] = q * (an * (1 - n) - bn * n);
        }

        public double Value(double t, ReadOnlySpan<double> y) => y[0] - owner._p.V_th;
    }

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
        var y = ws.Y;
        for (int i = start; i < end; i++)
        {
            for (int k = 0; k < receptors; k++) s[k] = _s[k][i];
            y[0] = _v[i];
            y[1] = _m[i];
            y[2] = _h[i];
            y[3] = _n[i];
            double elapsed = 0;
            while (true)
            {
                bool hasEvent = e < events.Length && events[e].Target == i;
                double until = hasEvent ? Math.Clamp(events[e].Time - t, elapsed, dt) : dt;
                if (ws.Stepper is null) PieceExponentialEuler(t, elapsed, until, s, y, i, spikes);
                else PieceLocalSteps(ws, i, t, elapsed, until, spikes);
                for (int k = 0; k < receptors; k++) s[k] *= Math.Exp(-(until - elapsed) / _tau[k]);
                elapsed = until;
                if (!hasEvent) break;
                if (!TryApplyCurrent(events[e])) s[events[e].Port] += events[e].Weight;
                e++;
            }
            double vEnd = y[0];
            if (!double.IsFinite(vEnd)) throw new SimulationDivergedException(Name, "V", i, t + dt);
            if (Math.Abs(vEnd) > PlausibleVoltage)
            {
                throw new SimulationDivergedException(Name, "V", i, t + dt, vEnd, $"[−{PlausibleVoltage}, {PlausibleVoltage}] mV",
                    "the input drives V far beyond every reversal potential: check the synaptic weights (pA for exp-current, nS for exp-conductance) and I_e");
            }
            _v[i] = y[0];
            _m[i] = y[1];
            _h[i] = y[2];
            _n[i] = y[3];
            for (int k = 0; k < receptors; k++) _s[k][i] = s[k];
        }
    }

    /// <summary>Synaptic conductance and current <paramref name="age"/> ms after the synaptic variables were <paramref name="s0"/>,
    /// the injected <paramref name="current"/> (pA) included in the current.</summary>
    private void SynapticAt(double[] s0, double age, double current, out double gSyn, out double iSyn)
    {
        gSyn = 0;
        iSyn = current;
        for (int k = 0; k < s0.Length; k++)
        {
            double s = s0[k] * Math.Exp(-age / _tau[k]);
            gSyn += s * _gCoefficient[k];
            iSyn += s * _eCoefficient[k];
        }
    }

    /// <summary>[t + <paramref name="from"/>, t + <paramref name="to"/>] by one exponential-Euler step (the grid step's
    /// scheme over the piece's length), the synaptic drive frozen at its value at the start (<paramref name="s"/>).</summary>
    private void PieceExponentialEuler(double t, double from, double to, double[] s, double[] y, int i, SpikeList spikes)
    {
        double step = to - from;
        if (!(step > 0)) return;
        double v = y[0], m = y[1], h = y[2], n = y[3];
        SynapticAt(s, 0, Injected(i), out double gSyn, out double iSyn);
        Membrane(m, h, n, gSyn, iSyn, out double g, out double current);
        double vInf = current / g;
        double vNew = vInf + (v - vInf) * Math.Exp(-step * g / _c);
        double qdt = _q10 * step;
        HhKinetics.Rates(v, out double am, out double bm, out double ah, out double bh, out double an, out double bn);
        double sm = am + bm, sh = ah + bh, sn = an + bn;
        double mNew = am / sm + (m - am / sm) * Math.Exp(-qdt * sm);
        double hNew = ah / sh + (h - ah / sh) * Math.Exp(-qdt * sh);
        double nNew = an / sn + (n - an / sn) * Math.Exp(-qdt * sn);
        if (v < _p.V_th && vNew >= _p.V_th)
        {
            double f0 = (current - g * v) / _c;
            SynapticAt(s, step, Injected(i), out double gSynEnd, out double iSynEnd);
            Membrane(mNew, hNew, nNew, gSynEnd, iSynEnd, out double g1, out double current1);
            double f1 = (current1 - g1 * vNew) / _c;
            spikes.Add(i, t + from + HermiteCrossing.Locate(v, f0, vNew, f1, step, _p.V_th));
        }
        y[0] = vNew;
        y[1] = mNew;
        y[2] = hNew;
        y[3] = nNew;
    }

    /// <summary>The same piece by the neuron's own Dormand-Prince steps; upward crossings of V_th located on the dense
    /// output (there is no reset: after a crossing V must fall below V_th before the next one counts).</summary>
    private void PieceLocalSteps(Workspace ws, int i, double t, double from, double to, SpikeList spikes)
    {
        var cell = ws.Cell;
        cell.S = ws.S;
        cell.T0 = t + from;
        cell.Current = Injected(i);
        double elapsed = from;
        long steps = 0;
        bool armed = true;
        int emitted = 0;
        while (elapsed < to)
        {
            bool crossed;
            double reached;
            try
            {
                crossed = ws.Stepper!.Advance(cell, t + elapsed, t + to, ws.Y, ref _stepSize[i], cell, armed, ref steps, out reached);
            }
            catch (OdeIntegrationException ex)
            {
                throw new SimulationDivergedException($"Population '{Name}' (hh, adaptive steps): neuron {i}: {ex.Message}.", ex);
            }
            if (!crossed) break;
            spikes.Add(i, reached);
            if (++emitted > 64) throw new SimulationDivergedException($"Population '{Name}' (hh): neuron {i} crossed V_th more than 64 times in the step at t = {t:0.###} ms.");
            elapsed = reached - t;
            armed = false;
        }
        _stepCount[i] += steps;
    }
}
