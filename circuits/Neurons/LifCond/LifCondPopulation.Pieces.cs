using BioSim.Engine.Events;
using BioSim.Engine.Ode;
using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Neurons.LifCond;

/// <summary>
/// Exact spike timing (<see cref="SpikeTiming.Exact"/>) and cells stepped between events (<see cref="ILocalStepping"/>).
/// Each neuron's step is cut at the arrival time of every event it receives inside the step; each piece is integrated
/// from the synaptic state at its start (the conductances decay exactly over it), the event's weight is added at the
/// piece's end, and the next piece starts there. A piece is integrated either by the model's closed form (the
/// averaged-conductance propagator of the grid step, over the piece's length, with the threshold crossing and the end of
/// refractoriness located inside it) or, with local steps, by Dormand-Prince 5(4) steps of the neuron's own size with
/// the crossing located on the dense output.
/// </summary>
public sealed partial class LifCondPopulation
{
    /// <summary>What a chunk of neurons needs to integrate pieces: the synaptic state of one neuron, and with local steps
    /// the stepper and the neuron's vector field.</summary>
    private sealed class Workspace(LifCondPopulation owner)
    {
        public readonly double[] S = new double[owner._s.Length];
        public readonly double[] Y = new double[1];
        public readonly Cell Cell = new(owner);
        public readonly LocalStepper? Stepper = owner._local is { } o ? new LocalStepper(ButcherTableau.DormandPrince54, 1, o) : null;
    }

    /// <summary>dV/dt of one neuron with its synaptic variables decaying from their values at <see cref="T0"/>; g = V − V_th.</summary>
    private sealed class Cell(LifCondPopulation owner) : IOdeSystem, IEventFunction
    {
        private readonly LifCondParameters _p = owner._p;
        private readonly double[] _tau = owner._tau, _e = owner._eCoefficient, _g = owner._gCoefficient;
        public double[] S = [];
        public double T0;
        public double Current;

        public int Dimension => 1;

        public void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt)
        {
            double g = _p.g_L, drive = _p.g_L * _p.E_L + _p.I_e + Current, age = t - T0;
            for (int k = 0; k < S.Length; k++)
            {
                double s = S[k] * Math.Exp(-age / _tau[k]);
                g += s * _g[k];
                drive += s * _e[k];
            }
            dydt[0] = (drive - g * y[0]) / _p.C_m;
        }

