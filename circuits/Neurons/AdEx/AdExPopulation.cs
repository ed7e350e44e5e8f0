using System.Runtime.CompilerServices;
using BioSim.Circuits.Populations;
using BioSim.Circuits.Stimuli;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Events;
using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Neurons.AdEx;

/// <summary>
/// Adaptive exponential integrate-and-fire neurons (Brette &amp; Gerstner 2005, J Neurophysiol 94:3637),
/// as NEST's aeif_cond_exp / aeif_psc_exp define them:
/// <code>
///   C_m dV/dt = −g_L (V − E_L) + g_L Δ_T exp((V − V_T)/Δ_T) − w + I_e + I_stim + Σ_cur I_k + Σ_cond g_k (E_k − V)
///   τ_w dw/dt = a (V − E_L) − w
///   τ_k dI_k/dt = −I_k,  τ_k dg_k/dt = −g_k;   I_k += weight (pA), g_k += weight (nS) on each arriving spike
///   V ≥ V_peak → spike; V ← V_reset, w ← w + b; V held at V_reset for t_ref (w keeps evolving)
/// </code>
/// Units mV, ms, pF, nS, pA. <b>Integration.</b> Classical RK4 on (V, w) per neuron. The synaptic
/// variables are linear and decoupled, so they are not integrated: RK4's stages read their exact values
/// I_k(0) e^{−τ/τ_k} at the stage times τ ∈ {0, h/2, h}, which keeps the scheme fourth order for the
/// whole system, and they are advanced by the exact propagator e^{−h/τ_k}. RK4 (rather than an
/// exponential integrator) because the exponential term makes the system nonlinear and the
/// spike-initiation phase is the part that needs accuracy; it is also the method of the Brian2 reference.
/// <b>Step control.</b> A full step is accepted when it stays below V_peak and V moves by at most Δ_T
/// (so the exponential term changes by at most a factor e within it). Otherwise, which happens only in
/// the upswing or on a large input, the step is redone in sub-steps halved until each accepted sub-step
/// obeys that bound, down to dt·2⁻²⁰. <b>Spike time.</b> The sub-step that crosses V_peak (once its
/// overshoot is no larger than its rise below V_peak) gives V and dV/dt at both ends; the crossing is the
/// root of their cubic Hermite interpolant, and w at the crossing comes from an RK4 sub-step of that
/// length. <b>Overflow.</b> The exponent is clamped at (V_peak − V_T)/Δ_T, and the w equation reads
/// min(V, V_peak): the dynamics below V_peak are unchanged, RK4 stages that overshoot V_peak stay finite,
/// and such an overshoot cannot kick w by a·(overshoot)·h/τ_w (with V_peak = 0 an unclamped stage can
/// reach 1e8 mV). A state that is still not finite raises <see cref="SimulationDivergedException"/>.
/// </summary>
public sealed partial class AdExPopulation : IntegrateAndFirePopulation, IPopulationFactory<AdExParameters, AdExPopulation>, IExactInput, ILocalStepping, ICurrentTarget
{
    /// <summary>V below −this (mV) is far past every reversal potential (above, a spike resets it): a runaway input.</summary>
    public const double PlausibleVoltage = 1000;

    /// <summary>|w| beyond this (pA, 1 µA) is far past any adaptation current: a runaway input or b.</summary>
    public const double PlausibleAdaptation = 1e6;

    private const string PlausibleAdvice = "the input drives the neuron far beyond its physiological range: check the synaptic weights (pA for exp-current, nS for exp-conductance), I_e, a and b";

    private const double MinSubstepFraction = 1.0 / (1 << 20);

    private readonly AdExParameters _p;
    private readonly double[] _w;
    private readonly double[][] _s;
    private readonly double[] _tau;
    private readonly double[] _aCoefficient;   // I_syn = A − B·V with A = Σ s_k a_k, B = Σ s_k b_k
    private readonly double[] _bCoefficient;
    private readonly double _exponentMax;

    private double[] _pFull = [];
    private double[] _pHalf = [];

    /// <summary>Neurons at V = E_L and w = 0, not refractory, synaptic variables at 0.</summary>
    /// <param name="name">The population's name, as experiment files and reports use it.</param>
    /// <param name="size">Number of neurons, &gt; 0.</param>
    /// <param name="parameters">The model's parameters, checked here (a problem throws an <see cref="ArgumentException"/> naming the population and the field).</param>
    /// <param name="receptors">The input ports: exp-current (weights in pA) or exp-conductance (weights in nS).</param>
    public AdExPopulation(string name, int size, AdExParameters parameters, IReadOnlyList<ReceptorSpec> receptors)
        : base(name, size, receptors, "adex", parameters, parameters.E_L, parameters.t_ref,
            "its input drives it through V_peak faster than it can recover. Set t_ref > 0 or check the input weights.")
    {
        _p = parameters;
        _w = AddVariable("w", "pA");
        var synapses = AddSynapticState();
        _s = synapses.S;
        _tau = synapses.Tau;
        _aCoefficient = synapses.Drive;
        _bCoefficient = synapses.Conductance;
        _exponentMax = (parameters.V_peak - parameters.V_T) / parameters.Delta_T;
    }

    /// <summary>The parameters the population was built with.</summary>
    public AdExParameters Parameters => _p;

    /// <summary>exp-current (pA) and exp-conductance (nS).</summary>
    public static IReadOnlyList<string> ReceptorModels { get; } = [ReceptorSpec.ExpCurrent, ReceptorSpec.ExpConductance];