        public double Value(double t, ReadOnlySpan<double> y) => y[0] - _p.V_th;
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
        for (int i = start; i < end; i++)
        {
            for (int k = 0; k < receptors; k++) s[k] = _s[k][i];
            double v = Membrane[i], refractoryEnd = RefractoryEnd[i], elapsed = 0;
            int emitted = 0;
            while (true)
            {
                bool hasEvent = e < events.Length && events[e].Target == i;
                double until = hasEvent ? Math.Clamp(events[e].Time - t, elapsed, dt) : dt;
                if (ws.Stepper is null) PieceClosedForm(i, t, elapsed, until, s, ref v, ref refractoryEnd, ref emitted, spikes);
                else PieceLocalSteps(ws, i, t, elapsed, until, ref v, ref refractoryEnd, ref emitted, spikes);
                elapsed = until;
                if (!hasEvent) break;
                if (!TryApplyCurrent(events[e])) s[events[e].Port] += events[e].Weight;
                e++;
            }
            SimulationDivergedException.ThrowIfImplausible(Name, "V", i, t + dt, v, -PlausibleVoltage, PlausibleVoltage, "mV", PlausibleAdvice);
            Membrane[i] = v;
            RefractoryEnd[i] = refractoryEnd;
            for (int k = 0; k < receptors; k++) _s[k][i] = s[k];
        }
    }

    /// <summary>
    /// [t + <paramref name="from"/>, t + <paramref name="to"/>] by the closed form of the grid step (see the class summary),
    /// with <paramref name="s"/> the synaptic variables at the piece's start (decayed to its end on return).
    /// </summary>
    private void PieceClosedForm(int i, double t, double from, double to, double[] s, ref double v, ref double refractoryEnd, ref int emitted, SpikeList spikes)
    {
        double elapsed = from;
        while (true)
        {
            if (refractoryEnd > t + elapsed)
            {
                v = _p.V_reset;
                double until = refractoryEnd - t;
                if (until >= to) break;
                elapsed = until;
            }
            double remaining = to - elapsed;
            if (!(remaining > 0)) break;
            Interval(s, Injected(i), elapsed - from, remaining, out double g, out double vInf);
            double vEnd = vInf + (v - vInf) * Math.Exp(-remaining * g / _p.C_m);
            SimulationDivergedException.ThrowIfImplausible(Name, "V", i, t + to, vEnd, -PlausibleVoltage, PlausibleVoltage, "mV", PlausibleAdvice);
            if (vEnd < _p.V_th)
            {
                v = vEnd;
                break;
            }
            double theta = v >= _p.V_th ? 0 : CrossingTime(v, g, vInf, remaining);
            for (int iteration = 0; iteration < 3 && theta > 0; iteration++)
            {
                Interval(s, Injected(i), elapsed - from, theta, out double gTheta, out double vInfTheta);
                if (!(vInfTheta > _p.V_th)) break;
                theta = CrossingTime(v, gTheta, vInfTheta, remaining);
            }
            elapsed = Math.Min(elapsed + theta, to);
            refractoryEnd = Fire(i, t, elapsed, ref emitted, spikes);
            v = _p.V_reset;
            if (_p.t_ref == 0 && elapsed >= to) break;
        }
        for (int k = 0; k < s.Length; k++) s[k] *= Math.Exp(-(to - from) / _tau[k]);
    }

    /// <summary><see cref="Interval(int, double, double, out double, out double)"/> with the synaptic variables given at offset 0
    /// and the injected current <paramref name="current"/> (pA).</summary>
    private void Interval(double[] s0, double current, double offset, double h, out double g, out double vInf)
    {
        g = _p.g_L;
        double drive = _p.g_L * _p.E_L + _p.I_e + current;
        for (int k = 0; k < s0.Length; k++)
        {
            double s = s0[k] * Math.Exp(-offset / _tau[k]) * AverageFactor(_tau[k], h);
            g += s * _gCoefficient[k];
            drive += s * _eCoefficient[k];
        }
        vInf = drive / g;
    }

    /// <summary>The same piece by the neuron's own Dormand-Prince steps; spikes located on the dense output.</summary>
    private void PieceLocalSteps(Workspace ws, int i, double t, double from, double to, ref double v, ref double refractoryEnd, ref int emitted, SpikeList spikes)
    {
        var cell = ws.Cell;
        cell.S = ws.S;
        cell.T0 = t + from;
        cell.Current = Injected(i);
        double elapsed = from;
        long steps = 0;
        while (true)
        {
            if (refractoryEnd > t + elapsed)
            {
                v = _p.V_reset;
                double until = refractoryEnd - t;
                if (until >= to) break;
                elapsed = until;
            }
            if (!(to > elapsed)) break;
            ws.Y[0] = v;
            bool crossed;
            double reached;
            try
            {
                crossed = ws.Stepper!.Advance(cell, t + elapsed, t + to, ws.Y, ref _stepSize[i], cell, true, ref steps, out reached);
            }
            catch (OdeIntegrationException ex)
            {
                throw new SimulationDivergedException($"Population '{Name}' (lif-cond, adaptive steps): neuron {i}: {ex.Message}.", ex);
            }
            v = ws.Y[0];
            if (!crossed) break;
            elapsed = reached - t;
            refractoryEnd = Fire(i, t, elapsed, ref emitted, spikes);
            v = _p.V_reset;
            if (_p.t_ref == 0 && elapsed >= to) break;
        }
        _stepCount[i] += steps;
        var s = ws.S;
        for (int k = 0; k < s.Length; k++) s[k] *= Math.Exp(-(to - from) / _tau[k]);
    }
}