    /// <summary>Builds the population; the model draws no random numbers, so <paramref name="seed"/> is unused.</summary>
    public static AdExPopulation Create(string name, int size, AdExParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed) =>
        new(name, size, parameters, receptors);

    /// <summary>The synaptic decays e^{−h/τ_k} over a full step and a half step (the RK4 stages read s_k at 0, dt/2 and dt).</summary>
    protected override void PrepareModel(double dt)
    {
        _pFull = Decays(_tau, dt);
        _pHalf = Decays(_tau, 0.5 * dt);
    }

    /// <inheritdoc/>
    public override void Advance(double t, double dt, int start, int end, SpikeList spikes)
    {
        RequirePrepared(dt);
        int receptors = _s.Length;
        ApplyArrivingInput(_s, start, end);
        if (TimedInput is not null || _local is not null)
        {
            AdvanceByPieces(t, dt, start, end, spikes);
            return;
        }

        double deltaT = _p.Delta_T, vPeak = _p.V_peak;
        var injected = InjectedCurrent;
        for (int i = start; i < end; i++)
        {
            if (RefractoryEnd[i] > t)
            {
                AdvanceGeneral(i, t, dt, spikes);
                continue;
            }
            // The injected current (constant over the step) adds to the synaptic drive A.
            double current = injected is null ? 0 : injected[i];
            double a0 = current, b0 = 0, aMid = current, bMid = 0, a1 = current, b1 = 0;
            for (int k = 0; k < receptors; k++)
            {
                double s0 = _s[k][i], ac = _aCoefficient[k], bc = _bCoefficient[k];
                double sMid = s0 * _pHalf[k], s1 = s0 * _pFull[k];
                a0 += s0 * ac; b0 += s0 * bc;
                aMid += sMid * ac; bMid += sMid * bc;
                a1 += s1 * ac; b1 += s1 * bc;
            }
            double v = Membrane[i];
            Rk4(v, _w[i], dt, a0, b0, aMid, bMid, a1, b1, out double vNew, out double wNew);
            // Also false for NaN, which the general path reports.
            if (vNew < vPeak && Math.Abs(vNew - v) <= deltaT && double.IsFinite(wNew))
            {
                Membrane[i] = vNew;
                _w[i] = wNew;
                for (int k = 0; k < receptors; k++) _s[k][i] *= _pFull[k];
            }
            else
            {
                AdvanceGeneral(i, t, dt, spikes);
            }
        }
    }

    /// <summary>
    /// The general step of one neuron: refractoriness, sub-steps where V moves fast, spikes located inside
    /// the step. Reads the synaptic variables at the start of the step and decays them at the end.
    /// </summary>
    private void AdvanceGeneral(int i, double t, double dt, SpikeList spikes)
    {
        // The whole step is the exact-timing piece [0, dt] with no event: one copy of the sub-stepping and crossing loop.
        Span<double> s = stackalloc double[_s.Length];
        for (int k = 0; k < _s.Length; k++) s[k] = _s[k][i];
        double v = Membrane[i], w = _w[i], refractoryEnd = RefractoryEnd[i];
        int emitted = 0;
        PieceRk4(i, t, dt, 0, dt, s, ref v, ref w, ref refractoryEnd, ref emitted, spikes);
        SimulationDivergedException.ThrowIfImplausible(Name, "V", i, t + dt, v, -PlausibleVoltage, double.PositiveInfinity, "mV", PlausibleAdvice);
        SimulationDivergedException.ThrowIfImplausible(Name, "w", i, t + dt, w, -PlausibleAdaptation, PlausibleAdaptation, "pA", PlausibleAdvice);
        Membrane[i] = v;
        _w[i] = w;
        RefractoryEnd[i] = refractoryEnd;
        for (int k = 0; k < _s.Length; k++) _s[k][i] *= _pFull[k];
    }

    /// <inheritdoc/>
    public void AttachCurrent(CurrentProjection projection) => AttachCurrentInput(projection);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private double DvDt(double v, double w, double a, double b)
    {
        var p = _p;
        double exponent = Math.Min((v - p.V_T) / p.Delta_T, _exponentMax);
        return (-p.g_L * (v - p.E_L) + p.g_L * p.Delta_T * Math.Exp(exponent) - w + p.I_e + a - b * v) / p.C_m;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private double DwDt(double v, double w) => (_p.a * (Math.Min(v, _p.V_peak) - _p.E_L) - w) / _p.tau_w;

    /// <summary>One classical RK4 step of (V, w) over h, with the synaptic drive (A, B) at 0, h/2 and h.</summary>
    private void Rk4(double v, double w, double h, double a0, double b0, double aMid, double bMid, double a1, double b1,
        out double vNew, out double wNew)
    {
        double half = 0.5 * h;
        double k1v = DvDt(v, w, a0, b0), k1w = DwDt(v, w);
        double v2 = v + half * k1v, w2 = w + half * k1w;
        double k2v = DvDt(v2, w2, aMid, bMid), k2w = DwDt(v2, w2);
        double v3 = v + half * k2v, w3 = w + half * k2w;
        double k3v = DvDt(v3, w3, aMid, bMid), k3w = DwDt(v3, w3);
        double v4 = v + h * k3v, w4 = w + h * k3w;
        double k4v = DvDt(v4, w4, a1, b1), k4w = DwDt(v4, w4);
        vNew = v + h / 6 * (k1v + 2 * k2v + 2 * k3v + k4v);
        wNew = w + h / 6 * (k1w + 2 * k2w + 2 * k3w + k4w);
    }
}
